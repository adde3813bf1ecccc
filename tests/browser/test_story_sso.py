"""Single sign-on stories: Megan's Contoso Expenses tile signs her in to the sample OpenID Connect app; the
guest who just redeemed opens Salesforce, the sample SAML app, from his tile and signs out of it and the portal
(single logout); an unassigned person gets AADSTS50105."""

from playwright.sync_api import Page, expect

from directory import services as directory_services
from directory.demo import ALEX, DEMO_PASSWORD, LEE, MEGAN, SALESFORCE_ID
from directory.models import Application, DirectoryUser
from portal.scenarios import redeem_lee
from samples.oidc_expenses.app import SampleRelyingParty
from signin.models import AppRegistration, SignInEvent
from signin.services import update_redirect_uris
from tests.browser.conftest import sign_in


def open_tile(page: Page, name: str) -> Page:
    """Clicks a My Apps tile; tiles open their app in a new tab."""
    tile = page.get_by_role("link", name=name, exact=True)
    if tile.get_attribute("target") != "_blank":
        tile.click()
        return page
    with page.context.expect_page() as opened:
        tile.click()
    return opened.value


def test_megans_contoso_expenses_tile_signs_her_in_through_openid_connect(page: Page, demo, live_server, serve_sample):
    megan = DirectoryUser.objects.get(mail=MEGAN)
    expenses = Application.objects.get(display_name="Contoso Expenses")
    registration = AppRegistration.objects.get(application=expenses)
    # The seed wires the sample at its demo address; here it runs on a free port against the live server.
    base_url = serve_sample(
        lambda base: SampleRelyingParty(
            discovery_url=f"{live_server.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            base_url=base,
        )
    )
    update_redirect_uris(registration=registration, redirect_uris=[f"{base_url}/callback"], actor=None)
    directory_services.update_application(application=expenses, actor=None, homepage_url=f"{base_url}/")

    sign_in(page, MEGAN, DEMO_PASSWORD)
    app_page = open_tile(page, "Contoso Expenses")

    expect(app_page.get_by_test_id("name")).to_have_text("Megan Bowen")
    expect(app_page.get_by_test_id("preferred-username")).to_have_text(megan.user_principal_name)
    expect(app_page.get_by_role("row", name=f"oid {megan.pk}")).to_be_visible()
    assert SignInEvent.objects.filter(user_id=megan.pk, protocol="oidc", status="success").count() == 1


def test_the_guest_who_just_redeemed_opens_salesforce_through_a_signed_saml_assertion(page: Page, demo):
    redeem_lee()
    guest = DirectoryUser.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", mail=LEE)

    sign_in(page, LEE, DEMO_PASSWORD)
    page.goto(f"/?tenantid={guest.tenant_id}")
    app_page = open_tile(page, "Salesforce")

    # The sample SAML app validated the signed assertion against the federation metadata it downloaded.
    expect(app_page.get_by_role("heading", name="Salesforce (sample SAML app)")).to_be_visible()
    expect(app_page.get_by_test_id("name-id")).to_have_text(guest.user_principal_name)
    claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
    expect(app_page.get_by_role("row", name=f"{claims}/emailaddress {LEE}")).to_be_visible()
    event = SignInEvent.objects.get(protocol="saml20")
    assert (event.status, event.user_id, str(event.resource_id)) == ("success", guest.pk, str(SALESFORCE_ID))
    assert event.cross_tenant_access_type == SignInEvent.CrossTenantAccessType.B2B_COLLABORATION

    # Sign out in the app is single logout: the portal signs him out and the app checks its signed answer.
    app_page.get_by_role("button", name="Sign out").click()
    expect(app_page.get_by_test_id("signed-out")).to_have_text("You're signed out of this app and of Access Portal.")
    page.goto("/")
    expect(page.get_by_label("Email address")).to_be_visible()


def test_an_unassigned_person_signing_in_from_the_sample_saml_app_gets_aadsts50105(page: Page, demo):
    alex = DirectoryUser.objects.get(mail=ALEX)
    page.goto(f"{demo.base_url}/")
    page.get_by_role("link", name="Sign in with Access Portal").click()

    # SP-initiated: the AuthnRequest waits while Alex signs in to the portal.
    page.get_by_label("Email address").fill(ALEX)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Sorry, but we're having trouble signing you in.")).to_be_visible()
    expect(page.get_by_text("AADSTS50105", exact=True)).to_be_visible()
    expect(page.get_by_text(alex.user_principal_name, exact=False)).to_be_visible()
    event = SignInEvent.objects.get(protocol="saml20")
    assert (event.status, event.error_code, event.user_id) == ("failure", 50105, alex.pk)
    expect(page.get_by_text(str(event.request_id)).first).to_be_visible()
