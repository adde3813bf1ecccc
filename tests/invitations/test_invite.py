import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from directory.audit import Activity
from directory.emails import NOT_PUBLIC_DOMAIN
from directory.models import AuditEvent, DirectoryRoleAssignment, DirectoryUser, GroupMember, Tenant
from directory.services import GUEST_DYNAMIC_GROUP, GUEST_SYNCED_GROUP
from invitations import services
from invitations.models import BlockedAddress, Invitation, OutboundEmail
from invitations.services import (
    InvitationError,
    block_future_invitations,
    invite_guest,
    resend_invitation,
    reset_redemption,
    revoke_invitation,
)
from invitations.tickets import hash_ticket, read_block_token
from tests.factories import (
    AccountFactory,
    AppRoleAssignmentFactory,
    BlockedAddressFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    InvitationFactory,
    TenantFactory,
)


def ticket_of(result) -> str:
    return result.invite_redeem_url.rstrip("/").rsplit("/", 1)[1]


def activities(tenant) -> list[str]:
    return list(AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("activity", flat=True))


# The happy path ----------------------------------------------------------------


def test_invite_creates_pending_guest_membership_invitation_email_and_audit(tenant, member):
    group = GroupFactory(tenant=tenant)

    result = invite_guest(tenant=tenant, inviter=member, email="  John@Fabrikam.com ", group=group, message="Hi")

    user = result.user
    assert result.created and result.email_sent and not result.already_accepted
    assert user.mail == "john@fabrikam.com"
    assert user.user_type == DirectoryUser.UserType.GUEST
    assert user.creation_type == DirectoryUser.CreationType.INVITATION
    assert user.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert user.user_principal_name == f"john_fabrikam.com#EXT#@{tenant.initial_domain}"
    assert user.invited_by == member
    assert user.account is None
    assert user.display_name == "john"
    assert GroupMember.objects.filter(group=group, user=user).exists()
    invitation = result.invitation
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert invitation.invited_by == member
    assert invitation.send_count == 1
    assert invitation.customized_message_body == "Hi"
    assert OutboundEmail.objects.get().invitation == invitation
    assert activities(tenant) == [Activity.ADD_MEMBER_TO_GROUP, Activity.INVITE_EXTERNAL_USER]


def test_invite_names_the_guest_after_their_home_account(tenant, member):
    AccountFactory(email="lee.gu@fabrikam.com", display_name="Lee Gu")
    DirectoryUserFactory(mail="grady.archie@fabrikam.com", display_name="Grady Archie", account=None)

    lee = invite_guest(tenant=tenant, inviter=member, email="lee.gu@fabrikam.com").user
    grady = invite_guest(tenant=tenant, inviter=member, email="Grady.Archie@fabrikam.com").user

    assert lee.display_name == "Lee Gu"
    assert grady.display_name == "Grady Archie"


