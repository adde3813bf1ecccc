"""A person's browser, as the sample apps' tests drive it: plain HTTP with cookies."""

import requests

from tests.factories import DEFAULT_PASSWORD

TIMEOUT = 10


def signed_in_browser(live_server, user) -> requests.Session:
    """A session signed in to the portal on the live server through its own sign-in form."""
    browser = requests.Session()
    browser.get(f"{live_server.url}/sign-in/", timeout=TIMEOUT)
    response = browser.post(
        f"{live_server.url}/sign-in/",
        data={
            "username": user.account.email,
            "password": DEFAULT_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": f"{live_server.url}/sign-in/"},
        timeout=TIMEOUT,
    )
    assert response.ok and "sessionid" in browser.cookies
    return browser
