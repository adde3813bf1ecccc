import html
import uuid

import pytest
from django.urls import reverse

from tests.factories import (
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
)


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.account)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def launch(client, app):
    return client.get(reverse("portal:launch", args=[app.pk]))


@pytest.mark.parametrize(
    ("traits", "expected"),
    [
        ({"linked": True, "sign_on_url": "https://linked.example/start"}, "https://linked.example/start"),
        ({"saml": True, "sign_on_url": "https://idp.example/saml/sso"}, "https://idp.example/saml/sso"),
        ({"single_sign_on_mode": "oidc", "sign_on_url": "https://ignored.example/"}, "https://home.example/"),
    ],
)
def test_launch_goes_where_the_single_sign_on_mode_says(signed_in, member, tenant, traits, expected):
    app = ApplicationFactory(tenant=tenant, homepage_url="https://home.example/", **traits)
    AppRoleAssignmentFactory(application=app, principal_user=member)

    response = launch(signed_in, app)

    assert response.status_code == 302
    assert response.url == expected


@pytest.mark.parametrize(
    ("mode", "sentence"),
    [
        ("password", "Password-based single sign-on is not available in this clone"),
        ("disabled", "Single sign-on is disabled for Legacy"),
    ],
)
def test_password_and_disabled_apps_say_why_they_do_not_open(signed_in, member, tenant, mode, sentence):
    app = ApplicationFactory(
        tenant=tenant, display_name="Legacy", homepage_url="https://home.example/", single_sign_on_mode=mode
    )
    AppRoleAssignmentFactory(application=app, principal_user=member)

    response = launch(signed_in, app)

    assert response.status_code == 409
    assert sentence in text(response)
    assert "https://home.example/" not in text(response)


def test_launch_through_a_group_assignment(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, homepage_url="https://home.example/")
    AppRoleAssignmentFactory(
        application=app, principal_user=None, principal_group=GroupFactory(tenant=tenant, members=[member])
    )

    assert launch(signed_in, app).url == "https://home.example/"


def test_launch_without_assignment_shows_the_refusal_page_with_request_access(signed_in, tenant):
    group = GroupFactory(tenant=tenant)
    app = ApplicationFactory(
        tenant=tenant, display_name="Salesforce", self_service_enabled=True, self_service_group=group
    )

    response = launch(signed_in, app)

    assert response.status_code == 403
    assert "You don't have access to Salesforce" in text(response)
    assert "your administrator hasn't granted you access" in text(response)
    assert ">Request access<" in text(response)
    assert reverse("portal:request-app", args=[app.pk]) in text(response)
    assert response.templates[0].name == "portal/access_denied.html"


def test_refusal_page_of_an_app_without_self_service_does_not_offer_a_request(signed_in, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Payroll")

    response = launch(signed_in, app)

    assert response.status_code == 403
    assert "hasn't granted you access" in text(response)
    assert "Request access" not in text(response)


def test_app_that_does_not_require_assignment_opens_for_anyone_in_the_tenant(signed_in, tenant):
    app = ApplicationFactory(tenant=tenant, app_role_assignment_required=False, homepage_url="https://open.example/")

    assert launch(signed_in, app).url == "https://open.example/"


def test_disabled_app_is_refused_even_when_assigned(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Legacy", disabled=True)
    AppRoleAssignmentFactory(application=app, principal_user=member)

    response = launch(signed_in, app)

    assert response.status_code == 403
    assert "Legacy is turned off" in text(response)


def test_app_without_any_address_explains_instead_of_failing(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, homepage_url="", display_name="Unfinished")
    AppRoleAssignmentFactory(application=app, principal_user=member)

    response = launch(signed_in, app)

    assert response.status_code == 200
    assert "Unfinished has no address yet" in text(response)


def test_launch_of_another_tenants_app_is_404(signed_in):
    app = ApplicationFactory(app_role_assignment_required=False)

    assert launch(signed_in, app).status_code == 404


def test_launch_of_an_unknown_app_is_404(signed_in):
    assert signed_in.get(reverse("portal:launch", args=[uuid.uuid4()])).status_code == 404


def test_direct_link_with_tenantid_opens_the_app_of_the_other_organization(signed_in, member):
    app = ApplicationFactory(homepage_url="https://fabrikam-app.example/")
    guest = DirectoryUserFactory(tenant=app.tenant, account=member.account, guest=True)
    AppRoleAssignmentFactory(application=app, principal_user=guest)

    response = signed_in.get(reverse("portal:launch", args=[app.pk]), {"tenantid": str(app.tenant.pk)})

    assert response.url == "https://fabrikam-app.example/"


def test_launch_redirects_anonymous_people_to_sign_in(client, tenant):
    app = ApplicationFactory(tenant=tenant)

    response = launch(client, app)

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))


def test_sample_app_greets_the_signed_in_user_with_organization(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Contoso Expenses")
    AppRoleAssignmentFactory(application=app, principal_user=member)

    response = signed_in.get(reverse("portal:sample-app", args=[app.pk]))

    assert response.status_code == 200
    expected = f"You're signed in to Contoso Expenses as {member.display_name} ({tenant.display_name})"
    assert expected in text(response)


def test_sample_app_refuses_a_user_without_assignment(signed_in, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Contoso Expenses")

    response = signed_in.get(reverse("portal:sample-app", args=[app.pk]))

    assert response.status_code == 403
    assert "You're signed in to" not in text(response)


def test_sample_app_of_another_tenant_is_404(signed_in):
    app = ApplicationFactory(app_role_assignment_required=False)

    assert signed_in.get(reverse("portal:sample-app", args=[app.pk])).status_code == 404


def test_disabled_directory_user_cannot_launch(client, tenant):
    user = DirectoryUserFactory(tenant=tenant, disabled=True)
    app = ApplicationFactory(tenant=tenant, app_role_assignment_required=False)
    client.force_login(user.account)

    response = launch(client, app)

    assert response.status_code == 403
    assert response.templates[0].name == "portal/no_organization.html"