def test_invite_stores_only_the_hash_of_a_256_bit_ticket(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com")

    plain = ticket_of(result)
    assert len(plain) == 43  # token_urlsafe(32): 256 bits
    assert result.invitation.ticket_hash == hash_ticket(plain)
    assert plain not in str(Invitation.objects.values().get())
    assert plain in OutboundEmail.objects.get().body_text


def test_invite_link_lifetime_sets_expiry_and_zero_means_never(member):
    tenant = member.tenant
    result = invite_guest(tenant=tenant, inviter=member, email="a@fabrikam.com")
    assert result.invitation.expires_date_time is None

    Tenant.objects.filter(pk=tenant.pk).update(invitation_link_lifetime_days=7)
    result = invite_guest(tenant=tenant, inviter=member, email="b@fabrikam.com")
    expected = timezone.now() + timedelta(days=7)
    assert abs(result.invitation.expires_date_time - expected) < timedelta(minutes=1)


def test_invite_uses_given_display_name_and_redirect_url(tenant, member):
    result = invite_guest(
        tenant=tenant,
        inviter=member,
        email="john@fabrikam.com",
        display_name=" John Smith ",
        redirect_url="https://app.example/start",
        message_language="fr-FR",
    )

    assert result.user.display_name == "John Smith"
    assert result.invitation.invite_redirect_url == "https://app.example/start"
    assert result.invitation.message_language == "fr-FR"
    assert "https://app.example/start" in OutboundEmail.objects.get().body_text


def test_invite_without_message_sends_no_email_but_returns_the_link(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", send_invitation_message=False)

    assert not result.email_sent
    assert result.invitation.send_count == 0
    assert result.invite_redeem_url.startswith("http")
    assert not OutboundEmail.objects.exists()


# Address validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", services.EMAIL_REQUIRED),
        ("   ", services.EMAIL_REQUIRED),
        ("a" * 250 + "@b.com", services.EMAIL_TOO_LONG),
        ("John <john@fabrikam.com>", services.EMAIL_WITH_NAME),
        ('"John" john@fabrikam.com', services.EMAIL_WITH_NAME),
        ("john@fabrikam.com\r\nBcc: all@victim.example", services.EMAIL_LINE_BREAK),
        ("john@fabrikam.com\nBcc: all@victim.example", services.EMAIL_LINE_BREAK),
        ("not-an-address", services.EMAIL_INVALID.format(email="not-an-address")),
        ("john@@fabrikam.com", services.EMAIL_INVALID.format(email="john@@fabrikam.com")),
        ("john@fabrikam", NOT_PUBLIC_DOMAIN.format(email="john@fabrikam", domain="fabrikam")),
        ("a@localhost", NOT_PUBLIC_DOMAIN.format(email="a@localhost", domain="localhost")),
        ("a@portal.localhost", NOT_PUBLIC_DOMAIN.format(email="a@portal.localhost", domain="portal.localhost")),
        ("a@[127.0.0.1]", NOT_PUBLIC_DOMAIN.format(email="a@[127.0.0.1]", domain="[127.0.0.1]")),
        ("a@[IPv6:::1]", NOT_PUBLIC_DOMAIN.format(email="a@[ipv6:::1]", domain="[ipv6:::1]")),
        ("a@127.0.0.1", NOT_PUBLIC_DOMAIN.format(email="a@127.0.0.1", domain="127.0.0.1")),
    ],
)
def test_invite_refuses_invalid_addresses(tenant, member, email, message):
    with pytest.raises(InvitationError) as excinfo:
        invite_guest(tenant=tenant, inviter=member, email=email)

    assert excinfo.value.message == message
    assert not DirectoryUser.objects.filter(user_type=DirectoryUser.UserType.GUEST).exists()


def test_a_unicode_domain_and_its_ascii_form_are_one_guest(tenant, member):
    first = invite_guest(tenant=tenant, inviter=member, email="User@Bücher.example")
    second = invite_guest(tenant=tenant, inviter=member, email="user@xn--bcher-kva.example")

    assert first.user.mail == "user@xn--bcher-kva.example"
    assert second.user == first.user and not second.created
    assert DirectoryUser.objects.filter(user_type=DirectoryUser.UserType.GUEST).count() == 1


def test_a_unicode_domain_matches_its_ascii_form_in_collaboration_restrictions(tenant, member):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "bücher.example"
    tenant.save()

    with pytest.raises(InvitationError, match="xn--bcher-kva.example"):
        invite_guest(tenant=tenant, inviter=member, email="user@xn--bcher-kva.example")


def test_invite_refuses_a_message_over_1000_characters(tenant, member):
    with pytest.raises(InvitationError, match=services.MESSAGE_TOO_LONG):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", message="x" * 1_001)


