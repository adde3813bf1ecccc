"""Manage app: the self-service group's users, **+** → **Add members**, **Remove member**."""

import html
import json

import pytest
from django.urls import reverse

from directory import services as directory_services
from directory.emails import NOT_PUBLIC_DOMAIN
from directory.models import AuditEvent, DirectoryUser, GroupMember
from invitations import services as invitation_services
from invitations.models import Invitation, OutboundEmail
from portal import services
from portal.views import manage
from tests.factories import (
    ApplicationFactory,
    BlockedAddressFactory,
    DirectoryUserFactory,
    GroupFactory,
    GroupMemberFactory,
    TenantFactory,
)


@pytest.fixture
def owner(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen")


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Salesforce Users", owners=[owner])


@pytest.fixture
def app(tenant, group):
    return ApplicationFactory(
        tenant=tenant, display_name="Salesforce", self_service_enabled=True, self_service_group=group
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.account)
    return client


def manage_url(app) -> str:
    return reverse("portal:manage-app", args=[app.pk])


def add_url(app) -> str:
    return reverse("portal:manage-app-add", args=[app.pk])


def member_ids(group) -> set:
    return set(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))


# The add_members service ---------------------------------------------------------


def test_add_members_adds_existing_users_with_audit(owner, group, tenant):
    alex, lee = DirectoryUserFactory.create_batch(2, tenant=tenant)

    result = services.add_members(actor=owner, group=group, user_ids=[alex.pk, str(lee.pk)])

    assert member_ids(group) == {alex.pk, lee.pk}
    assert {u.pk for u in result.added} == {alex.pk, lee.pk}
    assert result.invited == []
    assert GroupMember.objects.get(group=group, user=alex).added_by == owner
    events = AuditEvent.objects.filter(activity="Add member to group", target_id=str(group.pk))
    assert events.count() == 2
    assert events.first().initiated_by_user == owner


def test_add_members_invites_new_address_as_guest_with_message(owner, group, tenant):
    result = services.add_members(
        actor=owner,
        group=group,
        emails=["Guest@Partner.example"],
        message="Welcome to the Salesforce pilot.",
        redirect_url="https://portal.example/apps/",
    )

    guest = DirectoryUser.objects.get(tenant=tenant, mail="guest@partner.example")
    assert guest.user_type == DirectoryUser.UserType.GUEST
    assert guest.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert member_ids(group) == {guest.pk}
    invitation = Invitation.objects.get(invited_user=guest)
    assert invitation.customized_message_body == "Welcome to the Salesforce pilot."
    assert invitation.invite_redirect_url == "https://portal.example/apps/"
    assert [r.user.pk for r in result.invited] == [guest.pk]
    assert result.invited[0].email_sent
    email = OutboundEmail.objects.get(to="guest@partner.example")
    assert "Welcome to the Salesforce pilot." in email.body_text
    assert AuditEvent.objects.filter(activity="Invite external user").count() == 1


def test_add_members_adds_the_directory_user_an_address_belongs_to(owner, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, mail="alex@contoso.example")

    result = services.add_members(actor=owner, group=group, emails=["ALEX@contoso.example"])

    assert member_ids(group) == {alex.pk}
    assert [u.pk for u in result.added] == [alex.pk]
    assert result.invited == []
    assert not Invitation.objects.exists()


def test_add_members_counts_a_person_picked_twice_once(owner, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant)

    result = services.add_members(actor=owner, group=group, user_ids=[alex.pk, str(alex.pk)], emails=[alex.mail])

    assert [u.pk for u in result.added] == [alex.pk]
    assert member_ids(group) == {alex.pk}


def test_add_members_refuses_an_empty_pick(owner, group):
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[], emails=["  "])
    assert excinfo.value.messages == [services.NOTHING_TO_ADD]


def test_add_members_refuses_a_message_over_1000_characters(owner, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant)
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[alex.pk], message="x" * 1001)
    assert excinfo.value.messages == [services.MESSAGE_TOO_LONG]
    assert member_ids(group) == set()


def test_add_members_refuses_an_invalid_address(owner, group):
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, emails=["not-an-address"])
    assert excinfo.value.messages == [services.INVALID_EMAIL.format(email="not-an-address")]


@pytest.mark.parametrize("email", ["sam@localhost", "sam@[10.0.0.1]", "sam@intranet"])
def test_add_members_refuses_an_address_without_a_public_domain_and_says_why(owner, group, email):
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, emails=[email])
    domain = email.rpartition("@")[2]
    assert excinfo.value.messages == [NOT_PUBLIC_DOMAIN.format(email=email, domain=domain)]
    assert "isn't a public internet domain" in excinfo.value.messages[0]


