"""Groups: Groups I own / Groups I'm in, Join group, a group's page and the owner's and member's actions."""

import pytest
from django.urls import reverse

from directory import services as directory_services
from directory.models import AuditEvent, DirectoryRoleAssignment, Group, GroupMember, GroupOwner
from invitations.models import Invitation
from portal import services
from tests.factories import (
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    GroupMemberFactory,
    GroupOwnerFactory,
    TenantFactory,
)


@pytest.fixture
def owner(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Adele Vance")


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Marketing", description="Campaigns", owners=[owner])


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.account)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member.account)
    return client


def is_member(group, user) -> bool:
    return GroupMember.objects.filter(group=group, user=user).exists()


def activities() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("activity", flat=True))


def group_url(group, name="portal:group") -> str:
    return reverse(name, args=[group.pk])


# Joining and leaving ------------------------------------------------------------


def test_join_group_adds_the_member_of_an_open_group(tenant, member):
    group = GroupFactory(tenant=tenant, open=True)
    services.join_group(actor=member, group=group)
    assert is_member(group, member)
    assert activities() == ["Add member to group"]


@pytest.mark.parametrize(
    ("traits", "message"),
    [
        ({"approval": True}, services.GROUP_NEEDS_APPROVAL),
        ({}, services.GROUP_CLOSED),
        ({"open": True, "synced": True}, directory_services.SYNCED_GROUP_READ_ONLY),
        ({"open": True, "dynamic": True}, directory_services.DYNAMIC_GROUP_NO_MANUAL_MEMBERS),
    ],
)
def test_join_group_refuses_groups_not_open_to_joining(tenant, member, traits, message):
    group = GroupFactory(tenant=tenant, **traits)
    with pytest.raises(services.PolicyError) as excinfo:
        services.join_group(actor=member, group=group)
    assert excinfo.value.messages == [message.format(group=group)]
    assert not is_member(group, member)
    assert activities() == []


def test_join_group_refuses_while_the_tenant_turned_self_service_off(member, tenant):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    group = GroupFactory(tenant=tenant, open=True)
    with pytest.raises(services.PolicyError) as excinfo:
        services.join_group(actor=member, group=group)
    assert excinfo.value.messages == [services.SELF_SERVICE_OFF_FOR_MEMBERS]
    assert not is_member(group, member)


def test_join_group_refuses_a_second_join_and_other_tenants(tenant, member):
    group = GroupFactory(tenant=tenant, open=True, members=[member])
    stranger = DirectoryUserFactory(tenant=TenantFactory(owners_can_manage_group_membership_requests=True))
    with pytest.raises(services.PolicyError) as excinfo:
        services.join_group(actor=member, group=group)
    assert excinfo.value.messages == [directory_services.ALREADY_MEMBER.format(name=member.display_name, group=group)]
    with pytest.raises(services.PolicyError):
        services.join_group(actor=stranger, group=group)
    assert not is_member(group, stranger)


def test_leave_group_removes_the_member_with_audit(tenant, member):
    group = GroupFactory(tenant=tenant, members=[member])
    services.leave_group(actor=member, group=group)
    assert not is_member(group, member)
    assert activities() == ["Remove member from group"]


def test_leave_group_refuses_non_members_synced_groups_and_when_self_service_is_off(tenant, member):
    outsider_group = GroupFactory(tenant=tenant)
    synced = GroupFactory(tenant=tenant, synced=True, members=[member])
    with pytest.raises(services.PolicyError) as excinfo:
        services.leave_group(actor=member, group=outsider_group)
    assert excinfo.value.messages == [
        directory_services.NOT_A_MEMBER.format(name=member.display_name, group=outsider_group)
    ]
    with pytest.raises(services.PolicyError):
        services.leave_group(actor=member, group=synced)
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    plain = GroupFactory(tenant=tenant, members=[member])
    with pytest.raises(services.PolicyError) as excinfo:
        services.leave_group(actor=member, group=plain)
    assert excinfo.value.messages == [services.SELF_SERVICE_OFF_FOR_MEMBERS]
    assert is_member(synced, member) and is_member(plain, member)


# Creating and owning a group --------------------------------------------------------


def test_create_portal_group_makes_the_creator_owner_and_is_open_by_default(member):
    group = services.create_portal_group(actor=member, display_name=" Book club ", description="Monthly")
    assert group.display_name == "Book club"
    assert group.join_policy == Group.JoinPolicy.OPEN
    assert group.membership_type == Group.MembershipType.ASSIGNED
    assert list(group.owner_links.values_list("user_id", flat=True)) == [member.pk]
    assert activities() == ["Add group", "Add owner to group"]


