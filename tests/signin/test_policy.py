import pytest
from django.db import DatabaseError, transaction
from django.test import RequestFactory

from directory.models import Application
from signin.models import SignInEvent
from signin.policy import SignInRefused, authorize_sign_in
from signin.services import delete_expired_sign_in_events
from signin.tenancy import resolve_tenant
from tests.factories import (
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    GroupMemberFactory,
    SignInEventFactory,
    TenantFactory,
)

OIDC = SignInEvent.Protocol.OIDC


@pytest.fixture
def request_():
    return RequestFactory().get("/", HTTP_USER_AGENT="pytest-browser/1.0", REMOTE_ADDR="203.0.113.7")


def _refusal(request, user, application) -> SignInRefused:
    with pytest.raises(SignInRefused) as caught:
        authorize_sign_in(request=request, account=user.account, application=application, protocol=OIDC)
    return caught.value


def test_assigned_user_signs_in_and_it_is_logged(request_, member):
    app = ApplicationFactory(tenant=member.tenant)
    AppRoleAssignmentFactory(application=app, principal_user=member)
    assert authorize_sign_in(request=request_, account=member.account, application=app, protocol=OIDC) == member
    event = SignInEvent.objects.get()
    assert (event.status, event.user_id, event.resource_id, event.error_code) == ("success", member.pk, app.pk, 0)
    assert (event.ip_address, event.user_agent, event.cross_tenant_access_type) == (
        "203.0.113.7",
        "pytest-browser/1.0",
        "none",
    )


def test_assignment_through_a_group_counts(request_, member):
    app = ApplicationFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant)
    GroupMemberFactory(group=group, user=member)
    AppRoleAssignmentFactory(application=app, principal_group=group, principal_user=None)
    assert authorize_sign_in(request=request_, account=member.account, application=app, protocol=OIDC) == member


def test_unassigned_user_is_refused_with_aadsts50105_and_logged(request_, member):
    app = ApplicationFactory(tenant=member.tenant)
    refused = _refusal(request_, member, app)
    assert refused.code == "AADSTS50105" and refused.status == 403
    assert member.user_principal_name in refused.message
    event = SignInEvent.objects.get()
    assert (event.status, event.error_code, event.request_id) == ("failure", 50105, refused.request_id)
    assert event.failure_reason == refused.message


def test_app_without_assignment_required_lets_every_member_in(request_, member):
    app = ApplicationFactory(tenant=member.tenant, app_role_assignment_required=False)
    assert authorize_sign_in(request=request_, account=member.account, application=app, protocol=OIDC) == member


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"account_enabled": False}, "AADSTS7000112"),
        ({"single_sign_on_mode": Application.SingleSignOnMode.DISABLED}, "AADSTS7000112"),
    ],
)
def test_disabled_app_refuses_everyone(request_, member, changes, code):
    app = ApplicationFactory(tenant=member.tenant, app_role_assignment_required=False, **changes)
    assert _refusal(request_, member, app).code == code


def test_person_of_another_tenant_is_refused_even_when_the_app_is_open(request_, member):
    app = ApplicationFactory(tenant=TenantFactory(), app_role_assignment_required=False)
    refused = _refusal(request_, member, app)
    assert refused.code == "AADSTS50020"
    # Logged in the app's tenant, where the sign-in was tried.
    assert SignInEvent.objects.get().tenant == app.tenant


def test_disabled_user_and_pending_guest_are_refused(request_, tenant):
    app = ApplicationFactory(tenant=tenant, app_role_assignment_required=False)
    disabled = DirectoryUserFactory(tenant=tenant, disabled=True)
    assert _refusal(request_, disabled, app).code == "AADSTS50057"


def test_accepted_guest_signs_in_as_b2b_collaboration(request_, tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)
    app = ApplicationFactory(tenant=tenant)
    AppRoleAssignmentFactory(application=app, principal_user=guest)
    assert authorize_sign_in(request=request_, account=guest.account, application=app, protocol=OIDC) == guest
    assert SignInEvent.objects.get().cross_tenant_access_type == "b2bCollaboration"


def test_sign_in_events_are_append_only(tenant):
    event = SignInEventFactory(tenant=tenant)
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    # The database refuses too, whatever the ORM is asked.
    with pytest.raises(DatabaseError), transaction.atomic():
        SignInEvent.objects.filter(pk=event.pk).update(status="failure", error_code=1)
    event.refresh_from_db()
    assert event.status == "success"


def test_retention_cleanup_deletes_only_old_events(tenant, settings):
    from django.utils import timezone

    settings.SIGN_IN_LOG_RETENTION_DAYS = 7
    old = SignInEventFactory(tenant=tenant, created_date_time=timezone.now() - timezone.timedelta(days=8))
    recent = SignInEventFactory(tenant=tenant, created_date_time=timezone.now() - timezone.timedelta(days=6))
    assert delete_expired_sign_in_events() == 1
    assert list(SignInEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SignInEvent.objects.filter(pk=old.pk).exists()


def test_tenant_resolves_by_id_initial_domain_and_verified_domain(tenant):
    other = TenantFactory(verified_domains="contoso.example\nfabrikam.example")
    assert resolve_tenant(str(tenant.pk)) == tenant
    assert resolve_tenant(tenant.initial_domain.upper()) == tenant
    assert resolve_tenant("fabrikam.example") == other
    # A part of a domain is not a domain.
    assert resolve_tenant("abrikam.example") is None
    assert resolve_tenant("common") is None
    assert resolve_tenant("x" * 300) is None
