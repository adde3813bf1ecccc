"""The demo organizations, Contoso and Fabrikam, seeded through the directory services.

Shared by `manage.py seed_demo` and its tests. Every object is looked up by its natural
key (tenant initial domain, account email, user mail, group or application name within
the tenant) and only what is missing is created, so seeding again changes nothing and
writes no audit event. Going through the services makes the audit log tell the story of
an administrator setting the tenant up.

Contoso is configured as in the "Prerequisites" of the self-service document: owners
manage group membership requests in the Access Panel, "Salesforce Users" is an assigned
Security group owned by Megan Bowen, the Salesforce app adds self-service users to it,
and Megan is assigned to Salesforce so it is on her My Apps.

Training scenarios (SCENARIOS) start the story at other points: before those Prerequisites,
or with a guest invited, a guest redeemed, or requests waiting. Each is this seed (with the
Prerequisites undone, for `prerequisites`) plus a story step played through the services of
the layers above the directory.
"""

import uuid
from dataclasses import dataclass, field, replace

from django.apps import apps as django_apps
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accessportal.links import site_url
from directory import services
from directory.audit import Activity, Actor, record_event
from directory.logos import app_logo_png
from directory.models import (
    Account,
    Application,
    AppRoleAssignment,
    AuditEvent,
    DirectoryRole,
    DirectoryUser,
    Group,
    GroupMember,
    GroupType,
    JoinPolicy,
    MembershipType,
    SingleSignOnMode,
    Tenant,
)

# Documented in README.md and printed by the command: every demo account uses it.
DEMO_PASSWORD = "Contoso-Demo-2026"


@dataclass(frozen=True)
class Person:
    mail: str
    display_name: str
    department: str = ""
    job_title: str = ""
    # People with a part in the story sign in: they get an Account and are printed.
    story: str = ""
    on_premises_sync_enabled: bool = False
    directory_role: str = ""
    django_superuser: bool = False
    # Set for an accepted B2B guest: the mail of the member who invited them.
    invited_by: str = ""

    @property
    def signs_in(self) -> bool:
        return bool(self.story)


@dataclass(frozen=True)
class GroupSpec:
    display_name: str
    description: str
    group_type: str = GroupType.SECURITY
    membership_type: str = MembershipType.ASSIGNED
    membership_rule: str = ""
    on_premises_sync_enabled: bool = False
    join_policy: str = JoinPolicy.CLOSED
    owners: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    @property
    def accepts_manual_members(self) -> bool:
        return self.membership_type == MembershipType.ASSIGNED and not self.on_premises_sync_enabled


@dataclass(frozen=True)
class AppSpec:
    display_name: str
    single_sign_on_mode: str
    colour: str
    notes: str = ""
    visible_to_users: bool = True
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    self_service_group: str = ""
    # Approval is required exactly when approvers are named.
    approvers: tuple[str, ...] = ()
    # A fixed object id, for an app a sample relying party must know in advance (its metadata URL names it).
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class TenantSpec:
    display_name: str
    initial_domain: str
    verified_domains: str
    privacy_statement_url: str
    branding_color: str
    people: tuple[Person, ...]
    groups: tuple[GroupSpec, ...] = ()
    apps: tuple[AppSpec, ...] = ()
    # Applied through update_tenant_settings when the tenant is created.
    settings: dict[str, object] = field(default_factory=dict)
    # The person whose name the setup is done in; "Access Portal" when empty.
    administrator: str = ""


ADMIN = "admin@contoso.com"
MEGAN = "megan.bowen@contoso.com"
ADELE = "adele.vance@contoso.com"
ALEX = "alex.wilber@contoso.com"
JOHN = "john@northwind.example"
LEE = "lee.gu@fabrikam.com"

SALESFORCE = "Salesforce"
# The sample SAML app (samples/saml_sp) downloads Salesforce's federation metadata by this id.
SALESFORCE_ID = uuid.UUID("5a1e5f0c-0000-4000-8000-00000000a11e")
SALESFORCE_USERS = "Salesforce Users"
SALES_RULE = '(user.department -eq "Sales")'
BOOK_CLUB = "Book Club"
MARKETING = "Marketing"
HQ_STAFF = "HQ Staff (on-premises)"
SERVICENOW = "ServiceNow"
BLOCKED_DOMAIN = "blocked.example"

