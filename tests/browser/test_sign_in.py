import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import DEFAULT_PASSWORD, AppRoleAssignmentFactory, DirectoryUserFactory


@pytest.fixture
def member_with_app(transactional_db):
    user = DirectoryUserFactory(display_name="Megan Bowen", mail="megan@contoso.test")
    AppRoleAssignmentFactory(
        application__tenant=user.tenant, application__display_name="Salesforce", principal_user=user
    )
    return user


def test_a_member_signs_in_and_sees_their_apps(page: Page, member_with_app):
    sign_in(page, "MEGAN@contoso.test", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()
    expect(page.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()
    expect(page.get_by_text(member_with_app.tenant.display_name)).to_be_visible()
    assert_accessible(page)


def test_a_wrong_password_is_refused_with_a_sentence(page: Page, member_with_app):
    sign_in(page, "megan@contoso.test", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")
    assert_accessible(page)