def test_invite_accepts_a_message_of_exactly_1000_characters(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", message="x" * 1_000)

    assert len(result.invitation.customized_message_body) == 1_000


def test_invite_refuses_huge_inputs_without_touching_the_database(tenant, member, django_assert_num_queries):
    huge = "x" * 1_000_000
    for kwargs, message in [
        ({"email": huge}, services.EMAIL_TOO_LONG),
        ({"display_name": huge}, services.DISPLAY_NAME_TOO_LONG),
        ({"message": huge}, services.MESSAGE_TOO_LONG),
        ({"redirect_url": "https://a.example/" + huge}, services.REDIRECT_URL_TOO_LONG),
    ]:
        with django_assert_num_queries(0), pytest.raises(InvitationError) as excinfo:
            invite_guest(tenant=tenant, inviter=member, **({"email": "john@fabrikam.com"} | kwargs))
        assert excinfo.value.message == message
    assert not Invitation.objects.exists()


def test_invite_refuses_line_breaks_in_the_display_name(tenant, member):
    with pytest.raises(InvitationError, match=services.DISPLAY_NAME_LINE_BREAK):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", display_name="John\r\nBcc: x@y.z")


def test_invite_drops_nul_characters_from_the_message(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", message="Hel\x00lo")

    assert result.invitation.customized_message_body == "Hello"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/", "ftp://files.example/", "https://a b.example/", "/\\evil"]
)
def test_invite_refuses_redirect_urls_that_are_not_http_or_local(tenant, member, url):
    with pytest.raises(InvitationError, match=services.REDIRECT_URL_INVALID):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", redirect_url=url)


def test_invite_accepts_a_local_redirect_path(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", redirect_url="/?tenantid=x")

    assert result.invitation.invite_redirect_url == "/?tenantid=x"


def test_invite_refuses_a_malformed_message_language(tenant, member):
    with pytest.raises(InvitationError, match=services.LANGUAGE_INVALID):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", message_language="en-US\r\nX: y")


# Who may invite (allowInvitesFrom) ------------------------------------------------------


def with_policy(tenant, policy):
    Tenant.objects.filter(pk=tenant.pk).update(allow_invites_from=policy)
    tenant.refresh_from_db()
    return tenant


def test_policy_none_refuses_even_global_administrators_and_superusers(tenant):
    with_policy(tenant, Tenant.AllowInvitesFrom.NONE)
    admin = DirectoryRoleAssignmentFactory(user__tenant=tenant).user
    superuser = AccountFactory(is_superuser=True, is_staff=True)

    for inviter in (admin, superuser):
        with pytest.raises(InvitationError, match=services.INVITES_DISABLED):
            invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com")


def test_policy_admins_and_guest_inviters_refuses_a_plain_member(tenant, member):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS)

    with pytest.raises(InvitationError) as excinfo:
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com")

    assert excinfo.value.message == services.ADMINS_AND_GUEST_INVITERS_ONLY.format(organization=tenant.display_name)
    assert not DirectoryUser.objects.filter(mail="john@fabrikam.com").exists()


@pytest.mark.parametrize(
    "role",
    [
        DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR,
        DirectoryRoleAssignment.Role.USER_ADMINISTRATOR,
        DirectoryRoleAssignment.Role.GUEST_INVITER,
    ],
)
def test_policy_admins_and_guest_inviters_allows_those_roles(tenant, role):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS)
    inviter = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=role).user

    assert invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com").created


def test_policy_admins_and_guest_inviters_refuses_a_helpdesk_administrator(tenant):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS)
    role = DirectoryRoleAssignment.Role.HELPDESK_ADMINISTRATOR
    inviter = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=role).user

    with pytest.raises(InvitationError):
        invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com")


def test_policy_admins_and_guest_inviters_allows_a_superuser_account(tenant):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS)
    superuser = AccountFactory(is_superuser=True, is_staff=True, display_name="Admin")

    result = invite_guest(tenant=tenant, inviter=superuser, email="john@fabrikam.com")

    assert result.invitation.invited_by is None
    assert result.invitation.inviter_email == superuser.email
    assert AuditEvent.objects.get(activity=Activity.INVITE_EXTERNAL_USER).initiated_by == superuser.email


def test_policy_members_refuses_a_guest_with_limited_access(tenant):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS)
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    with pytest.raises(InvitationError) as excinfo:
        invite_guest(tenant=tenant, inviter=guest, email="john@fabrikam.com")

    assert excinfo.value.message == services.MEMBERS_AND_ADMINS_ONLY.format(organization=tenant.display_name)


def test_policy_members_allows_members_and_guests_with_member_access(tenant, member):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS)
    assert invite_guest(tenant=tenant, inviter=member, email="a@fabrikam.com").created

    Tenant.objects.filter(pk=tenant.pk).update(guest_user_role_id=Tenant.GuestUserAccess.SAME_AS_MEMBERS)
    tenant.refresh_from_db()
    guest = DirectoryUserFactory(tenant=tenant, guest=True)
    assert invite_guest(tenant=tenant, inviter=guest, email="b@fabrikam.com").created


def test_policy_members_allows_a_guest_who_is_guest_inviter(tenant):
    with_policy(tenant, Tenant.AllowInvitesFrom.ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS)
    guest = DirectoryUserFactory(tenant=tenant, guest=True)
    DirectoryRoleAssignmentFactory(user=guest, role=DirectoryRoleAssignment.Role.GUEST_INVITER)

    assert invite_guest(tenant=tenant, inviter=guest, email="john@fabrikam.com").created


