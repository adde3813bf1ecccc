"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server.

A missing browser is a failure, never a skip: `make test` installs it.
"""

import os
from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, sync_playwright

from directory.demo import SALESFORCE_ID, seed_demo
from directory.models import Application
from directory.services import update_application
from samlidp.models import SamlConfiguration
from samples.saml_sp.app import SampleServiceProvider
from tests.browser.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.samples.support import point_saml_at, serve_saml_sample

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make test` (it installs it) or apt-get install chromium."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


class ConsoleWatch:
    """Collects console errors, page errors and CSP violations of one page."""

    def __init__(self, page: Page) -> None:
        self._messages: list[tuple[str, str]] = []
        self._documents: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._messages.append(("", f"page error: {error}")))
        page.on("response", self._response)

    def _response(self, response: Response) -> None:
        if response.request.is_navigation_request():
            self._documents.add(response.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"} and (
            message.type == "error" or "Content Security Policy" in message.text
        ):
            self._messages.append((message.location.get("url", ""), f"console {message.type}: {message.text}"))

    @property
    def problems(self) -> list[str]:
        # Chromium logs "Failed to load resource" for a page served with a 4xx status; a refusal
        # page (403, 404) is what the story expects, while a failing script, image or fetch is not.
        return [
            text
            for url, text in self._messages
            if not (text.startswith("console error: Failed to load resource") and url in self._documents)
        ]


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = ConsoleWatch(page)
    yield page
    context.close()
    assert watch.problems == [], "The browser reported errors or CSP violations"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core on the current page: no serious or critical violation."""
    results = _axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == [], f"Accessibility violations on {page.url}"


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[[], Page]]:
    """Opens another person's browser (its own context, so its own session), watched like `page`."""
    opened: list[tuple[BrowserContext, ConsoleWatch]] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        other = context.new_page()
        other.set_default_timeout(10_000)
        opened.append((context, ConsoleWatch(other)))
        return other

    yield open_page
    for context, _ in opened:
        context.close()
    assert [problem for _, watch in opened for problem in watch.problems] == [], (
        "Another browser reported errors or CSP violations"
    )


@pytest.fixture
def demo(transactional_db, settings, live_server, serve_sample) -> SampleServiceProvider:
    """The seeded Contoso and Fabrikam demo, with the demo mailbox open (DEMO_MODE) as in `make demo`,
    and Salesforce's sample SAML app running (returned): samples/serve.py's part of `make demo`."""
    settings.DEMO_MODE = True
    # Links in emails and the sample apps' URLs are absolute (SITE_URL): they must reach the live server.
    settings.SITE_URL = live_server.url
    seed_demo()
    return serve_salesforce_sample(live_server, serve_sample)


def serve_salesforce_sample(live_server, serve_sample) -> SampleServiceProvider:
    """The sample SAML app on a free port against the live server, and Salesforce's Basic SAML Configuration
    moved there from the seed's demo address (a scenario reset on the Scenarios page moves it back)."""
    salesforce = Application.objects.get(pk=SALESFORCE_ID)
    sample = serve_saml_sample(serve_sample, salesforce)
    if SamlConfiguration.objects.filter(application=salesforce).exists():
        point_saml_at(salesforce, sample)
        update_application(application=salesforce, actor=None, homepage_url=f"{sample.base_url}/")
    return sample