def test_add_members_refuses_more_than_50_people(owner, group):
    emails = [f"p{n}@partner.example" for n in range(51)]
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, emails=emails)
    assert excinfo.value.messages == [services.TOO_MANY_PEOPLE]
    assert not DirectoryUser.objects.filter(mail__endswith="@partner.example").exists()


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "other-tenant"])
def test_add_members_refuses_people_outside_the_directory(owner, group, tenant, bad_id):
    alex = DirectoryUserFactory(tenant=tenant)
    if bad_id == "other-tenant":
        bad_id = DirectoryUserFactory(tenant=TenantFactory()).pk
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[alex.pk, bad_id])
    assert excinfo.value.messages == [services.UNKNOWN_PERSON]
    assert member_ids(group) == set()


def test_add_members_refuses_someone_who_is_not_an_owner(group, tenant):
    alex, lee = DirectoryUserFactory.create_batch(2, tenant=tenant)
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=alex, group=group, user_ids=[lee.pk])
    assert excinfo.value.messages == [directory_services.NOT_OWNER_OF_GROUP.format(group=group)]
    assert member_ids(group) == set()


def test_add_members_refuses_while_the_tenant_turned_self_service_off(owner, group, tenant):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    alex = DirectoryUserFactory(tenant=tenant)
    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[alex.pk])
    assert excinfo.value.messages == [directory_services.SELF_SERVICE_GROUPS_OFF]
    assert member_ids(group) == set()


def test_add_members_is_all_or_nothing_when_one_is_already_a_member(owner, group, tenant):
    alex, lee = DirectoryUserFactory.create_batch(2, tenant=tenant)
    GroupMemberFactory(group=group, user=lee)

    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[alex.pk, lee.pk], emails=["new@partner.example"])

    assert excinfo.value.messages == [directory_services.ALREADY_MEMBER.format(name=lee.display_name, group=group)]
    assert member_ids(group) == {lee.pk}
    assert not DirectoryUser.objects.filter(mail="new@partner.example").exists()
    assert not AuditEvent.objects.filter(activity="Add member to group").exists()


def test_add_members_rolls_back_existing_users_when_an_invitation_is_refused(owner, group, tenant):
    tenant.allow_invites_from = tenant.AllowInvitesFrom.NONE
    tenant.save()
    alex = DirectoryUserFactory(tenant=tenant)

    with pytest.raises(services.PolicyError) as excinfo:
        services.add_members(actor=owner, group=group, user_ids=[alex.pk], emails=["new@partner.example"])

    assert excinfo.value.messages == [invitation_services.INVITES_DISABLED]
    assert member_ids(group) == set()
    assert not DirectoryUser.objects.filter(mail="new@partner.example").exists()
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.filter(activity="Add member to group").exists()


@pytest.mark.parametrize(("trait", "message"), [("dynamic", "GUEST_DYNAMIC_GROUP"), ("synced", "GUEST_SYNCED_GROUP")])
def test_add_members_refuses_guests_in_dynamic_or_synced_groups(owner, tenant, trait, message):
    group = GroupFactory(tenant=tenant, owners=[owner], **{trait: True})
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    for kwargs in ({"user_ids": [guest.pk]}, {"emails": ["new@partner.example"]}):
        with pytest.raises(services.PolicyError) as excinfo:
            services.add_members(actor=owner, group=group, **kwargs)
        assert excinfo.value.messages == [getattr(directory_services, message)]
    assert member_ids(group) == set()
    assert not DirectoryUser.objects.filter(mail="new@partner.example").exists()


def test_add_members_to_a_blocked_address_sends_no_email_but_returns_the_link(owner, group):
    BlockedAddressFactory(email="blocked@partner.example")

    result = services.add_members(actor=owner, group=group, emails=["blocked@partner.example"])

    assert [r.user.mail for r in result.invited_without_email] == ["blocked@partner.example"]
    assert result.invited_without_email[0].invite_redeem_url
    assert not OutboundEmail.objects.filter(to="blocked@partner.example").exists()
    assert GroupMember.objects.filter(group=group, user__mail="blocked@partner.example").exists()


def test_remove_member_removes_with_audit(owner, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant)
    GroupMemberFactory(group=group, user=alex)

    services.remove_member(actor=owner, group=group, user=alex)

    assert member_ids(group) == set()
    assert AuditEvent.objects.filter(activity="Remove member from group", initiated_by_user=owner).exists()


def test_remove_member_refuses_a_non_owner(group, tenant):
    alex, lee = DirectoryUserFactory.create_batch(2, tenant=tenant)
    GroupMemberFactory(group=group, user=lee)
    with pytest.raises(services.PolicyError):
        services.remove_member(actor=alex, group=group, user=lee)
    assert member_ids(group) == {lee.pk}