CONTOSO_PEOPLE = (
    Person(
        ADMIN,
        "MOD Administrator",
        "IT",
        "IT Administrator",
        story="Global Administrator of Contoso and Django superuser: the admin site stands in for the Azure portal.",
        directory_role=DirectoryRole.GLOBAL_ADMINISTRATOR,
        django_superuser=True,
    ),
    Person(
        MEGAN,
        "Megan Bowen",
        "Sales",
        "Sales Manager",
        story=f'Owner of "{SALESFORCE_USERS}", the self-service group of the Salesforce app: '
        'invites guests from Manage app or from Groups I own. Also owns "Sales Department" (dynamic) '
        f'and "{HQ_STAFF}" (synced from on-premises), where guests can\'t be added.',
    ),
    Person(
        ADELE,
        "Adele Vance",
        "Marketing",
        "Marketing Manager",
        story='Owner of "Marketing" (joining needs her approval) and "Book Club" (open to anyone); '
        "approves ServiceNow access requests.",
    ),
    Person(
        ALEX,
        "Alex Wilber",
        "Operations",
        "Logistics Coordinator",
        story='A member: joins "Book Club", asks to join "Marketing", requests Salesforce or ServiceNow.',
    ),
    Person("diego.siciliani@contoso.com", "Diego Siciliani", "Sales", "Account Executive"),
    Person("isaiah.langer@contoso.com", "Isaiah Langer", "Sales", "Sales Representative"),
    Person("lynne.robbins@contoso.com", "Lynne Robbins", "Sales", "Sales Operations Specialist"),
    Person(
        "nestor.wilke@contoso.com",
        "Nestor Wilke",
        "Operations",
        "Director of Operations",
        on_premises_sync_enabled=True,
    ),
    Person("patti.fernandez@contoso.com", "Patti Fernandez", "Marketing", "Content Marketing Lead"),
    Person("pradeep.gupta@contoso.com", "Pradeep Gupta", "Finance", "Accountant", on_premises_sync_enabled=True),
    Person(
        JOHN,
        "John Rivera",
        story="A guest from Northwind who already accepted Contoso's invitation (Salesforce Users member).",
        invited_by=MEGAN,
    ),
)

CONTOSO_GROUPS = (
    GroupSpec(
        SALESFORCE_USERS,
        "People who use Salesforce. Self-service: Salesforce adds the users it grants access to this group.",
        owners=(MEGAN,),
        members=("diego.siciliani@contoso.com", "lynne.robbins@contoso.com", JOHN),
    ),
    GroupSpec(
        MARKETING,
        "Marketing team: campaigns, events and brand.",
        group_type=GroupType.MICROSOFT_365,
        join_policy=JoinPolicy.OWNER_APPROVAL,
        owners=(ADELE,),
        members=(ADELE, "patti.fernandez@contoso.com"),
    ),
    GroupSpec(
        BOOK_CLUB,
        "Monthly book club. Anyone at Contoso can join.",
        group_type=GroupType.MICROSOFT_365,
        join_policy=JoinPolicy.OPEN,
        # Not Alex's: the tour has him join an open group.
        owners=(ADELE,),
        members=("nestor.wilke@contoso.com", "lynne.robbins@contoso.com"),
    ),
    GroupSpec(
        "Leadership Team",
        "Contoso's leadership team. Only owners add members.",
        group_type=GroupType.MICROSOFT_365,
        owners=(ADMIN,),
        members=(MEGAN, ADELE, "nestor.wilke@contoso.com"),
    ),
    GroupSpec(
        "ServiceNow Users",
        "People with access to ServiceNow, granted through self-service requests.",
        owners=(ADELE,),
        members=(ADMIN,),
    ),
    GroupSpec(
        "Sales Department",
        "Everyone whose department is Sales (dynamic membership).",
        membership_type=MembershipType.DYNAMIC_USER,
        membership_rule=SALES_RULE,
        owners=(MEGAN,),
        members=tuple(p.mail for p in CONTOSO_PEOPLE if p.department == "Sales"),
    ),
    GroupSpec(
        HQ_STAFF,
        "Headquarters staff, synced from on-premises Active Directory.",
        on_premises_sync_enabled=True,
        # Owned by a persona, so the portal can show why its members (and guests) can't be changed there.
        owners=(MEGAN,),
        members=tuple(p.mail for p in CONTOSO_PEOPLE if p.on_premises_sync_enabled),
    ),
)

