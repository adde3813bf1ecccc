import io

import pytest
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from PIL import Image

from directory import services
from directory.demo import (
    ADELE,
    ADMIN,
    ALEX,
    BLOCKED_DOMAIN,
    BOOK_CLUB,
    CONFIGURED,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    INVITED,
    JOHN,
    LEE,
    MEGAN,
    PREREQUISITES,
    REDEEMED,
    REQUESTS,
    SALES_RULE,
    SCENARIOS,
    reset_demo,
    sample_app_url,
    seed_demo,
)
from directory.logos import LOGO_SIZE, app_logo_png, initials
from directory.models import (
    Account,
    Application,
    AppRole,
    AuditEvent,
    DirectoryRole,
    DirectoryUser,
    Group,
    Tenant,
)
from directory.selectors import apps_for_user
from invitations.models import Invitation, OutboundEmail
from portal.models import AppAccessRequest, GroupJoinRequest
from portal.scenarios import WELCOME_MESSAGE
from samples.saml_sp import app as saml_sample
from tests.factories import AccountFactory, TenantFactory

pytestmark = pytest.mark.django_db

DEMO_EMAILS = [person.mail for _, person in DEMO_ACCOUNTS]


def snapshot() -> dict[str, list[dict]]:
    """Every row of every directory, portal and invitations model, field by field."""
    rows = {}
    for label in ("directory", "portal", "invitations"):
        for model in apps.get_app_config(label).get_models():
            values = model._default_manager.order_by("pk").values()
            rows[model._meta.label] = [
                {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()} for row in values
            ]
    return rows


def contoso() -> Tenant:
    return Tenant.objects.get(initial_domain="contoso.onmicrosoft.com")


def contoso_user(mail: str) -> DirectoryUser:
    return DirectoryUser.objects.get(tenant=contoso(), mail=mail)


def run_seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seeding_twice_changes_nothing():
    run_seed_demo()
    first = snapshot()
    audit_count = AuditEvent.objects.count()

    output = run_seed_demo()

    assert snapshot() == first
    assert AuditEvent.objects.count() == audit_count
    assert "nothing changed" in output


def test_seed_writes_an_audit_history_of_the_setup():
    seed_demo()

    activities = set(AuditEvent.objects.filter(tenant=contoso()).values_list("activity", flat=True))
    assert {
        "Add user",
        "Add member to role",
        "Update authorization policy",
        "Add group",
        "Add owner to group",
        "Add member to group",
        "Add service principal",
        "Update service principal",
        "Add app role assignment to service principal",
        "Invite external user",
        "Redeem external user invite",
    } <= activities
    policy = AuditEvent.objects.get(tenant=contoso(), activity="Update authorization policy")
    assert policy.initiated_by == ADMIN


def test_seed_creates_only_what_is_missing():
    seed_demo()
    salesforce = Application.objects.get(tenant=contoso(), display_name="Salesforce")
    megan_assignment = salesforce.assignments.get(principal_user__mail=MEGAN)
    services.unassign_app(assignment=megan_assignment, actor=None)
    before = snapshot()["directory.AppRoleAssignment"]

    created = seed_demo()

    assert created == 1
    after = snapshot()["directory.AppRoleAssignment"]
    assert len(after) == len(before) + 1
    assert salesforce.assignments.filter(principal_user__mail=MEGAN).exists()


@pytest.mark.parametrize("email", DEMO_EMAILS)
def test_every_demo_account_signs_in_with_the_demo_password(client, email):
    seed_demo()

    assert client.login(username=email, password=DEMO_PASSWORD)
    validate_password(DEMO_PASSWORD, user=Account.objects.get(email=email))


def test_demo_accounts_are_the_ones_the_story_needs():
    seed_demo()

    assert set(DEMO_EMAILS) == {ADMIN, MEGAN, "adele.vance@contoso.com", "alex.wilber@contoso.com", JOHN, LEE}
    assert set(Account.objects.values_list("email", flat=True)) == set(DEMO_EMAILS)


def test_admin_is_global_administrator_and_django_superuser():
    seed_demo()

    account = Account.objects.get(email=ADMIN)
    assert account.is_superuser
    assert account.is_staff
    admin = contoso_user(ADMIN)
    assert admin.display_name == "MOD Administrator"
    assert admin.account == account
    assert list(admin.role_assignments.values_list("role", flat=True)) == [DirectoryRole.GLOBAL_ADMINISTRATOR]
    assert not Account.objects.exclude(email=ADMIN).filter(is_staff=True).exists()


