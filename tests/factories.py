"""One factory per model. Traits name the states tests need: guest, pending, accepted, dynamic, synced."""

import datetime

import factory
from django.utils import timezone

from directory.models import (
    Account,
    Application,
    AppRole,
    AppRoleAssignment,
    AuditEvent,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
)
from invitations.models import BlockedAddress, Invitation, OneTimePasscode, OutboundEmail
from invitations.passcodes import CODE_LIFETIME, hash_code
from invitations.tickets import hash_ticket
from portal.models import AppAccessRequest, GroupJoinRequest
from signin.models import AppRegistration, ClientSecret, SignInEvent
from signin.services import hash_secret

DEFAULT_PASSWORD = "Correct-Horse-42"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    display_name = factory.Sequence(lambda n: f"Tenant {n}")
    initial_domain = factory.Sequence(lambda n: f"tenant{n}.onmicrosoft.com")
    verified_domains = factory.Sequence(lambda n: f"tenant{n}.example")
    privacy_statement_url = "https://privacy.example/statement"

    class Params:
        self_service_groups = factory.Trait(owners_can_manage_group_membership_requests=True)


class DirectoryUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectoryUser

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Faker("name")
    mail = factory.Sequence(lambda n: f"user{n}@member.example")
    user_principal_name = factory.LazyAttribute(lambda o: o.mail)
    account = factory.SubFactory(AccountFactory, email=factory.SelfAttribute("..mail"))

    class Params:
        guest = factory.Trait(
            user_type=DirectoryUser.UserType.GUEST,
            creation_type=DirectoryUser.CreationType.INVITATION,
            external_user_state=DirectoryUser.ExternalUserState.ACCEPTED,
            external_user_state_change_date_time=factory.LazyFunction(timezone.now),
            mail=factory.Sequence(lambda n: f"guest{n}@partner.example"),
            user_principal_name=factory.LazyAttribute(
                lambda o: f"{o.mail.replace('@', '_')}#EXT#@{o.tenant.initial_domain}"
            ),
        )
        pending = factory.Trait(
            guest=True,
            account=None,
            external_user_state=DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE,
        )
        disabled = factory.Trait(account_enabled=False)


class DirectoryRoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectoryRoleAssignment

    user = factory.SubFactory(DirectoryUserFactory)
    role = DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"Group {n}")
    group_type = Group.GroupType.SECURITY
    membership_type = Group.MembershipType.ASSIGNED

    class Params:
        dynamic = factory.Trait(
            membership_type=Group.MembershipType.DYNAMIC_USER,
            membership_rule='(user.department -eq "Sales")',
        )
        synced = factory.Trait(on_premises_sync_enabled=True)
        open = factory.Trait(join_policy=Group.JoinPolicy.OPEN)
        approval = factory.Trait(join_policy=Group.JoinPolicy.OWNER_APPROVAL)

    @factory.post_generation
    def owners(self, create: bool, extracted: list[DirectoryUser] | None, **kwargs: object) -> None:
        for user in extracted or []:
            GroupOwner.objects.create(group=self, user=user)

    @factory.post_generation
    def members(self, create: bool, extracted: list[DirectoryUser] | None, **kwargs: object) -> None:
        for user in extracted or []:
            GroupMember.objects.create(group=self, user=user)


class GroupOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupOwner

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(DirectoryUserFactory, tenant=factory.SelfAttribute("..group.tenant"))


class GroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMember

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(DirectoryUserFactory, tenant=factory.SelfAttribute("..group.tenant"))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"App {n}")
    homepage_url = factory.Sequence(lambda n: f"https://app{n}.example/")
    single_sign_on_mode = Application.SingleSignOnMode.OIDC

    class Params:
        saml = factory.Trait(
            single_sign_on_mode=Application.SingleSignOnMode.SAML,
            sign_on_url=factory.Sequence(lambda n: f"https://app{n}.example/saml/sign-on"),
        )
        linked = factory.Trait(
            single_sign_on_mode=Application.SingleSignOnMode.LINKED,
            sign_on_url=factory.Sequence(lambda n: f"https://linked{n}.example/"),
        )
        hidden = factory.Trait(visible_to_users=False)
        disabled = factory.Trait(account_enabled=False)

    @factory.post_generation
    def default_role(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            AppRole.objects.get_or_create(application=self, display_name=AppRole.DEFAULT_ACCESS)


class AppRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppRole
        django_get_or_create = ("application", "display_name")

    application = factory.SubFactory(ApplicationFactory)
    display_name = AppRole.DEFAULT_ACCESS


class AppRoleAssignmentFactory(factory.django.DjangoModelFactory):
    """Assigns a user by default; pass principal_group=... (and principal_user=None) for a group."""

    class Meta:
        model = AppRoleAssignment

    application = factory.SubFactory(ApplicationFactory)
    app_role = factory.SubFactory(AppRoleFactory, application=factory.SelfAttribute("..application"))
    principal_user = factory.SubFactory(DirectoryUserFactory, tenant=factory.SelfAttribute("..application.tenant"))
    principal_group = None


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    tenant = factory.SubFactory(TenantFactory)
    category = AuditEvent.Category.USER_MANAGEMENT
    activity = "Add user"
    initiated_by = "admin@contoso.com"
    target_type = "DirectoryUser"
    target = "Someone"


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation of a pending guest. Its plain ticket is `invitation.plain_ticket` (not stored)."""

    class Meta:
        model = Invitation

    invited_user = factory.SubFactory(DirectoryUserFactory, pending=True)
    tenant = factory.SelfAttribute("invited_user.tenant")
    invited_user_email_address = factory.SelfAttribute("invited_user.mail")
    invited_user_display_name = factory.SelfAttribute("invited_user.display_name")
    inviter_name = "Megan Bowen"
    inviter_email = "megan.bowen@contoso.com"
    plain_ticket = factory.Sequence(lambda n: f"test-ticket-{n}")
    ticket_hash = factory.LazyAttribute(lambda o: hash_ticket(o.plain_ticket))
    send_count = 1
    last_sent_date_time = factory.LazyFunction(timezone.now)

    class Params:
        revoked = factory.Trait(status=Invitation.Status.REVOKED, revoked_date_time=factory.LazyFunction(timezone.now))
        completed = factory.Trait(
            status=Invitation.Status.COMPLETED, redeemed_date_time=factory.LazyFunction(timezone.now)
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plain = kwargs.pop("plain_ticket")
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.plain_ticket = plain
        return invitation

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        plain = kwargs.pop("plain_ticket")
        invitation = super()._build(model_class, *args, **kwargs)
        invitation.plain_ticket = plain
        return invitation


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundEmail

    kind = OutboundEmail.Kind.NOTIFICATION
    to = factory.Sequence(lambda n: f"recipient{n}@partner.example")
    from_email = "Access Portal <invites@accessportal.localhost>"
    subject = factory.Sequence(lambda n: f"Notification {n}")
    body_text = "Hello."
    body_html = "<p>Hello.</p>"

    class Params:
        sent = factory.Trait(status=OutboundEmail.Status.SENT, sent_date_time=factory.LazyFunction(timezone.now))
        failed = factory.Trait(status=OutboundEmail.Status.FAILED, attempts=6, last_error="SMTPServerDisconnected")


class BlockedAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedAddress

    email = factory.Sequence(lambda n: f"blocked{n}@partner.example")


class GroupJoinRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupJoinRequest

    group = factory.SubFactory(GroupFactory, approval=True)
    requester = factory.SubFactory(DirectoryUserFactory, tenant=factory.SelfAttribute("..group.tenant"))
    justification = "I work on this project."

    class Params:
        approved = factory.Trait(
            status=GroupJoinRequest.Status.APPROVED, decided_date_time=factory.LazyFunction(timezone.now)
        )
        denied = factory.Trait(
            status=GroupJoinRequest.Status.DENIED, decided_date_time=factory.LazyFunction(timezone.now)
        )
        cancelled = factory.Trait(
            status=GroupJoinRequest.Status.CANCELLED, decided_date_time=factory.LazyFunction(timezone.now)
        )


class AppAccessRequestFactory(factory.django.DjangoModelFactory):
    """A pending request for a self-service app that needs approval; pass approvers=[...] to the application."""

    class Meta:
        model = AppAccessRequest

    application = factory.SubFactory(
        ApplicationFactory,
        self_service_enabled=True,
        self_service_approval_required=True,
        self_service_group=factory.SubFactory(GroupFactory, tenant=factory.SelfAttribute("..tenant")),
    )
    requester = factory.SubFactory(DirectoryUserFactory, tenant=factory.SelfAttribute("..application.tenant"))
    justification = "I need it for the quarterly report."

    class Params:
        approved = factory.Trait(
            status=AppAccessRequest.Status.APPROVED, decided_date_time=factory.LazyFunction(timezone.now)
        )
        denied = factory.Trait(
            status=AppAccessRequest.Status.DENIED, decided_date_time=factory.LazyFunction(timezone.now)
        )


class OneTimePasscodeFactory(factory.django.DjangoModelFactory):
    """A code sent for an invitation's address. Its plain code is `passcode.plain_code` (not stored)."""

    class Meta:
        model = OneTimePasscode

    invitation = factory.SubFactory(InvitationFactory)
    email = factory.SelfAttribute("invitation.invited_user_email_address")
    plain_code = "12345678"
    expires_date_time = factory.LazyFunction(lambda: timezone.now() + CODE_LIFETIME)

    class Params:
        expired = factory.Trait(expires_date_time=factory.LazyFunction(timezone.now))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plain = kwargs.pop("plain_code")
        passcode = model_class(*args, **kwargs)
        passcode.code_hash = hash_code(passcode=passcode, code=plain)
        passcode.save()
        passcode.plain_code = plain
        return passcode


class AppRegistrationFactory(factory.django.DjangoModelFactory):
    """An app registration backing an OIDC enterprise application of the same tenant."""

    class Meta:
        model = AppRegistration

    tenant = factory.SubFactory(TenantFactory)
    application = factory.SubFactory(ApplicationFactory, tenant=factory.SelfAttribute("..tenant"))
    display_name = factory.LazyAttribute(lambda o: o.application.display_name if o.application else "Registration")
    redirect_uris = factory.Sequence(lambda n: f"https://rp{n}.example/callback")

    class Params:
        unlinked = factory.Trait(application=None)


class ClientSecretFactory(factory.django.DjangoModelFactory):
    """A client secret. Its plain value is `secret.value` (only the hash is stored)."""

    class Meta:
        model = ClientSecret

    registration = factory.SubFactory(AppRegistrationFactory)
    description = "Test secret"
    value = factory.Sequence(lambda n: f"test-secret-value-{n:04d}-abcdefghijklmnop")
    expires_date_time = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))

    class Params:
        expired = factory.Trait(expires_date_time=factory.LazyFunction(timezone.now))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        value = kwargs.pop("value")
        secret = model_class(*args, hint=value[:3], secret_hash=hash_secret(value), **kwargs)
        secret.save()
        secret.value = value
        return secret


class SignInEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignInEvent

    tenant = factory.SubFactory(TenantFactory)
    request_id = factory.Faker("uuid4", cast_to=None)
    user_display_name = factory.Faker("name")
    user_principal_name = factory.Sequence(lambda n: f"signin{n}@member.example")
    app_display_name = "My Apps"
    status = SignInEvent.Status.SUCCESS
    protocol = SignInEvent.Protocol.PASSWORD
