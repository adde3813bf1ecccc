"""Generated application logos: a square PNG with the app's initials on its brand colour.

The demo needs logos without fetching images from anywhere, and the same input must
give the same bytes so seeding twice changes nothing.
"""

import io
import re

from PIL import Image, ImageDraw, ImageFont

from directory.models import colour_validator

LOGO_SIZE = 96
_FONT_SIZE = {1: 52, 2: 42}


def initials(name: str) -> str:
    """Up to two letters: the first letter of the first two words ("Contoso Expenses" → "CE")."""
    words = re.findall(r"[^\W_]+", name)
    return "".join(word[0] for word in words[:2]).upper() or "?"


def app_logo_png(*, name: str, colour: str) -> bytes:
    """A 96×96 PNG: `colour` (#RRGGBB) background, the initials of `name` in white, centred."""
    colour_validator(colour)
    text = initials(name)
    image = Image.new("RGB", (LOGO_SIZE, LOGO_SIZE), colour)
    font = ImageFont.load_default(size=_FONT_SIZE.get(len(text), 42))
    centre = LOGO_SIZE / 2
    ImageDraw.Draw(image).text((centre, centre), text, font=font, fill="#ffffff", anchor="mm")
    buffer = io.BytesIO()
    # No optimisation pass and no metadata: the bytes depend on the pixels only.
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
