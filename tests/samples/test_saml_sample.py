"""The sample SAML app (pysaml2's SP) signs a person in against a live Access Portal.

The SP trusts the portal only through the App Federation Metadata Url it downloads; the
portal never calls the SP. SP-initiated (HTTP-Redirect and HTTP-POST) and IdP-initiated (the tile),
and the sample's Sign out: SP-initiated single logout, the signed LogoutResponse checked by the SP.
"""

import base64

import pytest
import requests
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client

from signin.models import SignInEvent
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory, AppRoleAssignmentFactory, DirectoryUserFactory
from tests.samlidp.support import posted_form
from tests.samples.support import TIMEOUT, point_saml_at, serve_saml_sample, signed_in_browser


@pytest.fixture
def wired(transactional_db, settings, live_server, serve_sample):
    """A SAML app whose Basic SAML Configuration points at a running sample SP, and the SP itself."""
    settings.SITE_URL = live_server.url
    application = ApplicationFactory(saml=True, sign_on_url="", display_name="Salesforce")
    sample = serve_saml_sample(serve_sample, application)
    point_saml_at(application, sample)
    return application, sample


def person_of(application, *, assigned: bool = True):
    user = DirectoryUserFactory(tenant=application.tenant, display_name="Megan Bowen", mail="megan@contoso.example")
    if assigned:
        AppRoleAssignmentFactory(application=application, principal_user=user)
    return user


def post_on(browser: requests.Session, portal_page: requests.Response) -> requests.Response:
    """What saml-post.js does: post the page's form to the app's Reply URL."""
    assert portal_page.status_code == 200, portal_page.text
    action, fields = posted_form(portal_page.text)
    return browser.post(action, data=fields, timeout=TIMEOUT)


def assert_signed_in(app_page: requests.Response, user) -> None:
    assert app_page.status_code == 200, app_page.text
    assert f"<strong data-testid='name-id'>{user.user_principal_name}</strong>" in app_page.text
    claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
    assert f"<th scope='row'>{claims}/emailaddress</th><td>megan@contoso.example</td>" in app_page.text
    assert f"<th scope='row'>{claims}/givenname</th><td>Megan</td>" in app_page.text


def test_sp_initiated_redirect_binding_signs_in_through_the_published_metadata(wired, live_server):
    application, sample = wired
    user = person_of(application)
    browser = signed_in_browser(live_server, user)

    # The SP sends its AuthnRequest by redirect; the portal answers with the page that posts the response.
    portal_page = browser.get(f"{sample.base_url}/login/", timeout=TIMEOUT)
    assert portal_page.url.startswith(f"{live_server.url}/{application.tenant_id}/saml2?SAMLRequest=")
    assert_signed_in(post_on(browser, portal_page), user)
    event = SignInEvent.objects.get(protocol="saml20")
    assert (event.status, event.user_id, event.resource_id) == ("success", user.pk, application.pk)


def test_sp_initiated_redirect_binding_waits_for_the_portal_sign_in(wired, live_server):
    application, sample = wired
    user = person_of(application)
    browser = requests.Session()
    sign_in_page = browser.get(f"{sample.base_url}/login/", timeout=TIMEOUT)
    assert sign_in_page.url.startswith(f"{live_server.url}/sign-in/?next=")
    portal_page = browser.post(
        sign_in_page.url,
        data={
            "username": user.account.email,
            "password": DEFAULT_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": sign_in_page.url},
        timeout=TIMEOUT,
    )
    assert_signed_in(post_on(browser, portal_page), user)


def test_sp_initiated_post_binding_is_validated_by_a_pysaml2_sp(wired, live_server):
    application, sample = wired
    user = person_of(application)
    browser = signed_in_browser(live_server, user)
    client = Saml2Client(config=sample.config())
    destination = f"{live_server.url}/{application.tenant_id}/saml2"
    request_id, request = client.create_authn_request(destination=destination)

    portal_page = browser.post(
        destination, data={"SAMLRequest": base64.b64encode(str(request).encode()).decode()}, timeout=TIMEOUT
    )
    assert portal_page.status_code == 200, portal_page.text
    _, fields = posted_form(portal_page.text)
    response = client.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, {request_id: "/"})
    assert response.name_id.text == user.user_principal_name
    assert response.in_response_to == request_id


def test_the_tile_signs_in_idp_initiated(wired, live_server):
    application, _ = wired
    user = person_of(application)
    browser = signed_in_browser(live_server, user)

    portal_page = browser.get(f"{live_server.url}/apps/{application.pk}/launch/", timeout=TIMEOUT)
    assert_signed_in(post_on(browser, portal_page), user)


def test_an_unassigned_person_gets_aadsts50105_and_the_sp_gets_nothing(wired, live_server):
    application, sample = wired
    stranger = person_of(application, assigned=False)
    browser = signed_in_browser(live_server, stranger)

    portal_page = browser.get(f"{sample.base_url}/login/", timeout=TIMEOUT)
    assert portal_page.status_code == 403
    assert "AADSTS50105" in portal_page.text
    assert 'name="SAMLResponse"' not in portal_page.text
    assert SignInEvent.objects.get(protocol="saml20").error_code == 50105


def test_sign_out_is_single_logout_through_a_signed_logout_response(wired, live_server):
    application, sample = wired
    user = person_of(application)
    browser = signed_in_browser(live_server, user)
    assert_signed_in(post_on(browser, browser.get(f"{sample.base_url}/login/", timeout=TIMEOUT)), user)

    # The sample's Sign out sends its LogoutRequest to the portal by redirect ...
    to_portal = browser.post(f"{sample.base_url}/sign-out/", allow_redirects=False, timeout=TIMEOUT)
    assert to_portal.status_code == 303
    assert to_portal.headers["Location"].startswith(f"{live_server.url}/{application.tenant_id}/saml2?SAMLRequest=")
    # ... the portal signs the person out and redirects to the Logout Url with a signed LogoutResponse ...
    to_app = browser.get(to_portal.headers["Location"], allow_redirects=False, timeout=TIMEOUT)
    assert to_app.status_code == 302, to_app.text
    logout_response = to_app.headers["Location"]
    assert logout_response.startswith(f"{sample.logout_url}?SAMLResponse=")
    assert "&SigAlg=" in logout_response and "&Signature=" in logout_response
    # ... which the SP validates.
    signed_out = browser.get(logout_response, timeout=TIMEOUT)
    assert signed_out.status_code == 200, signed_out.text
    assert "You're signed out of this app and of Access Portal." in signed_out.text
    assert "Nobody is signed in." in browser.get(f"{sample.base_url}/", timeout=TIMEOUT).text
    portal = browser.get(f"{live_server.url}/", allow_redirects=False, timeout=TIMEOUT)
    assert portal.status_code == 302 and "/sign-in/" in portal.headers["Location"]
    # The same response again answers no outstanding sign-out; a tampered one isn't the portal's signature.
    assert "answers no sign-out" in browser.get(logout_response, timeout=TIMEOUT).text
    tampered = logout_response.replace("&SigAlg=", "&RelayState=elsewhere&SigAlg=")
    assert "isn't signed by the identity provider" in browser.get(tampered, timeout=TIMEOUT).text
