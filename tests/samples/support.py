"""The sample apps' tests: a person's browser (plain HTTP with cookies) and the sample SAML app on a free port."""

import requests

from samlidp import idp
from samlidp.services import configure_saml
from samples.saml_sp.app import SampleServiceProvider
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


def serve_saml_sample(serve_sample, application) -> SampleServiceProvider:
    """The sample SAML app on a free port, learning the identity provider from the application's
    App Federation Metadata Url (SITE_URL must be the live server's)."""
    started: list[SampleServiceProvider] = []

    def make_app(base_url: str) -> SampleServiceProvider:
        started.append(SampleServiceProvider(idp_metadata_url=idp.metadata_url(application), base_url=base_url))
        return started[0]

    serve_sample(make_app)
    return started[0]


def point_saml_at(application, sample: SampleServiceProvider) -> None:
    """The application's Basic SAML Configuration set to the running sample's addresses."""
    configure_saml(
        application=application,
        actor=None,
        entity_id=sample.entity_id,
        reply_url=sample.acs_url,
        logout_url=sample.logout_url,
    )
