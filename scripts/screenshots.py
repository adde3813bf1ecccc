"""Regenerate the README screenshots (docs/screenshots/*.png) from a freshly seeded demo.

    make screenshots          (or: .venv/bin/python scripts/screenshots.py)

Starts its own server on a free port against a new SQLite database in a temporary folder
(migrated and seeded with `manage.py seed_demo`), walks the story in headless Chromium
(Debian's /usr/bin/chromium, the flags of the browser tests) at 1280×800, saves the
pictures, then stops the server and deletes the database. The PNGs are committed, so they
are reduced to a 256-colour palette to keep them small.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT = 30
PASSWORD = "Contoso-Demo-2026"  # directory.demo.DEMO_PASSWORD, documented in README.md
MEGAN = "megan.bowen@contoso.com"
ADELE = "adele.vance@contoso.com"
ADMIN = "admin@contoso.com"
GUEST = "pat.kim@litware.example"
MESSAGE = "Hi Pat, here is the Salesforce workspace for our joint pipeline review. See you there! Megan"

sys.path.insert(0, str(ROOT))
from tests.browser.chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The demo server stopped (exit code {server.returncode}).")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own loopback server)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The demo server didn't answer at {url} within {SERVER_START_TIMEOUT} s.")


@contextmanager
def demo_server() -> Iterator[str]:
    """A seeded demo on a free port, on a throw-away SQLite database; yields its base URL."""
    folder = Path(tempfile.mkdtemp(prefix="accessportal-screenshots-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "ACCESSPORTAL_DEMO": "true",
        "ACCESSPORTAL_TASKS": "immediate",
        "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
        "ACCESSPORTAL_SITE_URL": base_url,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = None
    try:
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"{base_url}/sign-in/", server)
        yield base_url
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def save(page_or_element, name: str, *, full_page: bool = False) -> None:
    page = getattr(page_or_element, "page", page_or_element)
    # Logos are lazy-loaded images: wait for them, or the tiles are pictured empty.
    page.wait_for_load_state("networkidle")
    page.wait_for_function("Array.from(document.images).every(image => image.complete)")
    path = OUT / name
    options = {"full_page": True} if full_page else {}
    page_or_element.screenshot(path=str(path), animations="disabled", caret="hide", **options)
    # A palette PNG is a fraction of the size of Chromium's RGB one and looks the same for flat UI.
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    print(f"  {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def new_page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, device_scale_factor=1, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()


def open_email(page: Page, subject: str) -> None:
    page.goto("/invitations/mailbox/")
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


def owner_invites_a_guest(browser: Browser, base_url: str) -> None:
    page = new_page(browser, base_url)
    sign_in(page, MEGAN)
    save(page, "my-apps.png")

    page.get_by_role("button", name="More options for Salesforce").click()
    page.get_by_role("menuitem", name="Manage app").click()
    page.get_by_role("button", name="Add members").click()
    dialog = page.get_by_role("dialog", name="Add members")
    dialog.get_by_label("Search by name or email address").fill(GUEST)
    dialog.get_by_role("button", name=f"Invite {GUEST} as a guest").click()
    expect(dialog.get_by_role("list", name="Selected")).to_contain_text(GUEST)
    dialog.get_by_label("Welcome message").fill(MESSAGE)
    page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
    save(page, "manage-app-add-members.png")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#members-status")).to_contain_text(f"Invited {GUEST} as a guest.")
    page.context.close()


def guest_redeems(browser: Browser, base_url: str) -> None:
    page = new_page(browser, base_url)
    open_email(page, "Megan Bowen invited you to access applications within their organization")
    # The email's HTML on its own, as the guest's mail client shows it.
    email_page = page.context.new_page()
    email_page.goto(page.locator("iframe.mailbox-frame").get_attribute("src"))
    expect(email_page.get_by_role("link", name="Accept invitation")).to_be_visible()
    save(email_page, "invitation-email.png")
    email_page.close()

    link = re.search(r"https?://\S+/invitations/redeem/[^/\s]+/", page.locator("pre").inner_text())
    if link is None:
        raise SystemExit("The invitation email has no accept link.")
    page.goto(link.group(0))
    page.get_by_role("button", name="Accept invitation").click()
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("heading", name="Enter code")).to_be_visible()

    mailbox = page.context.new_page()
    open_email(mailbox, re.compile("code", re.IGNORECASE))
    code = re.search(r"\b(\d{6,8})\b", mailbox.locator("pre").inner_text())
    if code is None:
        raise SystemExit("The one-time passcode email has no code.")
    mailbox.close()
    page.get_by_role("textbox", name="Code").fill(code.group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review permissions")).to_be_visible()
    save(page, "review-permissions.png")
    page.context.close()


def group_owner(browser: Browser, base_url: str) -> None:
    page = new_page(browser, base_url)
    sign_in(page, ADELE)
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Groups").click()
    expect(page.get_by_role("link", name="Groups I own")).to_have_attribute("aria-current", "page")
    save(page, "groups-i-own.png")
    page.context.close()


def admin_center(browser: Browser, base_url: str) -> None:
    """The admin center: Salesforce's Self-service and Single sign-on (SAML) blades, and Groups → General."""
    page = new_page(browser, base_url)
    page.goto("/admin/login/?next=/admin/directory/application/")
    page.locator("#id_username").fill(ADMIN)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.get_by_role("table").get_by_role("link", name="Salesforce", exact=True).click()
    page.get_by_role("navigation", name="Manage").get_by_role("link", name="Self-service").click()
    expect(page.get_by_role("heading", name="Salesforce | Self-service")).to_be_visible()
    save(page, "admin-self-service.png")
    page.get_by_role("navigation", name="Manage").get_by_role("link", name="Single sign-on").click()
    expect(page.get_by_role("heading", name="Set up Single Sign-On with SAML")).to_be_visible()
    # The whole blade, its four cards included: taller than the window.
    save(page, "admin-saml-sso.png", full_page=True)
    page.get_by_role("navigation", name="Admin center").get_by_role("link", name="Groups").click()
    page.get_by_role("navigation", name="Manage").get_by_role("link", name="General").click()
    expect(page.get_by_role("heading", name="Groups | General")).to_be_visible()
    save(page, "admin-groups-general.png")
    page.context.close()


def main() -> None:
    if not CHROMIUM.exists():
        raise SystemExit(f"Chromium is not installed at {CHROMIUM}: run `make chromium`.")
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_server() as base_url, sync_playwright() as playwright:
        print(f"Demo running at {base_url}; writing {OUT.relative_to(ROOT)}/")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            owner_invites_a_guest(browser, base_url)
            guest_redeems(browser, base_url)
            group_owner(browser, base_url)
            admin_center(browser, base_url)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
