"""Single sign-on story: Megan's Contoso Expenses tile signs her in to the sample OpenID Connect app."""

from playwright.sync_api import Page, expect

from directory import services as directory_services
from directory.demo import DEMO_PASSWORD, MEGAN
from directory.models import Application, DirectoryUser
from samples.oidc_expenses.app import SampleRelyingParty
from signin.models import AppRegistration, SignInEvent
from signin.services import update_redirect_uris
from tests.browser.conftest import sign_in


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
    tile = page.get_by_role("link", name="Contoso Expenses", exact=True)
    if tile.get_attribute("target") == "_blank":
        with page.context.expect_page() as opened:
            tile.click()
        app_page = opened.value
    else:
        tile.click()
        app_page = page

    expect(app_page.get_by_test_id("name")).to_have_text("Megan Bowen")
    expect(app_page.get_by_test_id("preferred-username")).to_have_text(megan.user_principal_name)
    expect(app_page.get_by_role("row", name=f"oid {megan.pk}")).to_be_visible()
    assert SignInEvent.objects.filter(user_id=megan.pk, protocol="oidc", status="success").count() == 1