# The Manage app page ---------------------------------------------------------------


def test_manage_app_lists_the_self_service_group_users(owner_client, app, group, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="alex@contoso.example")
    GroupMemberFactory(group=group, user=DirectoryUser.objects.get(mail="alex@contoso.example"))
    pending = DirectoryUserFactory(tenant=tenant, pending=True, display_name="Lee Gu")
    GroupMemberFactory(group=group, user=pending)

    response = owner_client.get(manage_url(app))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Manage app: Salesforce" in body
    assert "Alex Wilber" in body and "alex@contoso.example" in body
    assert "Lee Gu" in body and "Guest" in body
    assert "Invitation accepted" in body
    assert 'aria-label="Add members"' in body
    assert 'aria-modal="true"' in body
    assert f'href="{add_url(app)}"' in body
    assert 'hx-trigger="input changed delay:250ms, search"' in body
    assert "add-members.js" in body


def test_manage_app_is_404_for_someone_who_does_not_own_the_group(client, app, tenant):
    member = DirectoryUserFactory(tenant=tenant)
    client.force_login(member.account)
    assert client.get(manage_url(app)).status_code == 404


def test_manage_app_is_404_when_self_service_is_off(owner_client, owner, tenant, group):
    app = ApplicationFactory(tenant=tenant, self_service_group=group, self_service_enabled=False)
    assert owner_client.get(manage_url(app)).status_code == 404