@pytest.mark.parametrize(
    ("setting", "group_type", "message"),
    [
        ("users_can_create_security_groups", Group.GroupType.SECURITY, services.CANT_CREATE_SECURITY),
        ("users_can_create_m365_groups", Group.GroupType.MICROSOFT_365, services.CANT_CREATE_M365),
    ],
)
def test_create_portal_group_follows_the_tenant_settings(member, tenant, setting, group_type, message):
    setattr(tenant, setting, False)
    tenant.save()
    with pytest.raises(services.PolicyError) as excinfo:
        services.create_portal_group(actor=member, display_name="New", group_type=group_type)
    assert excinfo.value.messages == [message]
    assert not Group.objects.exists()
    admin = DirectoryUserFactory(tenant=tenant)
    DirectoryRoleAssignmentFactory(user=admin, role=DirectoryRoleAssignment.Role.USER_ADMINISTRATOR)
    assert services.create_portal_group(actor=admin, display_name="New", group_type=group_type).pk


def test_create_portal_group_refuses_bad_input(member):
    with pytest.raises(services.PolicyError) as excinfo:
        services.create_portal_group(actor=member, display_name="X", group_type="Distribution")
    assert excinfo.value.messages == [services.UNKNOWN_GROUP_TYPE]
    with pytest.raises(services.PolicyError) as excinfo:
        services.create_portal_group(actor=member, display_name="  ")
    assert excinfo.value.messages == [directory_services.GROUP_NAME_REQUIRED]
    assert not Group.objects.exists()


def test_update_group_details_changes_name_description_and_policy(owner, group):
    services.update_group_details(
        actor=owner, group=group, display_name="Marketing EMEA", description="", join_policy="ownerApproval"
    )
    group.refresh_from_db()
    assert (group.display_name, group.description, group.join_policy) == ("Marketing EMEA", "", "ownerApproval")
    event = AuditEvent.objects.get(activity="Update group")
    assert set(event.details["modifiedProperties"]) == {"display_name", "description", "join_policy"}


def test_update_group_details_refuses_non_owners_and_joinable_dynamic_groups(owner, member, tenant, group):
    with pytest.raises(services.PolicyError) as excinfo:
        services.update_group_details(actor=member, group=group, display_name="X", description="", join_policy="open")
    assert excinfo.value.messages == [directory_services.NOT_OWNER_OF_GROUP.format(group=group)]
    dynamic = GroupFactory(tenant=tenant, dynamic=True, owners=[owner])
    with pytest.raises(services.PolicyError) as excinfo:
        services.update_group_details(actor=owner, group=dynamic, display_name="D", description="", join_policy="open")
    assert excinfo.value.messages == [services.JOIN_POLICY_NEEDS_ASSIGNED.format(group=dynamic)]
    group.refresh_from_db()
    assert group.display_name == "Marketing"
    assert activities() == []


def test_update_group_details_refuses_bad_input_and_while_self_service_is_off(owner, group, tenant):
    with pytest.raises(services.PolicyError) as excinfo:
        services.update_group_details(actor=owner, group=group, display_name="M", description="", join_policy="x")
    assert excinfo.value.messages == [services.UNKNOWN_JOIN_POLICY]
    with pytest.raises(services.PolicyError) as excinfo:
        services.update_group_details(
            actor=owner, group=group, display_name="M", description="d" * 1025, join_policy="open"
        )
    assert excinfo.value.messages == [services.DESCRIPTION_TOO_LONG]
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    with pytest.raises(services.PolicyError) as excinfo:
        services.update_group_details(actor=owner, group=group, display_name="M", description="", join_policy="open")
    assert excinfo.value.messages == [directory_services.SELF_SERVICE_GROUPS_OFF]
    group.refresh_from_db()
    assert (group.display_name, group.join_policy) == ("Marketing", "closed")
    assert activities() == []


def test_add_and_remove_owner_with_audit_but_never_the_last(owner, member, group):
    services.add_owner(actor=owner, group=group, user=member)
    services.remove_owner(actor=member, group=group, user=owner)
    with pytest.raises(services.PolicyError) as excinfo:
        services.remove_owner(actor=member, group=group, user=member)
    assert excinfo.value.messages == [directory_services.LAST_OWNER.format(group=group, name=member.display_name)]
    assert list(GroupOwner.objects.filter(group=group).values_list("user_id", flat=True)) == [member.pk]
    assert activities() == ["Add owner to group", "Remove owner from group"]


