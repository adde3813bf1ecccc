import html

import pytest
from django.urls import reverse

from directory.models import DirectoryRoleAssignment
from portal.tenancy import SESSION_KEY
from portal.views.account import NOT_YOUR_ORGANIZATION
from tests.factories import (
    AccountFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    TenantFactory,
)


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def contoso(db):
    return TenantFactory(
        display_name="Contoso", initial_domain="contoso.onmicrosoft.com", verified_domains="contoso.com"
    )


@pytest.fixture
def fabrikam(db):
    return TenantFactory(
        display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com", verified_domains="fabrikam.com"
    )


@pytest.fixture
def account(db):
    return AccountFactory(email="lee.gu@fabrikam.com", display_name="Lee Gu")


@pytest.fixture
def two_organizations(account, contoso, fabrikam):
    home = DirectoryUserFactory(tenant=fabrikam, account=account, mail=account.email, display_name="Lee Gu")
    guest = DirectoryUserFactory(tenant=contoso, account=account, guest=True, display_name="Lee Gu")
    return home, guest


def current_organization(response) -> str:
    return response.context["current_tenant"].display_name


def test_switcher_lists_every_organization_of_the_account(client, account, two_organizations):
    client.force_login(account)

    page = text(client.get(reverse("portal:my-apps")))

    assert '<select id="org-switcher" name="tenant_id">' in page
    assert "Contoso (guest)</option>" in page
    assert "Fabrikam</option>" in page
    assert f'action="{reverse("portal:switch-organization")}"' in page


def test_home_organization_is_where_the_account_is_a_member(client, account, two_organizations):
    client.force_login(account)

    assert current_organization(client.get(reverse("portal:my-apps"))) == "Fabrikam"


def test_switching_organization_is_remembered_in_the_session(client, account, contoso, two_organizations):
    client.force_login(account)

    response = client.post(reverse("portal:switch-organization"), {"tenant_id": str(contoso.pk)}, follow=True)

    assert current_organization(response) == "Contoso"
    assert client.session[SESSION_KEY] == str(contoso.pk)
    assert "You're now working in Contoso." in text(response)
    assert current_organization(client.get(reverse("portal:profile"))) == "Contoso"


def test_switching_to_an_organization_of_someone_else_is_refused(client, account, two_organizations):
    client.force_login(account)
    stranger = TenantFactory()

    response = client.post(reverse("portal:switch-organization"), {"tenant_id": str(stranger.pk)}, follow=True)

    assert current_organization(response) == "Fabrikam"
    assert NOT_YOUR_ORGANIZATION in text(response)


def test_switch_organization_only_accepts_post(client, account, two_organizations):
    client.force_login(account)

    assert client.get(reverse("portal:switch-organization")).status_code == 405


@pytest.mark.parametrize("tenantid", ["id", "contoso.onmicrosoft.com", "contoso.com", "CONTOSO.com"])
def test_direct_link_with_tenantid_selects_the_organization(client, account, contoso, two_organizations, tenantid):
    client.force_login(account)
    value = str(contoso.pk) if tenantid == "id" else tenantid

    response = client.get(reverse("portal:my-apps"), {"tenantid": value})

    assert current_organization(response) == "Contoso"
    assert current_organization(client.get(reverse("portal:my-apps"))) == "Contoso"


def test_tenantid_of_an_organization_where_the_guest_has_not_accepted_is_ignored(client, account, contoso, fabrikam):
    DirectoryUserFactory(tenant=fabrikam, account=account, mail=account.email)
    DirectoryUserFactory(tenant=contoso, pending=True, mail=account.email)
    client.force_login(account)

    response = client.get(reverse("portal:my-apps"), {"tenantid": str(contoso.pk)})

    assert current_organization(response) == "Fabrikam"
    assert 'id="org-switcher"' not in text(response)
    assert "Contoso" not in text(client.get(reverse("portal:profile")))


def test_disabled_directory_user_is_not_offered(client, account, contoso, fabrikam):
    DirectoryUserFactory(tenant=fabrikam, account=account, mail=account.email)
    DirectoryUserFactory(tenant=contoso, account=account, guest=True, disabled=True)
    client.force_login(account)

    response = client.get(reverse("portal:my-apps"), {"tenantid": "contoso.com"})

    assert current_organization(response) == "Fabrikam"
    assert 'id="org-switcher"' not in text(response)


def test_one_organization_shows_its_name_without_a_switcher(client, member):
    client.force_login(member.account)

    page = text(client.get(reverse("portal:my-apps")))

    assert 'id="org-switcher"' not in page
    assert f'<span class="visually-hidden">Organization: </span>{member.tenant.display_name}</span>' in page


def test_account_without_any_organization_sees_why(client, db):
    client.force_login(AccountFactory())

    response = client.get(reverse("portal:my-apps"))

    assert response.status_code == 403
    assert "You don't belong to an organization here yet" in text(response)


def test_profile_shows_name_email_organizations_user_types_and_roles(client, account, two_organizations):
    home, _ = two_organizations
    DirectoryRoleAssignmentFactory(user=home, role=DirectoryRoleAssignment.Role.GUEST_INVITER)
    client.force_login(account)

    response = client.get(reverse("portal:profile"))
    page = text(response)

    assert response.status_code == 200
    assert "<h1>My account</h1>" in page
    assert "Lee Gu" in page
    assert "lee.gu@fabrikam.com" in page
    assert "Contoso" in page
    assert "<td>Guest</td>" in page
    assert "<td>Member</td>" in page
    assert "<td>Guest Inviter</td>" in page
    assert "Current organization" in page
    assert f'action="{reverse("portal:sign-out")}"' in page


def test_profile_redirects_anonymous_people_to_sign_in(client, db):
    response = client.get(reverse("portal:profile"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))


def test_top_bar_links_to_my_account_with_the_persons_initial(client, member):
    client.force_login(member.account)

    page = text(client.get(reverse("portal:my-apps")))

    assert f'<span class="avatar" aria-hidden="true">{member.display_name[0].upper()}</span>' in page
    assert f'href="{reverse("portal:profile")}"' in page