def test_tenants_have_their_domains_and_privacy_statements():
    seed_demo()

    fabrikam = Tenant.objects.get(initial_domain="fabrikam.onmicrosoft.com")
    assert contoso().verified_domain_list == ["contoso.com"]
    assert contoso().privacy_statement_url == "https://privacy.contoso.com/"
    assert fabrikam.verified_domain_list == ["fabrikam.com"]
    assert fabrikam.privacy_statement_url == ""


def test_contoso_lets_everyone_invite_and_denies_only_the_blocked_domain():
    seed_demo()

    tenant = contoso()
    assert tenant.allow_invites_from == Tenant.AllowInvitesFrom.EVERYONE
    assert tenant.collaboration_restriction == Tenant.CollaborationRestriction.DENY_LISTED
    assert tenant.collaboration_domain_list == [BLOCKED_DOMAIN]
    # The story's guests come from these domains: none may be denied.
    for domain in ("fabrikam.com", "northwind.example", "litware.example"):
        assert domain not in tenant.collaboration_domain_list


def test_salesforce_self_service_is_wired_as_in_the_prerequisites():
    seed_demo()

    tenant = contoso()
    megan = contoso_user(MEGAN)
    group = Group.objects.get(tenant=tenant, display_name="Salesforce Users")
    salesforce = Application.objects.get(tenant=tenant, display_name="Salesforce")

    assert tenant.owners_can_manage_group_membership_requests
    assert group.group_type == Group.GroupType.SECURITY
    assert group.membership_type == Group.MembershipType.ASSIGNED
    assert group.join_policy == Group.JoinPolicy.CLOSED
    assert not group.on_premises_sync_enabled
    assert list(group.owner_links.values_list("user", flat=True)) == [megan.pk]
    assert salesforce.single_sign_on_mode == Application.SingleSignOnMode.SAML
    assert salesforce.self_service_enabled
    assert salesforce.self_service_group == group
    assert not salesforce.self_service_approval_required
    assert salesforce.self_service_role.display_name == AppRole.DEFAULT_ACCESS
    assert salesforce.assignments.filter(principal_group=group).exists()
    assert salesforce.assignments.filter(principal_user=megan).exists()
    assert salesforce in apps_for_user(user=megan)


def test_servicenow_self_service_requires_adele_approval():
    seed_demo()

    servicenow = Application.objects.get(tenant=contoso(), display_name="ServiceNow")
    assert servicenow.self_service_enabled
    assert servicenow.self_service_approval_required
    assert [u.mail for u in servicenow.self_service_approvers.all()] == ["adele.vance@contoso.com"]


def test_every_single_sign_on_mode_is_present_and_opens_the_sample_app():
    seed_demo()

    applications = Application.objects.filter(tenant=contoso())
    assert {app.single_sign_on_mode for app in applications} == set(Application.SingleSignOnMode.values)
    # Contoso Expenses is a real OpenID Connect relying party: the sample app of samples/oidc_expenses.
    expenses = Application.objects.get(display_name="Contoso Expenses")
    assert expenses.homepage_url == "http://127.0.0.1:8002/"
    assert expenses.app_registration.redirect_uri_list == ["http://127.0.0.1:8002/callback"]
    # Salesforce is a real SAML service provider: the sample app of samples/saml_sp, tile IdP-initiated.
    salesforce = Application.objects.get(tenant=contoso(), display_name="Salesforce")
    assert salesforce.homepage_url == "http://127.0.0.1:8001/"
    assert salesforce.sign_on_url == ""
    configuration = salesforce.saml_configuration
    assert (configuration.entity_id, configuration.reply_url) == (
        "http://127.0.0.1:8001/metadata/",
        "http://127.0.0.1:8001/acs/",
    )
    assert str(salesforce.pk) == saml_sample.DEMO_APP_ID
    assert f"appid={salesforce.pk}" in saml_sample.DEMO_METADATA_URL
    for app in Application.objects.exclude(pk__in=[expenses.pk, salesforce.pk]):
        assert app.homepage_url == sample_app_url(app)
        assert app.homepage_url == f"http://127.0.0.1:8000/sample-app/{app.pk}/"
        assert app.launch_url == sample_app_url(app)
    assert Application.objects.filter(tenant=contoso(), visible_to_users=False).exists()
    assert Application.objects.filter(tenant__initial_domain="fabrikam.onmicrosoft.com").exists()


def test_every_group_kind_is_present():
    seed_demo()

    groups = Group.objects.filter(tenant=contoso())
    assert {g.group_type for g in groups} == set(Group.GroupType.values)
    assert {g.join_policy for g in groups.filter(membership_type=Group.MembershipType.ASSIGNED)} == set(
        Group.JoinPolicy.values
    )
    assert groups.get(display_name="Marketing").join_policy == Group.JoinPolicy.OWNER_APPROVAL
    assert groups.get(display_name="Marketing").owner_links.get().user.mail == "adele.vance@contoso.com"
    assert groups.filter(on_premises_sync_enabled=True, display_name="HQ Staff (on-premises)").exists()
    assert Group.objects.filter(tenant__initial_domain="fabrikam.onmicrosoft.com").count() == 1