def test_policy_everyone_allows_a_guest(tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    assert invite_guest(tenant=tenant, inviter=guest, email="john@fabrikam.com").created


def test_invite_refuses_an_inviter_from_another_organization(tenant):
    outsider = DirectoryUserFactory()

    with pytest.raises(InvitationError, match="belongs to another organization"):
        invite_guest(tenant=tenant, inviter=outsider, email="john@fabrikam.com")


def test_invite_refuses_an_account_that_is_not_in_the_organization(tenant):
    account = AccountFactory()

    with pytest.raises(InvitationError) as excinfo:
        invite_guest(tenant=tenant, inviter=account, email="john@fabrikam.com")

    assert excinfo.value.message == services.NOT_IN_ORGANIZATION.format(organization=tenant.display_name)


def test_invite_by_an_account_acts_as_its_directory_user(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member.account, email="john@fabrikam.com")

    assert result.invitation.invited_by == member


# Collaboration restrictions and own domains -------------------------------------------


def restrict(tenant, mode, domains):
    Tenant.objects.filter(pk=tenant.pk).update(collaboration_restriction=mode, collaboration_domains=domains)
    tenant.refresh_from_db()


def test_deny_list_blocks_the_exact_domain_case_insensitively(tenant, member):
    restrict(tenant, Tenant.CollaborationRestriction.DENY_LISTED, "fabrikam.com\nlitware.com")

    with pytest.raises(InvitationError) as excinfo:
        invite_guest(tenant=tenant, inviter=member, email="John@FABRIKAM.com")

    assert excinfo.value.message == services.DOMAIN_BLOCKED.format(domain="fabrikam.com")
    assert not OutboundEmail.objects.exists()


def test_deny_list_does_not_block_subdomains_or_other_domains(tenant, member):
    restrict(tenant, Tenant.CollaborationRestriction.DENY_LISTED, "fabrikam.com")

    assert invite_guest(tenant=tenant, inviter=member, email="john@eu.fabrikam.com").created
    assert invite_guest(tenant=tenant, inviter=member, email="john@woodgrove.com").created


def test_allow_list_refuses_unlisted_domains_and_allows_listed_ones(tenant, member):
    restrict(tenant, Tenant.CollaborationRestriction.ALLOW_LISTED, "fabrikam.com")

    with pytest.raises(InvitationError, match=services.DOMAIN_BLOCKED.format(domain="woodgrove.com")):
        invite_guest(tenant=tenant, inviter=member, email="john@woodgrove.com")
    assert invite_guest(tenant=tenant, inviter=member, email="john@Fabrikam.com").created


def test_invite_refuses_addresses_in_the_tenants_own_domains(tenant, member):
    for domain in (tenant.initial_domain, tenant.verified_domain_list[0]):
        with pytest.raises(InvitationError) as excinfo:
            invite_guest(tenant=tenant, inviter=member, email=f"new.person@{domain.upper()}")
        assert excinfo.value.message == services.OWN_DOMAIN.format(domain=domain, organization=tenant.display_name)


# Groups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traits", "message"), [({"dynamic": True}, GUEST_DYNAMIC_GROUP), ({"synced": True}, GUEST_SYNCED_GROUP)]
)
def test_invite_to_a_group_that_takes_no_guests_refuses_the_whole_invite(tenant, member, traits, message):
    group = GroupFactory(tenant=tenant, **traits)

    with pytest.raises(InvitationError, match=message):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", group=group)

    assert not DirectoryUser.objects.filter(mail="john@fabrikam.com").exists()
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert activities(tenant) == []


def test_invite_to_a_group_of_another_tenant_is_refused(tenant, member):
    group = GroupFactory()

    with pytest.raises(InvitationError, match="belongs to another organization"):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", group=group)
    assert not DirectoryUser.objects.filter(mail="john@fabrikam.com").exists()


# Existing users ------------------------------------------------------------------------


