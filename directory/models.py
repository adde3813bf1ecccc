"""The directory: tenants, sign-in accounts, directory objects and the audit log.

Names follow Microsoft Graph (user, group, application, appRoleAssignment) so a
trainee recognises them. Invariants that can live in the database do: unique
constraints, check constraints, and an append-only trigger on the audit log.
"""

import hashlib
import re
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from accessportal.validators import WebAddressField
from directory.emails import canonical_domain, canonical_email

MAX_COLLABORATION_DOMAINS_LENGTH = 25_000
MAX_NOTES_LENGTH = 1_024
MAX_SELF_SERVICE_APPROVERS = 10

domain_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "Enter a domain name such as contoso.com.",
)
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, for example #0078d4.")


class AccountManager(BaseUserManager["Account"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "Account":
        return self.get(email=canonical_email(username))

    def create_user(self, email: str, password: str | None = None, **extra) -> "Account":
        if not email:
            raise ValueError("An account needs an email address.")
        account = self.model(email=canonical_email(email), **extra)
        if password:
            account.set_password(password)
        else:
            account.set_unusable_password()
        account.full_clean(exclude=["password"])
        account.save(using=self._db)
        return account

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "Account":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    """A person's sign-in identity. One account can be several tenants' directory users."""

    # Stored lower-case (a check constraint holds it), so the unique index is case-insensitive.
    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=256, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("staff status", default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = AccountManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = "sign-in account"
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="account_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = canonical_email(self.email)

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.get_full_name()


class GuestUserAccess(models.TextChoices):
    SAME_AS_MEMBERS = (
        "a0b1b346-4d3e-4e8b-98f8-753987be4970",
        "Guest users have the same access as members (most inclusive)",
    )
    LIMITED = (
        "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "Guest users have limited access to properties and memberships of directory objects",
    )
    RESTRICTED = (
        "2af84b1e-32c8-42b7-82bc-daa82404023b",
        "Guest user access is restricted to properties and memberships of their own "
        "directory objects (most restrictive)",
    )


class AllowInvitesFrom(models.TextChoices):
    EVERYONE = (
        "everyone",
        "Anyone in the organization can invite guest users including guests and non-admins (most inclusive)",
    )
    ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS = (
        "adminsGuestInvitersAndAllMembers",
        "Member users and users assigned to specific admin roles can invite guest users "
        "including guests with member permissions",
    )
    ADMINS_AND_GUEST_INVITERS = (
        "adminsAndGuestInviters",
        "Only users assigned to specific admin roles can invite guest users",
    )
    NONE = (
        "none",
        "No one in the organization can invite guest users including admins (most restrictive)",
    )


class CollaborationRestriction(models.TextChoices):
    ALLOW_ANY = "allowAny", "Allow invitations to be sent to any domain (most inclusive)"
    DENY_LISTED = "denyListed", "Deny invitations to the specified domains"
    ALLOW_LISTED = "allowListed", "Allow invitations only to the specified domains (most restrictive)"


class UserType(models.TextChoices):
    MEMBER = "Member", "Member"
    GUEST = "Guest", "Guest"


class ExternalUserState(models.TextChoices):
    PENDING_ACCEPTANCE = "PendingAcceptance", "PendingAcceptance"
    ACCEPTED = "Accepted", "Accepted"


class CreationType(models.TextChoices):
    NONE = "", "(none)"
    INVITATION = "Invitation", "Invitation"


class DirectoryRole(models.TextChoices):
    GLOBAL_ADMINISTRATOR = "Global Administrator"
    USER_ADMINISTRATOR = "User Administrator"
    HELPDESK_ADMINISTRATOR = "Helpdesk Administrator"
    GUEST_INVITER = "Guest Inviter"


class GroupType(models.TextChoices):
    SECURITY = "Security", "Security"
    MICROSOFT_365 = "Microsoft365", "Microsoft 365"


class MembershipType(models.TextChoices):
    ASSIGNED = "Assigned", "Assigned"
    DYNAMIC_USER = "DynamicUser", "Dynamic user"


class JoinPolicy(models.TextChoices):
    OPEN = "open", "Open: anyone can join"
    OWNER_APPROVAL = "ownerApproval", "Owner approval required"
    CLOSED = "closed", "Closed: only owners can add members"


class SingleSignOnMode(models.TextChoices):
    SAML = "saml", "SAML"
    OIDC = "oidc", "OpenID Connect / OAuth"
    PASSWORD = "password", "Password-based"
    LINKED = "linked", "Linked"
    DISABLED = "disabled", "Disabled"


class AuditCategory(models.TextChoices):
    USER_MANAGEMENT = "UserManagement"
    GROUP_MANAGEMENT = "GroupManagement"
    SELF_SERVICE_GROUP_MANAGEMENT = "SelfServiceGroupManagement", "Self-service group management"
    APPLICATION_MANAGEMENT = "ApplicationManagement"
    POLICY = "Policy"


class AuditResult(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class Tenant(models.Model):
    GuestUserAccess = GuestUserAccess
    AllowInvitesFrom = AllowInvitesFrom
    CollaborationRestriction = CollaborationRestriction

    id = models.UUIDField("tenant ID", primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField("name", max_length=256)
    initial_domain = models.CharField(
        max_length=253,
        unique=True,
        validators=[domain_validator],
        help_text="The tenant's onmicrosoft.com domain, used in guest user principal names.",
    )
    verified_domains = models.TextField(
        blank=True,
        help_text="Custom domains the organization owns, one per line (for example contoso.com).",
    )
    privacy_statement_url = models.URLField("privacy statement URL", blank=True)
    branding_color = models.CharField("banner colour", max_length=7, default="#0078d4", validators=[colour_validator])

    # Groups – General
    owners_can_manage_group_membership_requests = models.BooleanField(
        "Owners can manage group membership requests in the Access Panel", default=False
    )
    restrict_access_panel_groups = models.BooleanField(
        "Restrict user ability to access groups features in the Access Panel", default=False
    )
    users_can_create_security_groups = models.BooleanField(
        "Users can create security groups in Azure portals, API or PowerShell", default=True
    )
    users_can_create_m365_groups = models.BooleanField(
        "Users can create Microsoft 365 groups in Azure portals, API or PowerShell", default=True
    )

    # External collaboration settings
    guest_user_role_id = models.CharField(
        "Guest user access restrictions",
        max_length=36,
        choices=GuestUserAccess.choices,
        default=GuestUserAccess.LIMITED,
    )
    allow_invites_from = models.CharField(
        "Guest invite restrictions",
        max_length=40,
        choices=AllowInvitesFrom.choices,
        default=AllowInvitesFrom.EVERYONE,
    )
    email_otp_enabled = models.BooleanField("Email one-time passcode for guests", default=True)
    collaboration_restriction = models.CharField(
        "Collaboration restrictions",
        max_length=20,
        choices=CollaborationRestriction.choices,
        default=CollaborationRestriction.ALLOW_ANY,
    )
    collaboration_domains = models.TextField(
        "Target domains",
        blank=True,
        help_text="One domain per line, at most 25,000 characters.",
    )
    invitation_link_lifetime_days = models.PositiveIntegerField(
        "Invitation link lifetime (days)",
        default=0,
        help_text="0 means invitation links never expire, as in Azure.",
    )
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(guest_user_role_id__in=GuestUserAccess.values),
                name="tenant_guest_user_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(allow_invites_from__in=AllowInvitesFrom.values),
                name="tenant_allow_invites_from_valid",
            ),
            models.CheckConstraint(
                condition=Q(collaboration_restriction__in=CollaborationRestriction.values),
                name="tenant_collaboration_restriction_valid",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("collaboration_domains"), MAX_COLLABORATION_DOMAINS_LENGTH),
                name="tenant_collaboration_domains_max_length",
            ),
            models.CheckConstraint(
                condition=~Q(collaboration_restriction=CollaborationRestriction.ALLOW_ANY)
                | Q(collaboration_domains=""),
                name="tenant_allow_any_has_no_domain_list",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def verified_domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.verified_domains.splitlines() if d.strip()]

    @property
    def primary_domain(self) -> str:
        domains = self.verified_domain_list
        return domains[0] if domains else self.initial_domain

    @property
    def all_domains(self) -> set[str]:
        return {self.initial_domain.lower(), *self.verified_domain_list}

    @property
    def collaboration_domain_list(self) -> list[str]:
        return [canonical_domain(d) for d in self.collaboration_domains.splitlines() if d.strip()]


class DirectoryUser(models.Model):
    """A user object in one tenant's directory (Graph `user`)."""

    UserType = UserType
    ExternalUserState = ExternalUserState
    CreationType = CreationType

    id = models.UUIDField("object ID", primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="users")
    # PROTECT, not SET_NULL: an accepted guest must keep its account (a check constraint says so),
    # so an account is deleted only after the directory users linked to it.
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_users",
        help_text="The sign-in account linked to this user. Empty for a guest until redemption.",
    )
    user_principal_name = models.CharField("user principal name", max_length=320)
    display_name = models.CharField("name", max_length=256)
    mail = models.EmailField("email", max_length=254)
    user_type = models.CharField(max_length=10, choices=UserType.choices, default=UserType.MEMBER)
    external_user_state = models.CharField(
        "invitation state", max_length=20, choices=ExternalUserState.choices, blank=True
    )
    external_user_state_change_date_time = models.DateTimeField(null=True, blank=True)
    creation_type = models.CharField(max_length=20, choices=CreationType.choices, blank=True)
    account_enabled = models.BooleanField("account enabled", default=True)
    department = models.CharField(max_length=64, blank=True)
    job_title = models.CharField(max_length=128, blank=True)
    on_premises_sync_enabled = models.BooleanField("synced from on-premises", default=False)
    invited_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "user"
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(Lower("user_principal_name"), name="user_upn_ci_unique"),
            models.UniqueConstraint("tenant", Lower("mail"), name="user_mail_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["tenant", "account"],
                condition=Q(account__isnull=False),
                name="user_account_unique_per_tenant",
            ),
            models.CheckConstraint(condition=Q(user_type__in=UserType.values), name="user_type_valid"),
            models.CheckConstraint(
                condition=Q(external_user_state="")
                | Q(external_user_state=ExternalUserState.ACCEPTED, account__isnull=False)
                | Q(external_user_state=ExternalUserState.PENDING_ACCEPTANCE, account__isnull=True),
                name="user_external_state_matches_account",
            ),
            models.CheckConstraint(
                condition=~Q(creation_type=CreationType.INVITATION) | ~Q(external_user_state=""),
                name="user_invited_has_external_state",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "user_type"]),
            # People search and the admin's user lists read a tenant's users in name order.
            models.Index(fields=["tenant", "display_name", "id"], name="user_tenant_name_order"),
            # An address's home organization is looked up across tenants (the unique index leads with tenant).
            models.Index(Lower("mail"), name="user_mail_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mail})"

    @property
    def is_guest(self) -> bool:
        return self.user_type == UserType.GUEST

    @property
    def is_pending(self) -> bool:
        return self.external_user_state == ExternalUserState.PENDING_ACCEPTANCE

    @property
    def invitation_accepted(self) -> bool:
        return self.external_user_state == ExternalUserState.ACCEPTED


class UserSearchTerm(models.Model):
    """A lower-cased key people search matches by prefix (see directory/search.py)."""

    # No single-column indexes: the (tenant, term) index and the (user, term) constraint lead with them.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="search_terms", db_index=False)
    term = models.CharField(max_length=320)
    # The user's name, the order suggestions come in: the matches are sorted from the index alone.
    display_name = models.CharField(max_length=256)
    # The term's first one, two and three characters: a search for up to three is an equality,
    # which the indexes below answer in name order, so a common prefix stops after one page.
    prefix1 = models.CharField(max_length=1)
    prefix2 = models.CharField(max_length=2)
    prefix3 = models.CharField(max_length=3)

    class Meta:
        verbose_name = "user search term"
        constraints = [models.UniqueConstraint(fields=["user", "term"], name="user_search_term_unique")]
        # text_pattern_ops lets PostgreSQL answer `term LIKE 'q%'` from the index under any collation;
        # the name and user in the index make it covering, so a search never reads the users table to sort
        # (nor, with prefix3 last, the keys table to test a longer search's first three characters).
        indexes = [
            models.Index(
                fields=["tenant", "term", "display_name", "user", "prefix3"],
                name="user_search_term_covering",
                opclasses=["uuid_ops", "text_pattern_ops", "text_ops", "uuid_ops", "text_ops"],
            ),
            models.Index(fields=["tenant", "prefix1", "display_name", "user"], name="user_search_term_prefix1"),
            models.Index(fields=["tenant", "prefix2", "display_name", "user"], name="user_search_term_prefix2"),
            # With the term last, a longer search walks its first three characters' keys in name order
            # and tests each term from the index.
            models.Index(
                fields=["tenant", "prefix3", "display_name", "user", "term"],
                name="user_search_term_prefix3",
                opclasses=["uuid_ops", "text_ops", "text_ops", "uuid_ops", "text_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.term


class DirectoryRoleAssignment(models.Model):
    Role = DirectoryRole

    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=DirectoryRole.choices)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "directory role assignment"
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique"),
            models.CheckConstraint(condition=Q(role__in=DirectoryRole.values), name="role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.user.display_name}"


class Group(models.Model):
    GroupType = GroupType
    MembershipType = MembershipType
    JoinPolicy = JoinPolicy

    id = models.UUIDField("object ID", primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="groups")
    display_name = models.CharField("group name", max_length=256)
    description = models.CharField("group description", max_length=1024, blank=True)
    group_type = models.CharField(max_length=20, choices=GroupType.choices, default=GroupType.SECURITY)
    membership_type = models.CharField(max_length=20, choices=MembershipType.choices, default=MembershipType.ASSIGNED)
    membership_rule = models.TextField(
        "dynamic membership rule",
        blank=True,
        help_text='Required for dynamic groups, for example (user.department -eq "Sales").',
    )
    on_premises_sync_enabled = models.BooleanField("synced from on-premises", default=False)
    join_policy = models.CharField(max_length=20, choices=JoinPolicy.choices, default=JoinPolicy.CLOSED)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(condition=Q(group_type__in=GroupType.values), name="group_type_valid"),
            models.CheckConstraint(condition=Q(join_policy__in=JoinPolicy.values), name="group_join_policy_valid"),
            models.CheckConstraint(
                condition=(Q(membership_type=MembershipType.ASSIGNED) & Q(membership_rule=""))
                | (Q(membership_type=MembershipType.DYNAMIC_USER) & ~Q(membership_rule="")),
                name="group_rule_iff_dynamic",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_dynamic(self) -> bool:
        return self.membership_type != MembershipType.ASSIGNED

    @property
    def accepts_manual_members(self) -> bool:
        return not self.is_dynamic and not self.on_premises_sync_enabled


class GroupOwner(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="owner_links")
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="owned_group_links")
    added_by = models.ForeignKey(DirectoryUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "owner"
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_owner_unique")]

    def __str__(self) -> str:
        return f"{self.user.display_name} owns {self.group.display_name}"


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="member_links")
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="member_links")
    added_by = models.ForeignKey(DirectoryUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "member"
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_member_unique")]

    def __str__(self) -> str:
        return f"{self.user.display_name} in {self.group.display_name}"


INITIALS_COLOURS = 8


def logo_version(logo: bytes) -> str:
    """The first 16 hex digits of the logo's SHA-256 ("" without a logo)."""
    return hashlib.sha256(logo).hexdigest()[:16] if logo else ""


class Application(models.Model):
    """An enterprise application (Graph `servicePrincipal`)."""

    SingleSignOnMode = SingleSignOnMode

    id = models.UUIDField("object ID", primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="applications")
    display_name = models.CharField("name", max_length=256)
    homepage_url = WebAddressField("Homepage URL", max_length=2048, blank=True)
    account_enabled = models.BooleanField("Enabled for users to sign in?", default=True)
    app_role_assignment_required = models.BooleanField("Assignment required?", default=True)
    visible_to_users = models.BooleanField("Visible to users?", default=True)
    logo = models.BinaryField("Logo", blank=True, default=b"", editable=True)
    # The logo's content hash, the version in its URL: a new logo is a new URL, so a browser can keep
    # each one forever and My Apps never reads the bytes.
    logo_hash = models.CharField(max_length=16, blank=True, editable=False)
    notes = models.TextField(blank=True, max_length=MAX_NOTES_LENGTH)
    single_sign_on_mode = models.CharField(
        "Single sign-on mode",
        max_length=20,
        choices=SingleSignOnMode.choices,
        default=SingleSignOnMode.DISABLED,
    )
    sign_on_url = WebAddressField(
        "Sign-on URL",
        max_length=2048,
        blank=True,
        help_text="Used by SAML (where the tile starts sign-in) and Linked (where the tile goes).",
    )
    # Self-service
    self_service_enabled = models.BooleanField("Allow users to request access to this application?", default=False)
    # RESTRICT, not SET_NULL: nulling the group would leave self-service on without a group.
    # delete_group turns self-service off first; a tenant delete removes both together.
    self_service_group = models.ForeignKey(
        Group,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="self_service_applications",
        verbose_name="To which group should assigned users be added?",
    )
    self_service_approval_required = models.BooleanField(
        "Require approval before granting access to this application?", default=False
    )
    self_service_approvers = models.ManyToManyField(
        DirectoryUser,
        blank=True,
        related_name="approver_for_applications",
        verbose_name="Who is allowed to approve access to this application?",
    )
    self_service_role = models.ForeignKey(
        "AppRole",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="To which role should users be assigned in this application?",
    )
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "enterprise application"
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(single_sign_on_mode__in=SingleSignOnMode.values), name="app_sso_mode_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), MAX_NOTES_LENGTH), name="app_notes_max_length"
            ),
            models.CheckConstraint(
                condition=Q(self_service_enabled=False) | Q(self_service_group__isnull=False),
                name="app_self_service_needs_group",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        if "logo" not in self.get_deferred_fields():
            self.logo_hash = logo_version(bytes(self.logo))
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "logo" in update_fields:
                kwargs["update_fields"] = {*update_fields, "logo_hash"}
        super().save(*args, **kwargs)

    @property
    def initials(self) -> str:
        """What the tile shows when the app has no logo."""
        words = re.findall(r"[^\W_]+", self.display_name)
        return "".join(word[0] for word in words[:2]).upper() or "?"

    @property
    def initials_colour(self) -> int:
        """One of INITIALS_COLOURS, the same for the app every time (its object ID picks it)."""
        return self.pk.int % INITIALS_COLOURS if self.pk else 0

    @property
    def launch_url(self) -> str:
        """Where the My Apps tile goes, by single sign-on mode."""
        if self.single_sign_on_mode in {SingleSignOnMode.SAML, SingleSignOnMode.LINKED}:
            return self.sign_on_url or self.homepage_url
        return self.homepage_url


class AppRole(models.Model):
    DEFAULT_ACCESS = "Default Access"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="app_roles")
    display_name = models.CharField(max_length=120, default=DEFAULT_ACCESS)
    value = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=256, blank=True)

    class Meta:
        verbose_name = "app role"
        constraints = [models.UniqueConstraint(fields=["application", "display_name"], name="app_role_name_unique")]

    def __str__(self) -> str:
        return self.display_name


class AppRoleAssignment(models.Model):
    """A user or a group assigned to an application (exactly one of the two)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    app_role = models.ForeignKey(AppRole, on_delete=models.RESTRICT, related_name="assignments")
    principal_user = models.ForeignKey(
        DirectoryUser, on_delete=models.CASCADE, null=True, blank=True, related_name="app_role_assignments"
    )
    principal_group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="app_role_assignments"
    )
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "user or group assignment"
        constraints = [
            models.CheckConstraint(
                condition=Q(principal_user__isnull=False, principal_group__isnull=True)
                | Q(principal_user__isnull=True, principal_group__isnull=False),
                name="assignment_exactly_one_principal",
            ),
            models.UniqueConstraint(
                fields=["application", "principal_user"],
                condition=Q(principal_user__isnull=False),
                name="assignment_user_unique",
            ),
            models.UniqueConstraint(
                fields=["application", "principal_group"],
                condition=Q(principal_group__isnull=False),
                name="assignment_group_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.application} ({self.app_role})"

    @property
    def principal(self) -> DirectoryUser | Group:
        return self.principal_user or self.principal_group


class AppsChange(models.Model):
    """A committed change to what the tenant's My Apps pages show, written by database triggers only.

    Triggers on applications, assignments, group members and group owners (migration 0010) record
    every insert, update and delete, whether it came from a service, a queryset update, a bulk
    insert or raw SQL. The XOR of a tenant's tags is its *apps version*
    (directory.selectors.apps_version): it changes when a change commits, and a page cached under
    one version shows exactly what the database held at that version.

    On PostgreSQL each writing transaction keeps its own row (one per transaction and tenant) and
    XORs a new random tag into it at every statement, so writers never wait for each other or for a
    shared counter; a writer that finds more than a few dozen rows merges the committed ones into
    its own (their XOR is kept, so the version doesn't change). SQLite has one writer at a time, so
    it keeps one row per tenant and its triggers give it a new random tag.
    """

    # No database constraint: a tenant's deletion deletes its applications (whose triggers write a
    # row here) before the tenant itself, and a trigger on the tenant then removes its rows.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    transaction_id = models.BigIntegerField()
    tag = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "transaction_id"], name="apps_change_one_per_transaction")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.transaction_id}"


class AuditEvent(models.Model):
    """One line of the audit log. Append-only: a database trigger refuses updates."""

    Category = AuditCategory
    Result = AuditResult

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_events")
    activity_date_time = models.DateTimeField("date", default=timezone.now, db_index=True)
    category = models.CharField(max_length=40, choices=AuditCategory.choices)
    activity = models.CharField(max_length=120)
    result = models.CharField(max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    result_reason = models.CharField(max_length=512, blank=True)
    initiated_by = models.CharField("initiated by", max_length=320)
    initiated_by_user = models.ForeignKey(
        DirectoryUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=512)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit logs"
        ordering = ["-activity_date_time", "-id"]
        indexes = [models.Index(fields=["tenant", "-activity_date_time"])]

    def __str__(self) -> str:
        return f"{self.activity}: {self.target}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Audit events are append-only and can't be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only and can't be deleted.")