def test_dynamic_group_members_are_exactly_the_users_its_rule_matches():
    seed_demo()

    group = Group.objects.get(tenant=contoso(), membership_type=Group.MembershipType.DYNAMIC_USER)
    assert group.membership_rule == SALES_RULE
    members = set(group.member_links.values_list("user__mail", flat=True))
    sales = DirectoryUser.objects.filter(tenant=contoso(), department="Sales")
    assert members == set(sales.values_list("mail", flat=True))
    assert MEGAN in members


def test_no_guest_is_in_a_dynamic_or_synced_group():
    seed_demo()

    for group in Group.objects.all():
        if not group.accepts_manual_members:
            assert not group.member_links.filter(user__user_type=DirectoryUser.UserType.GUEST).exists()


def test_john_is_an_accepted_guest_of_contoso():
    seed_demo()

    john = contoso_user(JOHN)
    assert john.user_principal_name == "john_northwind.example#EXT#@contoso.onmicrosoft.com"
    assert john.is_guest
    assert john.invitation_accepted
    assert john.creation_type == DirectoryUser.CreationType.INVITATION
    assert john.external_user_state_change_date_time is not None
    assert john.invited_by == contoso_user(MEGAN)
    assert john.account.email == JOHN


def test_lee_gu_is_a_fabrikam_member_only():
    seed_demo()

    lee = Account.objects.get(email=LEE)
    users = list(lee.directory_users.all())
    assert [(u.tenant.initial_domain, u.user_type) for u in users] == [
        ("fabrikam.onmicrosoft.com", DirectoryUser.UserType.MEMBER)
    ]


@pytest.mark.parametrize("email", DEMO_EMAILS)
def test_every_demo_account_sees_several_apps_and_never_the_hidden_one(email):
    seed_demo()

    for user in DirectoryUser.objects.filter(account__email=email):
        visible = list(apps_for_user(user=user))
        assert len(visible) >= 2
        assert all(app.visible_to_users for app in visible)


def test_reset_wipes_everything_made_after_seeding_and_seeds_again():
    seed_demo()
    counts = {label: len(rows) for label, rows in snapshot().items()}
    TenantFactory(initial_domain="extra.onmicrosoft.com")
    AccountFactory(email="extra@example.com")
    alex = contoso_user("alex.wilber@contoso.com")
    GroupJoinRequest.objects.create(group=Group.objects.get(display_name="Marketing"), requester=alex)
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.ONE_TIME_CODE,
        to="someone@example.com",
        from_email="invites@accessportal.localhost",
        subject="Your code",
        body_text="12345678",
    )
    old_alex_id = alex.pk

    output = run_seed_demo("--reset")

    assert not Tenant.objects.filter(initial_domain="extra.onmicrosoft.com").exists()
    assert not Account.objects.filter(email="extra@example.com").exists()
    assert not GroupJoinRequest.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not DirectoryUser.objects.filter(pk=old_alex_id).exists()
    assert {label: len(rows) for label, rows in snapshot().items()} == counts
    assert "Deleted all data" in output


def test_demo_logos_are_square_pngs():
    seed_demo()

    for app in Application.objects.all():
        image = Image.open(io.BytesIO(bytes(app.logo)))
        assert image.format == "PNG"
        assert image.size == (LOGO_SIZE, LOGO_SIZE)


def test_logo_bytes_depend_only_on_name_and_colour():
    logo = app_logo_png(name="Contoso Expenses", colour="#107c10")

    assert app_logo_png(name="Contoso Expenses", colour="#107c10") == logo
    assert app_logo_png(name="Contoso Intranet", colour="#107c10") != logo
    assert app_logo_png(name="Contoso Expenses", colour="#5c2d91") != logo


def test_logo_shows_white_initials_on_the_brand_colour():
    image = Image.open(io.BytesIO(app_logo_png(name="Workday", colour="#b4490f"))).convert("RGB")

    assert image.getpixel((0, 0)) == (0xB4, 0x49, 0x0F)
    assert (255, 255, 255) in {colour for _, colour in image.getcolors(maxcolors=LOGO_SIZE * LOGO_SIZE)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Salesforce", "S"), ("Contoso Expenses", "CE"), ("HQ Staff (on-premises)", "HS"), ("", "?")],
)
def test_initials_take_the_first_letter_of_the_first_two_words(name, expected):
    assert initials(name) == expected