CONTOSO_APPS = (
    AppSpec(
        SALESFORCE,
        SingleSignOnMode.SAML,
        "#0b5cab",
        notes=f'Self-service: users who get access are added to "{SALESFORCE_USERS}"; no approval needed.',
        users=(MEGAN,),
        self_service_group=SALESFORCE_USERS,
        id=SALESFORCE_ID,
    ),
    AppSpec(
        "Contoso Expenses",
        SingleSignOnMode.OIDC,
        "#107c10",
        notes="Expense reports. OpenID Connect sign-in.",
        users=(ADMIN, ALEX),
        groups=("Sales Department", MARKETING),
    ),
    AppSpec(
        "Dropbox Business",
        SingleSignOnMode.PASSWORD,
        "#0057d9",
        notes="Password-based single sign-on.",
        users=(ALEX,),
        groups=(MARKETING,),
    ),
    AppSpec(
        "Contoso Intranet",
        SingleSignOnMode.LINKED,
        "#5c2d91",
        notes="Linked sign-on: the tile goes straight to the intranet.",
        users=(ADMIN, MEGAN, ADELE, ALEX, JOHN),
        groups=(HQ_STAFF,),
    ),
    AppSpec(
        "Workday",
        SingleSignOnMode.DISABLED,
        "#b4490f",
        notes="Single sign-on is not configured: the tile opens the homepage.",
        users=(ADMIN, MEGAN, ADELE, ALEX),
    ),
    AppSpec(
        SERVICENOW,
        SingleSignOnMode.OIDC,
        "#293e40",
        notes="Self-service with approval: Adele Vance approves access requests.",
        self_service_group="ServiceNow Users",
        approvers=(ADELE,),
    ),
    AppSpec(
        "HR Sync Service",
        SingleSignOnMode.OIDC,
        "#6b2c5f",
        notes="A background integration: assigned but not visible to users, so it never shows in My Apps.",
        visible_to_users=False,
        users=(ADMIN, ALEX),
    ),
)

CONTOSO = TenantSpec(
    display_name="Contoso",
    initial_domain="contoso.onmicrosoft.com",
    verified_domains="contoso.com",
    privacy_statement_url="https://privacy.contoso.com/",
    branding_color="#0078d4",
    people=CONTOSO_PEOPLE,
    groups=CONTOSO_GROUPS,
    apps=CONTOSO_APPS,
    settings={
        "owners_can_manage_group_membership_requests": True,
        "allow_invites_from": Tenant.AllowInvitesFrom.EVERYONE,
        "collaboration_restriction": Tenant.CollaborationRestriction.DENY_LISTED,
        "collaboration_domains": BLOCKED_DOMAIN,
    },
    administrator=ADMIN,
)

FABRIKAM = TenantSpec(
    display_name="Fabrikam",
    initial_domain="fabrikam.onmicrosoft.com",
    verified_domains="fabrikam.com",
    privacy_statement_url="",
    branding_color="#a4262c",
    people=(
        Person(
            LEE,
            "Lee Gu",
            "Engineering",
            "Solutions Architect",
            story="A member of Fabrikam. Invite lee.gu@fabrikam.com from Contoso: Lee then switches organizations.",
        ),
        Person("grady.archie@fabrikam.com", "Grady Archie", "Engineering", "Designer"),
    ),
    groups=(
        GroupSpec(
            "Fabrikam Partners",
            "Partner engineering team.",
            owners=(LEE,),
            members=(LEE, "grady.archie@fabrikam.com"),
        ),
    ),
    apps=(
        AppSpec(
            "Fabrikam Portal",
            SingleSignOnMode.OIDC,
            "#a4262c",
            notes="Fabrikam's own portal.",
            groups=("Fabrikam Partners",),
        ),
        AppSpec(
            "Fabrikam Wiki",
            SingleSignOnMode.LINKED,
            "#00666b",
            notes="Linked sign-on to the engineering wiki.",
            users=(LEE,),
        ),
    ),
)

