"""One factory per model. Traits name the states tests need: guest, pending, accepted, dynamic, synced."""

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