def test_owner_changes_are_refused_to_non_owners(owner, member, group):
    with pytest.raises(services.PolicyError):
        services.add_owner(actor=member, group=group, user=member)
    with pytest.raises(services.PolicyError):
        services.remove_owner(actor=member, group=group, user=owner)
    with pytest.raises(services.PolicyError):
        services.delete_portal_group(actor=member, group=group)
    assert Group.objects.filter(pk=group.pk).exists()
    assert list(GroupOwner.objects.filter(group=group).values_list("user_id", flat=True)) == [owner.pk]
    assert activities() == []


def test_delete_portal_group_deletes_with_audit(owner, group):
    services.delete_portal_group(actor=owner, group=group)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert activities() == ["Delete group"]


# Pages ---------------------------------------------------------------------------


def test_groups_page_has_both_tabs_with_counts_and_search(member_client, member, tenant):
    GroupFactory(tenant=tenant, display_name="Owned One", owners=[member])
    GroupFactory(tenant=tenant, display_name="Joined One", members=[member])
    GroupFactory(tenant=tenant, display_name="Joined Two", members=[member])
    GroupFactory(tenant=tenant, display_name="Not Mine")

    owned = member_client.get(reverse("portal:groups")).content.decode()
    joined = member_client.get(reverse("portal:groups"), {"tab": "member"}).content.decode()
    searched = member_client.get(reverse("portal:groups"), {"tab": "member", "q": "two"}, HTTP_HX_REQUEST="true")

    assert "Groups I own" in owned and "Groups I&#x27;m in" in owned
    assert "Owned One" in owned and "Joined One" not in owned
    assert '<span class="badge">1</span>' in owned and '<span class="badge">2</span>' in owned
    assert "Joined One" in joined and "Joined Two" in joined and "Not Mine" not in joined
    body = searched.content.decode()
    assert "<html" not in body and "Joined Two" in body and "Joined One" not in body


def test_join_group_list_offers_only_groups_open_to_joining(member_client, member, tenant):
    GroupFactory(tenant=tenant, display_name="Open Club", open=True)
    GroupFactory(tenant=tenant, display_name="Approval Club", approval=True)
    GroupFactory(tenant=tenant, display_name="Closed Club")
    GroupFactory(tenant=tenant, display_name="Dynamic Club", dynamic=True, open=True)
    GroupFactory(tenant=tenant, display_name="Synced Club", synced=True, open=True)
    GroupFactory(tenant=tenant, display_name="Mine Club", open=True, members=[member])
    GroupFactory(tenant=TenantFactory(), display_name="Elsewhere Club", open=True)

    body = member_client.get(reverse("portal:groups-join")).content.decode()
    searched = member_client.get(reverse("portal:groups-join"), {"q": "approv"}).content.decode()

    assert "Open Club" in body and "Approval Club" in body
    for hidden in ("Closed Club", "Dynamic Club", "Synced Club", "Mine Club", "Elsewhere Club"):
        assert hidden not in body
    assert "Request to join" in body and "Join group" in body
    assert "Approval Club" in searched and "Open Club" not in searched


def test_groups_are_refused_when_the_tenant_restricts_groups_features(member_client, tenant, member):
    tenant.restrict_access_panel_groups = True
    tenant.save()
    group = GroupFactory(tenant=tenant, open=True, display_name="Hidden Club")

    for url in (reverse("portal:groups"), reverse("portal:groups-join"), group_url(group)):
        response = member_client.get(url)
        assert response.status_code == 403
        assert "Restrict user ability to access groups features" in response.content.decode()
        assert "Hidden Club" not in response.content.decode()
    assert member_client.post(group_url(group, "portal:group-join")).status_code == 403
    assert not is_member(group, member)


def test_administrators_keep_groups_when_the_tenant_restricts_them(client, tenant):
    tenant.restrict_access_panel_groups = True
    tenant.save()
    admin = DirectoryUserFactory(tenant=tenant)
    DirectoryRoleAssignmentFactory(user=admin)
    client.force_login(admin.account)
    assert client.get(reverse("portal:groups")).status_code == 200