DEMO_TENANTS = (CONTOSO, FABRIKAM)
DEMO_ACCOUNTS = tuple((tenant, person) for tenant in DEMO_TENANTS for person in tenant.people if person.signs_in)


def sample_app_url(application: Application) -> str:
    """The built-in sample app page (portal:sample-app) every demo tile opens."""
    return f"{site_url()}/sample-app/{application.pk}/"


class _Seeder:
    def __init__(self) -> None:
        self.created = 0

    def seed_tenant(self, spec: TenantSpec) -> None:
        tenant, tenant_created = self._tenant(spec)
        users: dict[str, DirectoryUser] = {}
        actor: Actor = None
        # The administrator comes first so every later change is made in their name.
        people = sorted(spec.people, key=lambda p: p.mail != spec.administrator)
        for person in people:
            users[person.mail] = self._user(tenant, person, actor, users)
            if person.mail == spec.administrator:
                actor = users[person.mail]
        if tenant_created and spec.settings:
            services.update_tenant_settings(tenant=tenant, actor=actor, **spec.settings)
        groups = {group.display_name: self._group(tenant, group, users, actor) for group in spec.groups}
        for app in spec.apps:
            self._application(tenant, app, users, groups, actor)

    def _tenant(self, spec: TenantSpec) -> tuple[Tenant, bool]:
        tenant = Tenant.objects.filter(initial_domain=spec.initial_domain).first()
        if tenant is not None:
            return tenant, False
        # There is no "create tenant" service: in Azure a tenant exists before its directory.
        tenant = Tenant(
            display_name=spec.display_name,
            initial_domain=spec.initial_domain,
            verified_domains=spec.verified_domains,
            privacy_statement_url=spec.privacy_statement_url,
            branding_color=spec.branding_color,
        )
        tenant.full_clean()
        tenant.save()
        self.created += 1
        return tenant, True

    def _account(self, person: Person) -> Account:
        account = Account.objects.filter(email=person.mail.lower()).first()
        if account is not None:
            return account
        create = Account.objects.create_superuser if person.django_superuser else Account.objects.create_user
        self.created += 1
        return create(person.mail, DEMO_PASSWORD, display_name=person.display_name)

    def _user(self, tenant: Tenant, person: Person, actor: Actor, users: dict[str, DirectoryUser]) -> DirectoryUser:
        account = self._account(person) if person.signs_in else None
        user = DirectoryUser.objects.filter(tenant=tenant, mail__lower=person.mail.lower()).first()
        if user is None:
            inviter = users.get(person.invited_by)
            user = services.create_user(
                tenant=tenant,
                actor=inviter or actor,
                display_name=person.display_name,
                mail=person.mail,
                user_principal_name=services.guest_user_principal_name(mail=person.mail, tenant=tenant)
                if person.invited_by
                else "",
                account=account,
                user_type=DirectoryUser.UserType.GUEST if person.invited_by else DirectoryUser.UserType.MEMBER,
                department=person.department,
                job_title=person.job_title,
                on_premises_sync_enabled=person.on_premises_sync_enabled,
            )
            self.created += 1
            if person.invited_by:
                self._accept_invitation(user, inviter)
        if person.directory_role:
            before = user.role_assignments.count()
            services.add_directory_role(user=user, role=person.directory_role, actor=actor)
            self.created += user.role_assignments.count() - before
        return user

    def _accept_invitation(self, user: DirectoryUser, inviter: DirectoryUser | None) -> None:
        # The seed doesn't replay an emailed invitation and its redemption (that belongs to the
        # invitations app and would send mail); it writes the end state and the two audit events
        # the real flow leaves, so the guest looks like any other accepted guest.
        DirectoryUser.objects.filter(pk=user.pk).update(
            creation_type=DirectoryUser.CreationType.INVITATION,
            external_user_state=DirectoryUser.ExternalUserState.ACCEPTED,
            external_user_state_change_date_time=timezone.now(),
            invited_by=inviter,
        )
        user.refresh_from_db()
        user.full_clean()
        record_event(
            tenant=user.tenant,
            activity=Activity.INVITE_EXTERNAL_USER,
            actor=inviter,
            target=user,
            details={"invitedUserEmailAddress": user.mail},
        )
        record_event(tenant=user.tenant, activity=Activity.REDEEM_EXTERNAL_USER_INVITE, actor=user, target=user)

    def _group(self, tenant: Tenant, spec: GroupSpec, users: dict[str, DirectoryUser], actor: Actor) -> Group:
        group = Group.objects.filter(tenant=tenant, display_name=spec.display_name).first()
        if group is None:
            group = services.create_group(
                tenant=tenant,
                actor=actor,
                display_name=spec.display_name,
                description=spec.description,
                group_type=spec.group_type,
                membership_type=spec.membership_type,
                membership_rule=spec.membership_rule,
                on_premises_sync_enabled=spec.on_premises_sync_enabled,
                join_policy=spec.join_policy,
                owners=[users[mail] for mail in spec.owners],
            )
            self.created += 1 + len(spec.owners)
        owner_ids = set(group.owner_links.values_list("user_id", flat=True))
        for mail in spec.owners:
            if users[mail].pk not in owner_ids:
                services.add_group_owner(group=group, user=users[mail], actor=actor)
                self.created += 1
        member_ids = set(group.member_links.values_list("user_id", flat=True))
        for mail in spec.members:
            user = users[mail]
            if user.pk in member_ids:
                continue
            if spec.accepts_manual_members:
                services.add_group_member(group=group, user=user, actor=actor)
            else:
                # Dynamic rules and on-premises sync decide these memberships and the app computes
                # neither, so the seed writes the members the rule or the sync would produce.
                GroupMember.objects.create(group=group, user=user)
            self.created += 1
        return group

    def _application(
        self,
        tenant: Tenant,
        spec: AppSpec,
        users: dict[str, DirectoryUser],
        groups: dict[str, Group],
        actor: Actor,
    ) -> Application:
        application = Application.objects.filter(tenant=tenant, display_name=spec.display_name).first()
        if application is None:
            application = services.create_application(
                tenant=tenant,
                actor=actor,
                display_name=spec.display_name,
                single_sign_on_mode=spec.single_sign_on_mode,
                visible_to_users=spec.visible_to_users,
                notes=spec.notes,
                logo=app_logo_png(name=spec.display_name, colour=spec.colour),
                **({"id": spec.id} if spec.id else {}),
            )
            self.created += 1
            # The sample app page is addressed by the application's id, known only now. It is the
            # sign-on URL too, so the tile keeps working when the trainer changes the sign-on mode.
            url = sample_app_url(application)
            application = services.update_application(
                application=application, actor=actor, homepage_url=url, sign_on_url=url
            )
            if spec.self_service_group:
                application = services.update_application(
                    application=application,
                    actor=actor,
                    self_service_enabled=True,
                    self_service_group=groups[spec.self_service_group],
                    self_service_approval_required=bool(spec.approvers),
                    self_service_approvers=[users[mail] for mail in spec.approvers],
                    self_service_role=services.default_app_role(application),
                )
                self.created += 1
        assigned = [
            *((users[mail], "principal_user") for mail in spec.users),
            *((groups[name], "principal_group") for name in spec.groups),
        ]
        for principal, key in assigned:
            if not AppRoleAssignment.objects.filter(application=application, **{key: principal}).exists():
                services.assign_app(application=application, principal=principal, actor=actor)
                self.created += 1
        return application