def test_inviting_a_pending_guest_again_resends_and_kills_the_old_link(tenant, member):
    first = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", redirect_url="/apps/")

    second = invite_guest(tenant=tenant, inviter=member, email="JOHN@fabrikam.com")

    assert second.user == first.user and not second.created
    assert ticket_of(first) != ticket_of(second)
    first.invitation.refresh_from_db()
    assert first.invitation.status == Invitation.Status.REVOKED
    assert first.invitation.revoked_date_time is not None
    assert not Invitation.objects.filter(ticket_hash=hash_ticket(ticket_of(first)), status="PendingAcceptance")
    assert second.invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert second.invitation.send_count == 2
    assert second.invitation.invite_redirect_url == "/apps/"
    assert DirectoryUser.objects.filter(mail="john@fabrikam.com").count() == 1
    assert OutboundEmail.objects.count() == 2


def test_inviting_an_accepted_guest_only_adds_the_membership(tenant, member):
    guest = DirectoryUserFactory(tenant=tenant, guest=True, mail="lee.gu@fabrikam.com")
    group = GroupFactory(tenant=tenant)

    result = invite_guest(tenant=tenant, inviter=member, email="Lee.Gu@fabrikam.com", group=group)

    assert result.user == guest and result.already_accepted
    assert result.invitation is None and not result.email_sent
    assert GroupMember.objects.filter(group=group, user=guest).exists()
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert activities(tenant) == [Activity.ADD_MEMBER_TO_GROUP]


def test_inviting_an_accepted_guest_already_in_the_group_changes_nothing(tenant, member):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)
    group = GroupFactory(tenant=tenant, members=[guest])

    result = invite_guest(tenant=tenant, inviter=member, email=guest.mail, group=group)

    assert result.already_accepted
    assert activities(tenant) == []


def test_inviting_a_member_adds_them_to_the_group_without_an_invitation(tenant, member):
    colleague = DirectoryUserFactory(tenant=tenant, mail=f"alex@{tenant.verified_domain_list[0]}")
    group = GroupFactory(tenant=tenant)

    result = invite_guest(tenant=tenant, inviter=member, email=colleague.mail, group=group)

    assert result.user == colleague and not result.created and result.invitation is None
    assert GroupMember.objects.filter(group=group, user=colleague).exists()
    assert not OutboundEmail.objects.exists()


def test_a_pending_guest_already_in_the_group_is_reinvited_without_a_second_membership(tenant, member):
    group = GroupFactory(tenant=tenant)
    invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", group=group)

    invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", group=group)

    assert GroupMember.objects.filter(group=group).count() == 1


# Blocked addresses -----------------------------------------------------------------------


def test_a_blocked_address_gets_its_guest_but_no_email(tenant, member):
    BlockedAddressFactory(email="john@fabrikam.com")

    result = invite_guest(tenant=tenant, inviter=member, email="JOHN@fabrikam.com")

    assert result.created and not result.email_sent
    assert result.invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert result.invitation.send_count == 0
    assert result.invite_redeem_url
    assert not OutboundEmail.objects.exists()
    assert activities(tenant) == [Activity.EMAIL_NOT_SENT_UNSUBSCRIBED, Activity.INVITE_EXTERNAL_USER]


def test_block_future_invitations_is_idempotent_and_case_insensitive(db):
    block_future_invitations(email="John@Fabrikam.com")
    block_future_invitations(email="john@fabrikam.COM")

    assert list(BlockedAddress.objects.values_list("email", flat=True)) == ["john@fabrikam.com"]


def test_block_link_in_the_email_names_the_invited_address(tenant, member):
    invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com")
    body = OutboundEmail.objects.get().body_text

    token = body.split("/invitations/block/", 1)[1].split("/", 1)[0]

    assert read_block_token(token) == "john@fabrikam.com"
    assert read_block_token(token[:-2] + "xx") is None


# Resend, reset, revoke -------------------------------------------------------------------


def test_resend_invitation_keeps_the_invitation_and_its_inviter_with_a_new_link(tenant, member):
    first = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", message="Welcome")
    admin = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR)

    second = resend_invitation(invitation=first.invitation, actor=admin.user)

    assert second.invitation.pk == first.invitation.pk
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert invitation.invited_by == member
    assert invitation.inviter_name == member.display_name
    assert invitation.send_count == 2
    assert invitation.customized_message_body == "Welcome"
    assert invitation.ticket_hash == hash_ticket(ticket_of(second)) != hash_ticket(ticket_of(first))
    assert second.email_sent
    resent = OutboundEmail.objects.order_by("created_date_time").last()
    assert resent.subject == services.invitation_subject(member.display_name)
    assert resent.reply_to == member.mail
    assert "Welcome" in resent.body_text
    event = AuditEvent.objects.filter(tenant=tenant).order_by("id").last()
    assert event.activity == Activity.INVITE_EXTERNAL_USER
    assert event.initiated_by_user == admin.user
    assert event.details["resentBy"] == admin.user.mail
    assert event.details["invitedBy"] == member.mail