def test_command_prints_the_urls_every_account_and_the_password():
    output = run_seed_demo()

    assert "http://127.0.0.1:8000/" in output
    assert "http://127.0.0.1:8000/admin/" in output
    assert DEMO_PASSWORD in output
    for _, person in DEMO_ACCOUNTS:
        assert person.mail in output
        assert person.story in output


# The seeded story matches the README's tour -------------------------------------------------


def test_every_kind_of_group_has_an_owner_who_signs_in():
    seed_demo()
    signs_in = set(DEMO_EMAILS)

    for group in Group.objects.filter(tenant=contoso()):
        owners = {link.user.mail for link in group.owner_links.select_related("user")}
        assert owners & signs_in, f"{group.display_name} has no owner among the demo accounts"
    synced = Group.objects.get(tenant=contoso(), on_premises_sync_enabled=True)
    assert synced.owner_links.get().user.mail == MEGAN


def test_alex_can_join_an_open_group_he_does_not_own():
    seed_demo()
    alex = contoso_user(ALEX)

    open_groups = Group.objects.filter(tenant=contoso(), join_policy=Group.JoinPolicy.OPEN)
    joinable = open_groups.exclude(owner_links__user=alex).exclude(member_links__user=alex)
    assert joinable.filter(display_name=BOOK_CLUB).exists()


# Training scenarios --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_seeded_twice_changes_nothing(name):
    reset_demo(scenario=name)
    first = snapshot()

    assert seed_demo(scenario=name) == 0
    assert snapshot() == first


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_scenario_command_clears_the_mailbox_and_seeds_the_scenario(name):
    seed_demo()
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.ONE_TIME_CODE,
        to="someone@example.com",
        from_email="invites@accessportal.localhost",
        subject="Your code",
        body_text="12345678",
    )

    output = run_seed_demo("--scenario", name)

    assert not OutboundEmail.objects.filter(to="someone@example.com").exists()
    assert SCENARIOS[name].title in output
    assert SCENARIOS[name].audience_sees in output


def test_prerequisites_scenario_leaves_the_admin_setup_undone():
    seed_demo(scenario=PREREQUISITES)

    tenant = contoso()
    assert not tenant.owners_can_manage_group_membership_requests
    assert not Group.objects.filter(tenant=tenant, display_name="Salesforce Users").exists()
    salesforce = Application.objects.get(tenant=tenant, display_name="Salesforce")
    assert salesforce.single_sign_on_mode == Application.SingleSignOnMode.DISABLED
    assert not salesforce.self_service_enabled
    assert not salesforce.assignments.exists()
    assert salesforce.sign_on_url == sample_app_url(salesforce)
    assert "Salesforce" not in {app.display_name for app in apps_for_user(user=contoso_user(MEGAN))}
    assert not OutboundEmail.objects.exists()


def test_configured_scenario_is_the_default_seed():
    seed_demo()
    default = snapshot()
    reset_demo(scenario=CONFIGURED)

    assert {label: len(rows) for label, rows in snapshot().items()} == {
        label: len(rows) for label, rows in default.items()
    }
    assert not DirectoryUser.objects.filter(tenant=contoso(), mail=LEE).exists()


def test_invited_scenario_has_megans_pending_invitation_of_lee_in_the_mailbox():
    seed_demo(scenario=INVITED)

    lee = contoso_user(LEE)
    assert lee.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert lee.display_name == "Lee Gu"
    invitation = Invitation.objects.get(invited_user=lee)
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert invitation.inviter_email == MEGAN
    assert invitation.customized_message_body == WELCOME_MESSAGE
    assert Group.objects.get(tenant=contoso(), display_name="Salesforce Users").member_links.filter(user=lee).exists()
    assert OutboundEmail.objects.get(to=LEE).invitation == invitation


def test_redeemed_scenario_has_lee_accepted_and_seeing_salesforce():
    seed_demo(scenario=REDEEMED)

    lee = contoso_user(LEE)
    assert lee.external_user_state == DirectoryUser.ExternalUserState.ACCEPTED
    assert lee.account == Account.objects.get(email=LEE)
    assert Invitation.objects.get(invited_user=lee).status == Invitation.Status.COMPLETED
    assert "Salesforce" in {app.display_name for app in apps_for_user(user=lee)}


def test_requests_scenario_has_alexs_requests_waiting_for_adele():
    seed_demo(scenario=REQUESTS)

    alex = contoso_user(ALEX)
    join = GroupJoinRequest.objects.get(requester=alex)
    assert join.is_pending and join.group.display_name == "Marketing"
    app = AppAccessRequest.objects.get(requester=alex)
    assert app.is_pending and app.application.display_name == "ServiceNow"
    assert OutboundEmail.objects.filter(to=ADELE).count() == 2