@dataclass(frozen=True)
class Scenario:
    """A starting point for a training session: what the seed holds and what the audience sees first."""

    name: str
    title: str
    audience_sees: str
    prerequisites_done: bool = True
    # The story step played on top of the seed, a function of the layers above the directory named by
    # its dotted path (as Django's settings name middleware), so the directory imports none of them.
    # It returns how many objects it created and creates nothing when they are already there.
    story: str = ""


PREREQUISITES = "prerequisites"
CONFIGURED = "configured"
INVITED = "invited"
REDEEMED = "redeemed"
REQUESTS = "requests"

SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            PREREQUISITES,
            "Prerequisites not done",
            "Contoso before its administrator's setup: group self-service is off, there is no "
            f'"{SALESFORCE_USERS}" group, and {SALESFORCE} has neither single sign-on nor self-service and is '
            "on no one's My Apps. Do the Prerequisites live in the admin center as admin@contoso.com.",
            prerequisites_done=False,
        ),
        Scenario(
            CONFIGURED,
            "Configured, no guest yet",
            f'Everything is wired: Megan Bowen owns "{SALESFORCE_USERS}" and sees {SALESFORCE} with Manage app. '
            "No one has been invited yet: invite lee.gu@fabrikam.com from Manage app.",
        ),
        Scenario(
            INVITED,
            "Guest invited",
            f"Megan Bowen has invited lee.gu@fabrikam.com to {SALESFORCE} with a welcome message. He hasn't "
            "accepted: his invitation is in the mailbox, and Manage app shows Invitation accepted: No.",
            story="portal.scenarios.invite_lee",
        ),
        Scenario(
            REDEEMED,
            "Guest redeemed",
            f"Lee Gu has accepted Megan Bowen's invitation: signed in as lee.gu@fabrikam.com he switches to "
            f"Contoso and sees {SALESFORCE}; Megan's Manage app shows Invitation accepted: Yes.",
            story="portal.scenarios.redeem_lee",
        ),
        Scenario(
            REQUESTS,
            "Requests waiting",
            f'Alex Wilber has asked to join "{MARKETING}" and for access to {SERVICENOW}. Both wait for Adele '
            "Vance's decision on her Requests page; the emails telling her are in the mailbox.",
            story="portal.scenarios.request_access",
        ),
    )
}


