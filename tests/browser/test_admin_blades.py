"""Every admin center blade the Prerequisites story does not open: axe finds nothing serious, and at
320 px the page never scrolls sideways (wide tables scroll inside themselves)."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from directory.demo import ADMIN, DEMO_PASSWORD, JOHN, SALESFORCE, SALESFORCE_USERS
from directory.models import Application, DirectoryUser, Group
from samlidp.models import SamlConfiguration
from samlidp.services import configure_saml
from signin.models import SignInEvent
from signin.services import record_sign_in
from tests.browser.conftest import assert_accessible


def blade_urls() -> list[tuple[str, str]]:
    """(URL, the blade's heading) of each blade, on the seeded demo."""
    guest = DirectoryUser.objects.get(mail=JOHN)
    group = Group.objects.get(display_name=SALESFORCE_USERS)
    app = Application.objects.get(display_name=SALESFORCE, tenant=group.tenant)
    oidc_app = Application.objects.get(display_name="Contoso Expenses", tenant=group.tenant)
    if not SamlConfiguration.objects.filter(application=app).exists():
        configure_saml(application=app, actor=None, entity_id="https://salesforce.example/", reply_url=app.homepage_url)
    claim = app.saml_claims.first()
    refusal = record_sign_in(
        request=None,
        tenant=group.tenant,
        protocol=SignInEvent.Protocol.SAML,
        status=SignInEvent.Status.FAILURE,
        user=guest,
        application=app,
        error_code=50105,
        failure_reason="The signed in user is not assigned to a role for the application.",
    )

    def url(name: str, *args: object) -> str:
        return reverse(f"admin:{name}", args=args)

    return [
        (url("directory_directoryuser_changelist"), "Users | All users"),
        (url("directory_directoryuser_overview", guest.pk), f"{guest} | Overview"),
        (url("directory_directoryuser_change", guest.pk), f"{guest} | Properties"),
        (url("directory_group_members", group.pk), f"{group} | Members"),
        (url("directory_group_add_members", group.pk), f"{group} | Members"),
        (url("directory_group_change", group.pk), f"{group} | Properties"),
        (url("directory_application_users_and_groups", app.pk), f"{app} | Users and groups"),
        (url("directory_application_select_principals", app.pk), f"{app} | Users and groups"),
        (url("directory_application_change", app.pk), f"{app} | Properties"),
        (url("directory_application_single_sign_on", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_basic", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_claims", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_name_id", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_new_claim", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_claim", app.pk, claim.pk), f"{app} | Single sign-on"),
        (url("directory_application_saml_certificates", app.pk), f"{app} | Single sign-on"),
        (url("directory_application_single_sign_on", oidc_app.pk), f"{oidc_app} | Single sign-on"),
        (url("directory_tenant_external_collaboration"), "External Identities | External collaboration settings"),
        (url("directory_auditevent_changelist"), "Audit logs"),
        (url("signin_signinevent_changelist") + "?date=7d&user=john", "Sign-in logs"),
        (url("signin_signinevent_change", refusal.pk), "Activity Details: Sign-ins"),
        (url("invitations_invitation_changelist"), "External Identities | All invitations"),
        (url("invitations_invitation_invite"), "Invite external user"),
        (url("advanced"), "Advanced"),
    ]


@pytest.mark.parametrize("width", [1280, 320])
def test_every_admin_blade_is_accessible_and_fits(page: Page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/admin/login/")
    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()

    for url, heading in blade_urls():
        page.goto(url)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{url} scrolls sideways"