def test_resend_refuses_an_accepted_guest(tenant, member):
    invitation = InvitationFactory(invited_user__tenant=tenant)
    user = invitation.invited_user
    DirectoryUser.objects.filter(pk=user.pk).update(account=AccountFactory(), external_user_state="Accepted")

    with pytest.raises(InvitationError, match="already accepted"):
        resend_invitation(invitation=invitation, actor=member)


def test_resend_refuses_a_revoked_invitation(tenant, member):
    invitation = InvitationFactory(invited_user__tenant=tenant, revoked=True)

    with pytest.raises(InvitationError, match=services.NOT_PENDING.format(action="resent")):
        resend_invitation(invitation=invitation, actor=member)


def test_revoke_invitation_kills_the_link_and_audits(tenant, member):
    result = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com")

    revoke_invitation(invitation=result.invitation, actor=member)

    result.invitation.refresh_from_db()
    assert result.invitation.status == Invitation.Status.REVOKED
    assert activities(tenant)[-1] == Activity.REVOKE_EXTERNAL_USER_INVITE
    with pytest.raises(InvitationError, match=services.NOT_PENDING.format(action="revoked")):
        revoke_invitation(invitation=result.invitation, actor=member)


@pytest.fixture
def accepted_guest(tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True, mail="lee.gu@fabrikam.com")
    InvitationFactory(invited_user=guest, completed=True, invite_redirect_url="/apps/")
    return guest


def test_reset_redemption_keeps_object_memberships_and_assignments(tenant, accepted_guest):
    admin = DirectoryRoleAssignmentFactory(
        user__tenant=tenant, role=DirectoryRoleAssignment.Role.HELPDESK_ADMINISTRATOR
    )
    group = GroupFactory(tenant=tenant, members=[accepted_guest])
    assignment = AppRoleAssignmentFactory(application__tenant=tenant, principal_user=accepted_guest)

    result = reset_redemption(user=accepted_guest, actor=admin.user)

    user = DirectoryUser.objects.get(pk=accepted_guest.pk)
    assert result.user.pk == accepted_guest.pk
    assert user.account is None
    assert user.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert GroupMember.objects.filter(group=group, user=user).exists()
    assignment.refresh_from_db()
    assert assignment.principal_user_id == user.pk
    assert result.invitation.reset_redemption
    assert result.invitation.invite_redirect_url == "/apps/"
    assert result.email_sent
    assert activities(tenant)[-1] == Activity.INVITE_EXTERNAL_USER_RESET


def test_reset_redemption_can_change_the_address(tenant, accepted_guest):
    superuser = AccountFactory(is_superuser=True, is_staff=True)

    result = reset_redemption(user=accepted_guest, actor=superuser, email="Lee@NewMail.example")

    assert result.user.mail == "lee@newmail.example"
    assert OutboundEmail.objects.get().to == "lee@newmail.example"


def test_reset_redemption_keeps_the_inviter_and_message_and_audits_who_reset(tenant, member):
    first = invite_guest(tenant=tenant, inviter=member, email="lee.gu@fabrikam.com", message="Hi Lee, from Megan")
    DirectoryUser.objects.filter(pk=first.user.pk).update(account=AccountFactory(), external_user_state="Accepted")
    Invitation.objects.filter(pk=first.invitation.pk).update(status="Completed", redeemed_date_time=timezone.now())
    admin = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR)

    result = reset_redemption(user=first.user, actor=admin.user)

    assert result.invitation.inviter_name == member.display_name
    assert result.invitation.invited_by == member
    assert result.invitation.customized_message_body == "Hi Lee, from Megan"
    email = OutboundEmail.objects.order_by("created_date_time").last()
    assert email.subject == services.invitation_subject(member.display_name)
    event = AuditEvent.objects.filter(tenant=tenant).order_by("id").last()
    assert event.activity == Activity.INVITE_EXTERNAL_USER_RESET
    assert event.initiated_by_user == admin.user
    assert event.details["resetBy"] == admin.user.mail
    assert event.details["invitedBy"] == member.mail