def test_manage_app_htmx_request_renders_only_the_list(owner_client, app):
    response = owner_client.get(manage_url(app), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="member-list"' in body
    assert "<html" not in body


def test_manage_app_paginates_25_a_page(owner_client, app, group, tenant):
    for n in range(30):
        GroupMemberFactory(group=group, user=DirectoryUserFactory(tenant=tenant, display_name=f"Person {n:02}"))

    first = owner_client.get(manage_url(app)).content.decode()
    second = owner_client.get(manage_url(app) + "?page=2").content.decode()

    assert "Person 00" in first and "Person 24" in first and "Person 25" not in first
    assert "Person 25" in second and "Person 29" in second and "Person 00" not in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("size", [1, 200])
def test_manage_app_list_query_count_is_constant(owner_client, app, group, tenant, size, django_assert_max_num_queries):
    for _ in range(size):
        GroupMemberFactory(group=group, user=DirectoryUserFactory(tenant=tenant))
    with django_assert_max_num_queries(10):
        response = owner_client.get(manage_url(app))
    assert response.status_code == 200


def test_manage_app_read_only_when_self_service_groups_are_off(owner_client, app, tenant, group):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    alex = DirectoryUserFactory(tenant=tenant)

    body = owner_client.get(manage_url(app)).content.decode()
    response = owner_client.post(add_url(app), {"user": [alex.pk]})

    assert directory_services.SELF_SERVICE_GROUPS_OFF.split("'")[0] in body
    assert 'aria-label="Add members"' not in body
    assert "Remove member" not in body
    assert response.status_code == 302
    assert member_ids(group) == set()


def test_add_from_dialog_swaps_the_list_and_closes_the_dialog(owner_client, app, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")

    response = owner_client.post(
        add_url(app), {"user": [alex.pk], "email": ["new.guest@partner.example"]}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "members-added" in json.loads(response["HX-Trigger"])
    body = response.content.decode()
    assert 'id="member-list"' in body and "<html" not in body
    assert "Added Alex Wilber to Salesforce Users." in body
    assert "Invited new.guest@partner.example as a guest." in body
    assert 'hx-swap-oob="true"' in body
    assert len(member_ids(group)) == 2
    invitation = Invitation.objects.get(invited_user_email_address="new.guest@partner.example")
    assert reverse("portal:launch", args=[app.pk]) + f"?tenantid={tenant.pk}" in invitation.invite_redirect_url


def test_add_from_dialog_shows_the_refusal_inline_and_keeps_the_picks(owner_client, app, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    GroupMemberFactory(group=group, user=alex)
    lee = DirectoryUserFactory(tenant=tenant, display_name="Lee Gu")

    response = owner_client.post(add_url(app), {"user": [alex.pk, lee.pk], "message": "Hi"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#add-members-form"
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "Alex Wilber is already a member of Salesforce Users." in body
    assert f'name="user" value="{lee.pk}"' in body
    assert "Remove Lee Gu" in body
    assert member_ids(group) == {alex.pk}


def test_add_without_javascript_redirects_with_a_confirmation(owner_client, app, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")

    response = owner_client.post(add_url(app), {"user": [alex.pk]}, follow=True)

    assert response.redirect_chain == [(manage_url(app), 302)]
    assert "Added Alex Wilber to Salesforce Users." in response.content.decode()
    assert member_ids(group) == {alex.pk}


def test_add_to_blocked_address_tells_the_owner_to_share_the_link(owner_client, app):
    BlockedAddressFactory(email="blocked@partner.example")

    response = owner_client.post(add_url(app), {"email": ["blocked@partner.example"]}, HTTP_HX_REQUEST="true")

    assert "No invitation email was sent to blocked@partner.example" in response.content.decode()
    assert "/invitations/" in response.content.decode()


def test_add_page_without_javascript_searches_with_a_get_form(owner_client, app, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")

    by_name = owner_client.get(add_url(app), {"q": "alex"}).content.decode()
    by_mail = owner_client.get(add_url(app), {"q": "someone@fabrikam.example"}).content.decode()

    assert "Alex Wilber" in by_name and 'type="checkbox" name="user"' in by_name
    assert "Invite someone@fabrikam.example as a guest" in by_mail


def test_add_page_search_button_keeps_the_picks_and_the_message(owner_client, app, group, tenant):
    lee = DirectoryUserFactory(tenant=tenant, display_name="Lee Gu")
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")

    response = owner_client.post(add_url(app), {"search": "1", "q": "alex", "user": [lee.pk], "message": "Hello"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="user" value="{lee.pk}" checked' in body
    assert "Alex Wilber" in body
    assert ">Hello</textarea>" in body
    assert member_ids(group) == set()


@pytest.mark.parametrize("htmx", [True, False], ids=["dialog", "without-javascript"])
def test_add_invites_the_address_typed_in_the_search_box_without_picking_it(owner_client, app, group, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = owner_client.post(add_url(app), {"q": " sam@partner.example ", "message": "Hi Sam"}, **headers)

    assert response.status_code == (200 if htmx else 302)
    guest = DirectoryUser.objects.get(mail="sam@partner.example")
    assert member_ids(group) == {guest.pk}
    assert Invitation.objects.get(invited_user=guest).customized_message_body == "Hi Sam"


@pytest.mark.parametrize("typed", ["Alex Wilber", "ALEX.WILBER@contoso.com"])
def test_add_picks_the_exact_match_typed_in_the_search_box(owner_client, app, group, tenant, typed):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="alex.wilber@contoso.com")
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilberforce")

    response = owner_client.post(add_url(app), {"q": typed}, HTTP_HX_REQUEST="true")

    assert "Added Alex Wilber to Salesforce Users." in response.content.decode()
    assert member_ids(group) == {alex.pk}


def test_add_with_typed_text_that_names_no_one_says_so_and_keeps_it(owner_client, app, group, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")

    response = owner_client.post(add_url(app), {"q": "Alex"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert html.escape(manage.TYPED_NO_MATCH.format(q="Alex")) in body
    assert 'value="Alex"' in body
    assert member_ids(group) == set()


def test_add_ignores_a_search_word_when_someone_is_picked(owner_client, app, group, tenant):
    lee = DirectoryUserFactory(tenant=tenant, display_name="Lee Gu")

    owner_client.post(add_url(app), {"q": "le", "user": [lee.pk]}, HTTP_HX_REQUEST="true")

    assert member_ids(group) == {lee.pk}


def test_add_page_message_over_1000_characters_is_refused_inline(owner_client, app, tenant, group):
    alex = DirectoryUserFactory(tenant=tenant)
    response = owner_client.post(add_url(app), {"user": [alex.pk], "message": "x" * 1001})
    assert response.status_code == 200
    assert "The welcome message can be at most 1,000 characters." in response.content.decode()
    assert member_ids(group) == set()


def test_remove_member_asks_for_confirmation_then_removes(owner_client, app, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    GroupMemberFactory(group=group, user=alex)
    url = reverse("portal:manage-app-remove-member", args=[app.pk, alex.pk])

    confirm = owner_client.get(url)
    response = owner_client.post(url)

    assert confirm.status_code == 200
    assert "Remove Alex Wilber" in confirm.content.decode()
    assert response.status_code == 302 and response["Location"] == manage_url(app)
    assert member_ids(group) == set()
    assert AuditEvent.objects.filter(activity="Remove member from group").exists()


def test_remove_member_is_404_for_someone_not_in_the_group(owner_client, app, tenant):
    stranger = DirectoryUserFactory(tenant=tenant)
    url = reverse("portal:manage-app-remove-member", args=[app.pk, stranger.pk])
    assert owner_client.post(url).status_code == 404