def _prerequisites_undone(spec: TenantSpec) -> TenantSpec:
    """The tenant before the Prerequisites: self-service groups off, no Salesforce Users, Salesforce unconfigured."""
    if spec != CONTOSO:
        return spec
    salesforce_unconfigured = {
        "single_sign_on_mode": SingleSignOnMode.DISABLED,
        "users": (),
        "self_service_group": "",
        "notes": "",
    }
    return replace(
        spec,
        # Off is the tenant's default: the setting is simply not applied.
        settings={
            key: value for key, value in spec.settings.items() if key != "owners_can_manage_group_membership_requests"
        },
        groups=tuple(group for group in spec.groups if group.display_name != SALESFORCE_USERS),
        apps=tuple(
            replace(app, **salesforce_unconfigured) if app.display_name == SALESFORCE else app for app in spec.apps
        ),
    )


def seed_demo(*, scenario: str = CONFIGURED) -> int:
    """Create whatever of the demo (in that scenario) is missing, in one transaction; returns how many it created.

    Seeding a database that holds another scenario adds what is missing without undoing
    anything: reset_demo starts a scenario afresh.
    """
    chosen = SCENARIOS[scenario]
    seeder = _Seeder()
    with transaction.atomic():
        for spec in DEMO_TENANTS:
            seeder.seed_tenant(spec if chosen.prerequisites_done else _prerequisites_undone(spec))
        # Apps above the directory (the identity provider) wire their part of the story.
        for config in django_apps.get_app_configs():
            if hasattr(config, "seed_demo"):
                seeder.created += config.seed_demo()
        if chosen.story:
            seeder.created += import_string(chosen.story)()
    return seeder.created


def wipe_all_data() -> None:
    """Delete every tenant, account, directory object, invitation, email, passcode and request."""
    with transaction.atomic():
        # Audit events go first: deleting their initiators would otherwise set
        # initiated_by_user to NULL, an UPDATE the append-only trigger refuses.
        AuditEvent.objects.all().delete()
        # Through the app registry, so the directory still imports nothing from the apps above it.
        for label in ("portal", "invitations", "signin"):
            for model in django_apps.get_app_config(label).get_models():
                model._default_manager.all().delete()
        # An assignment protects its app role, and a self-service app can't outlive its group
        # (the cascade would set the group to NULL first), so neither can wait for the cascade.
        AppRoleAssignment.objects.all().delete()
        Application.objects.all().delete()
        Tenant.objects.all().delete()
        Account.objects.all().delete()


def reset_demo(*, scenario: str = CONFIGURED) -> int:
    """Wipe all data (the mailbox too) and seed the scenario in one transaction; returns how many objects it made."""
    with transaction.atomic():
        wipe_all_data()
        return seed_demo(scenario=scenario)