def test_group_page_shows_details_members_owners_and_owner_actions(owner_client, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    GroupMemberFactory(group=group, user=alex)

    response = owner_client.get(group_url(group))

    body = response.content.decode()
    assert response.status_code == 200
    for text in ("Security", "Assigned", "Closed: only owners can add members", "Alex Wilber", "Adele Vance"):
        assert text in body
    for label in ("Edit details", "Delete group", "Remove member", "Make owner", 'aria-label="Add members"'):
        assert label in body
    assert "Leave group" not in body


def test_group_page_htmx_request_renders_the_member_list(owner_client, group):
    response = owner_client.get(group_url(group) + "?page=1", HTTP_HX_REQUEST="true")
    assert 'id="member-list"' in response.content.decode()
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("size", [1, 200])
def test_group_page_query_count_is_constant(owner_client, group, tenant, size, django_assert_max_num_queries):
    for _ in range(size):
        GroupMemberFactory(group=group, user=DirectoryUserFactory(tenant=tenant))
    with django_assert_max_num_queries(12):
        response = owner_client.get(group_url(group))
    assert response.status_code == 200


def test_group_page_for_a_member_offers_leave_group_without_owner_actions(member_client, member, group):
    GroupMemberFactory(group=group, user=member)
    body = member_client.get(group_url(group)).content.decode()
    assert "Leave group" in body
    for label in ("Edit details", "Delete group", "Remove member", 'aria-label="Add members"'):
        assert label not in body


def test_group_page_for_a_non_member_only_when_joinable(member_client, tenant):
    secret_member = DirectoryUserFactory(tenant=tenant, display_name="Secret Member")
    closed = GroupFactory(tenant=tenant, display_name="Closed Club", members=[secret_member])
    approval = GroupFactory(tenant=tenant, approval=True, members=[secret_member])

    refused = member_client.get(group_url(closed))
    shown = member_client.get(group_url(approval)).content.decode()

    assert refused.status_code == 404
    assert "Closed Club" not in refused.content.decode()
    assert "Request to join" in shown
    assert "Secret Member" not in shown


def test_group_page_is_read_only_for_dynamic_groups_with_the_reason(owner_client, owner, tenant):
    dynamic = GroupFactory(tenant=tenant, dynamic=True, owners=[owner], display_name="Sales (dynamic)")
    body = owner_client.get(group_url(dynamic)).content.decode()
    assert "its membership rule decides who is a member" in body
    assert 'aria-label="Add members"' not in body and "Remove member" not in body


def test_group_page_is_read_only_while_owners_may_not_manage_members(owner_client, tenant, group):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    body = owner_client.get(group_url(group)).content.decode()
    assert "Owners can manage group membership requests in the Access Panel" in body
    assert 'aria-label="Add members"' not in body and "Edit details" not in body


def test_joining_an_open_group_from_its_page(member_client, member, tenant):
    group = GroupFactory(tenant=tenant, open=True)
    confirm = member_client.get(group_url(group, "portal:group-join"))
    response = member_client.post(group_url(group, "portal:group-join"))
    assert confirm.status_code == 200 and "Join group" in confirm.content.decode()
    assert response.status_code == 302 and response["Location"] == group_url(group)
    assert is_member(group, member)


def test_join_page_is_404_for_a_closed_group(member_client, member, tenant):
    group = GroupFactory(tenant=tenant)
    assert member_client.post(group_url(group, "portal:group-join")).status_code == 404
    assert not is_member(group, member)


def test_leaving_a_group_asks_first(member_client, member, tenant):
    group = GroupFactory(tenant=tenant, members=[member])
    assert "Leave group" in member_client.get(group_url(group, "portal:group-leave")).content.decode()
    response = member_client.post(group_url(group, "portal:group-leave"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:groups")
    assert not is_member(group, member)


def test_create_group_page_creates_an_owned_open_group(member_client, member):
    form = member_client.get(reverse("portal:group-new")).content.decode()
    response = member_client.post(
        reverse("portal:group-new"),
        {"group_type": "Security", "display_name": "Book club", "description": "", "join_policy": "open"},
    )
    group = Group.objects.get(display_name="Book club")
    assert 'value="open" selected' in form
    assert response.status_code == 302 and response["Location"] == group_url(group)
    assert group.owner_links.filter(user=member).exists()


def test_create_group_page_is_refused_when_users_may_not_create_groups(member_client, tenant):
    tenant.users_can_create_security_groups = False
    tenant.users_can_create_m365_groups = False
    tenant.save()
    assert member_client.get(reverse("portal:group-new")).status_code == 403
    assert "Create group" not in member_client.get(reverse("portal:groups")).content.decode()


def test_create_group_page_offers_only_the_allowed_types(member_client, tenant):
    tenant.users_can_create_security_groups = False
    tenant.save()
    body = member_client.get(reverse("portal:group-new")).content.decode()
    assert 'value="Microsoft365"' in body and 'value="Security"' not in body
    response = member_client.post(
        reverse("portal:group-new"),
        {"group_type": "Security", "display_name": "Sneaky", "description": "", "join_policy": "open"},
    )
    assert response.status_code == 200
    assert not Group.objects.filter(display_name="Sneaky").exists()


def test_edit_details_saves_and_shows_refusals_inline(owner_client, owner, group, tenant):
    response = owner_client.post(
        group_url(group, "portal:group-edit"),
        {"display_name": "Marketing EMEA", "description": "EU", "join_policy": "ownerApproval"},
    )
    group.refresh_from_db()
    dynamic = GroupFactory(tenant=tenant, dynamic=True, owners=[owner])
    refused = owner_client.post(
        group_url(dynamic, "portal:group-edit"), {"display_name": "D", "description": "", "join_policy": "open"}
    )
    assert response.status_code == 302
    assert group.display_name == "Marketing EMEA" and group.join_policy == "ownerApproval"
    assert refused.status_code == 200
    assert "can only be closed to joining" in refused.content.decode()


def test_owner_pages_make_owner_remove_owner_and_delete(owner_client, owner, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    GroupMemberFactory(group=group, user=alex)

    owner_client.post(reverse("portal:group-add-owner", args=[group.pk, alex.pk]))
    assert group.owner_links.filter(user=alex).exists()
    remove_url = reverse("portal:group-remove-owner", args=[group.pk, alex.pk])
    assert "Remove owner" in owner_client.get(remove_url).content.decode()
    owner_client.post(remove_url)
    assert not group.owner_links.filter(user=alex).exists()
    last = owner_client.post(reverse("portal:group-remove-owner", args=[group.pk, owner.pk]), follow=True)
    assert "needs at least one owner" in last.content.decode()
    assert "Delete Marketing?" in owner_client.get(group_url(group, "portal:group-delete")).content.decode()
    response = owner_client.post(group_url(group, "portal:group-delete"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:groups")
    assert not Group.objects.filter(pk=group.pk).exists()


def test_group_add_members_dialog_adds_and_invites_to_my_apps(owner_client, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    response = owner_client.post(
        group_url(group, "portal:group-add-members"),
        {"user": [alex.pk], "email": ["guest@partner.example"], "message": "Welcome!"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Added Alex Wilber to Marketing." in response.content.decode()
    assert is_member(group, alex)
    invitation = Invitation.objects.get(invited_user_email_address="guest@partner.example")
    assert invitation.invite_redirect_url.startswith("http")
    assert f"{reverse('portal:my-apps')}?tenantid={tenant.pk}" in invitation.invite_redirect_url
    assert invitation.customized_message_body == "Welcome!"


def test_group_remove_member_from_the_group_page(owner_client, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant)
    GroupMemberFactory(group=group, user=alex)
    response = owner_client.post(reverse("portal:group-remove-member", args=[group.pk, alex.pk]))
    assert response.status_code == 302 and response["Location"] == group_url(group)
    assert not is_member(group, alex)


def test_adding_members_refreshes_the_details_count_with_the_list(owner_client, group, tenant):
    GroupMemberFactory(group=group, user=DirectoryUserFactory(tenant=tenant))
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber")
    page = owner_client.get(group_url(group)).content.decode()
    assert '<span id="member-count">1</span>' in page

    response = owner_client.post(
        group_url(group, "portal:group-add-members"), {"user": [alex.pk]}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "Members (2)" in body
    assert '<span id="member-count" hx-swap-oob="true">2</span>' in body


def test_the_only_owner_is_not_offered_remove_owner_and_is_told_why(owner_client, owner, group, tenant):
    body = owner_client.get(group_url(group)).content.decode()

    assert reverse("portal:group-remove-owner", args=[group.pk, owner.pk]) not in body
    assert directory_services.LAST_OWNER.format(group=group, name=owner.display_name) in body

    co_owner = DirectoryUserFactory(tenant=tenant)
    GroupOwnerFactory(group=group, user=co_owner)
    body = owner_client.get(group_url(group)).content.decode()
    assert reverse("portal:group-remove-owner", args=[group.pk, owner.pk]) in body
    assert "needs at least one owner" not in body


def test_the_add_members_button_has_a_name_and_a_tooltip(owner_client, group):
    body = owner_client.get(group_url(group)).content.decode()

    assert 'aria-label="Add members" title="Add members"' in body
    link = 'title="Add members"><span aria-hidden="true">+</span><span class="visually-hidden">Add members</span>'
    assert link in body
