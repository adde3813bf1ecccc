"""Generated application logos: a square PNG with the app's initials on its brand colour.

The demo needs logos without fetching images from anywhere, and the same input must
give the same bytes so seeding twice changes nothing.
"""

import io
import threading
import uuid

from cachetools import LRUCache
from PIL import Image, ImageDraw, ImageFont

from directory.models import Application, colour_validator

LOGO_SIZE = 96
_FONT_SIZE = {1: 52, 2: 42}


def initials(name: str) -> str:
    """Up to two letters: the first letter of the first two words ("Contoso Expenses" → "CE")."""
    return Application(display_name=name).initials


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


# Logos read once per process, by (app, version): a version is the content's hash, so an entry never goes stale.
_LOGO_CACHE_BYTES = 8 * 1024 * 1024
_logos: LRUCache[tuple[uuid.UUID, str], bytes] = LRUCache(maxsize=_LOGO_CACHE_BYTES, getsizeof=len)
_logos_lock = threading.Lock()


def logo_png(*, app_id: uuid.UUID, version: str) -> bytes | None:
    """The logo whose content hash is `version`, None when the app has no such logo."""
    key = (app_id, version)
    with _logos_lock:
        png = _logos.get(key)
    if png is not None:
        return png
    logo = Application.objects.filter(pk=app_id, logo_hash=version).values_list("logo", flat=True).first()
    if not logo:
        return None
    png = bytes(logo)
    with _logos_lock:
        _logos[key] = png
    return png