def test_reset_redemption_of_a_guest_without_invitation_names_their_invited_by(tenant, member):
    guest = DirectoryUserFactory(tenant=tenant, guest=True, invited_by=member)
    superuser = AccountFactory(is_superuser=True, is_staff=True)

    result = reset_redemption(user=guest, actor=superuser)

    assert result.invitation.inviter_name == member.display_name
    assert result.invitation.inviter_email == member.mail


def test_reset_redemption_needs_an_admin_role(tenant, member, accepted_guest):
    guest_inviter = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=DirectoryRoleAssignment.Role.GUEST_INVITER)

    for actor in (member, guest_inviter.user, AccountFactory(is_staff=True)):
        with pytest.raises(InvitationError, match=services.RESET_NOT_ALLOWED):
            reset_redemption(user=accepted_guest, actor=actor)
    assert DirectoryUser.objects.get(pk=accepted_guest.pk).account is not None


def test_reset_redemption_refuses_a_member(tenant, member):
    superuser = AccountFactory(is_superuser=True, is_staff=True)

    with pytest.raises(InvitationError, match=services.RESET_NOT_A_GUEST.format(name=member.display_name)):
        reset_redemption(user=member, actor=superuser)


def test_reset_redemption_of_a_pending_guest_revokes_the_pending_invitation(tenant, member):
    first = invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com")
    superuser = AccountFactory(is_superuser=True, is_staff=True)

    reset_redemption(user=first.user, actor=superuser)

    assert Invitation.objects.filter(invited_user=first.user, status="PendingAcceptance").count() == 1
    first.invitation.refresh_from_db()
    assert first.invitation.status == Invitation.Status.REVOKED


# Concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_invitations_of_one_address_create_one_guest():
    tenant = TenantFactory()
    inviters = [DirectoryUserFactory(tenant=tenant), DirectoryUserFactory(tenant=tenant)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def invite(inviter):
        try:
            barrier.wait(timeout=10)
            results.append(invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com"))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=invite, args=(inviter,)) for inviter in inviters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    assert sorted(r.created for r in results) == [False, True]
    assert DirectoryUser.objects.filter(mail="john@fabrikam.com").count() == 1
    assert Invitation.objects.filter(status=Invitation.Status.PENDING_ACCEPTANCE).count() == 1
    assert Invitation.objects.count() == 2


# The email -----------------------------------------------------------------------------------


def test_invitation_email_has_the_real_products_layout(member):
    tenant = member.tenant
    result = invite_guest(
        tenant=tenant,
        inviter=member,
        email="john@fabrikam.com",
        message='Hi John,\n<a href="https://evil.example">click</a> & welcome',
    )
    email = OutboundEmail.objects.get()

    assert email.subject == f"{member.display_name} invited you to access applications within their organization"
    assert email.reply_to == member.mail
    assert email.from_email.startswith(f"{tenant.display_name} via Access Portal <")
    for body in (email.body_text, email.body_html):
        assert body.index("Only accept this invitation if you trust the sender") < body.index(member.mail)
        assert member.display_name in body
        assert tenant.display_name in body and tenant.primary_domain in body
        assert "Accept invitation" in body and "Block future invitations" in body
        assert tenant.privacy_statement_url in body
    assert result.invite_redeem_url in email.body_text
    assert f'href="{result.invite_redeem_url}"' in email.body_html
    assert 'Hi John,\n<a href="https://evil.example">click</a> & welcome' in email.body_text
    assert "Hi John,<br>&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt; &amp; welcome" in email.body_html
    assert '<a href="https://evil.example">' not in email.body_html


def test_invitation_email_says_when_there_is_no_privacy_statement(member):
    Tenant.objects.filter(pk=member.tenant_id).update(privacy_statement_url="")
    member.tenant.refresh_from_db()

    invite_guest(tenant=member.tenant, inviter=member, email="john@fabrikam.com")

    email = OutboundEmail.objects.get()
    assert f"{member.tenant.display_name} has not provided a privacy statement." in email.body_text
    assert "has not provided a privacy statement." in email.body_html


def test_a_line_break_in_the_inviters_name_does_not_reach_the_subject(tenant):
    inviter = DirectoryUserFactory(tenant=tenant, display_name="Megan\r\nBcc: all@victim.example")

    invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com")

    subject = OutboundEmail.objects.get().subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("Megan Bcc: all@victim.example invited you")
