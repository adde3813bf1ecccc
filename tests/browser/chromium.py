"""The browser the tests and scripts/screenshots.py drive: Debian's Chromium, never Playwright's download."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("ACCESSPORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
