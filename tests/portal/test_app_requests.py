import html
import threading

import pytest
from django.db import connection
from django.urls import reverse

from directory.audit import Activity
from directory.models import AuditEvent, GroupMember
from directory.services import PolicyError
from invitations.models import OutboundEmail
from portal.access_requests import (
    ALREADY_HAS_ACCESS,
    ALREADY_REQUESTED,
    JUSTIFICATION_TOO_LONG,
    NOT_AN_APPROVER,
    approve_app_request,
    cancel_app_request,
    deny_app_request,
    request_app_access,
)
from portal.decisions import ALREADY_DECIDED
from portal.models import AppAccessRequest, RequestStatus
from tests.factories import (
    AppAccessRequestFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)


def text(response) -> str:
    return html.unescape(response.content.decode())


def self_service_app(tenant, *, approvers=(), **properties):
    """A self-service app set up as the admin blade does: its group is assigned to it."""
    group = GroupFactory(tenant=tenant, display_name=f"{properties.get('display_name', 'App')} Users")
    app = ApplicationFactory(
        tenant=tenant,
        self_service_enabled=True,
        self_service_group=group,
        self_service_approval_required=bool(approvers),
        **properties,
    )
    app.self_service_approvers.set(approvers)
    AppRoleAssignmentFactory(application=app, principal_user=None, principal_group=group)
    return app


@pytest.fixture
def adele(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Adele Vance")


@pytest.fixture
def megan(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen")


@pytest.fixture
def salesforce(tenant, adele, megan):
    return self_service_app(tenant, approvers=[adele, megan], display_name="Salesforce")


@pytest.fixture
def pending(salesforce, member):
    return request_app_access(application=salesforce, requester=member, justification="Quarterly report")


def activities(tenant) -> list[str]:
    return list(AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("activity", flat=True))


# Add apps ---------------------------------------------------------------------------------


def test_add_apps_lists_self_service_apps_the_user_does_not_have(client, tenant, member):
    self_service_app(tenant, display_name="Contoso Travel")
    has_it = self_service_app(tenant, display_name="Already mine")
    GroupMember.objects.create(group=has_it.self_service_group, user=member)
    ApplicationFactory(tenant=tenant, display_name="Not self-service")
    self_service_app(tenant, display_name="Hidden one", hidden=True)
    self_service_app(tenant, display_name="Disabled one", disabled=True)
    self_service_app(ApplicationFactory().tenant, display_name="Fabrikam only")
    client.force_login(member.account)

    page = text(client.get(reverse("portal:add-apps")))

    assert "Contoso Travel" in page
    for absent in ("Already mine", "Not self-service", "Hidden one", "Disabled one", "Fabrikam only"):
        assert absent not in page
    assert "1 app available" in page


def test_add_apps_search_filters_by_name(client, tenant, member):
    self_service_app(tenant, display_name="Contoso Travel")
    self_service_app(tenant, display_name="Workday")
    client.force_login(member.account)

    page = text(client.get(reverse("portal:add-apps"), {"q": "work"}))

    assert "Workday" in page
    assert "Contoso Travel" not in page


def test_add_apps_htmx_search_returns_only_the_results_fragment(client, tenant, member):
    self_service_app(tenant, display_name="Workday")
    client.force_login(member.account)

    response = client.get(reverse("portal:add-apps"), {"q": "work"}, headers={"HX-Request": "true"})

    assert text(response).lstrip().startswith('<div id="add-apps-results">')
    assert "<html" not in text(response)


def test_add_apps_marks_an_app_already_requested(client, pending, member):
    client.force_login(member.account)

    page = text(client.get(reverse("portal:add-apps")))

    assert "Requested" in page
    assert reverse("portal:request-app", args=[pending.application.pk]) not in page


@pytest.mark.parametrize("count", [1, 200])
def test_add_apps_query_count_is_constant(client, tenant, member, count, django_assert_max_num_queries):
    group = GroupFactory(tenant=tenant)
    ApplicationFactory.create_batch(count, tenant=tenant, self_service_enabled=True, self_service_group=group)
    client.force_login(member.account)

    with django_assert_max_num_queries(7):
        response = client.get(reverse("portal:add-apps"))

    assert f"{count} app" in text(response)


def test_add_apps_redirects_anonymous_people_to_sign_in(client, db):
    response = client.get(reverse("portal:add-apps"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))


# Requesting --------------------------------------------------------------------------------


def test_request_without_approval_adds_the_requester_at_once(client, tenant, member):
    app = self_service_app(tenant, display_name="Contoso Travel")
    client.force_login(member.account)

    response = client.post(reverse("portal:request-app", args=[app.pk]), {"justification": "Trips"}, follow=True)

    assert GroupMember.objects.filter(group=app.self_service_group, user=member).exists()
    access_request = AppAccessRequest.objects.get(application=app, requester=member)
    assert access_request.status == RequestStatus.APPROVED
    assert access_request.justification == "Trips"
    assert activities(tenant) == [Activity.REQUEST_APP_ACCESS, Activity.ADD_MEMBER_TO_GROUP]
    assert "You now have access to Contoso Travel." in text(response)
    assert '<span class="tile__name">Contoso Travel</span>' in text(response)
    assert not OutboundEmail.objects.exists()


def test_request_with_approval_waits_and_emails_every_approver(client, tenant, member, salesforce, adele, megan):
    client.force_login(member.account)

    response = client.post(reverse("portal:request-app", args=[salesforce.pk]), {"justification": "Q3"}, follow=True)

    access_request = AppAccessRequest.objects.get(application=salesforce, requester=member)
    assert access_request.status == RequestStatus.PENDING
    assert not GroupMember.objects.filter(group=salesforce.self_service_group, user=member).exists()
    assert activities(tenant) == [Activity.REQUEST_APP_ACCESS]
    emails = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.NOTIFICATION).order_by("to")
    assert sorted(e.to for e in emails) == sorted([adele.mail, megan.mail])
    assert all(f"{member.display_name} requested access to Salesforce" in e.subject for e in emails)
    assert all("Q3" in e.body_text and f"/requests/?tenantid={tenant.pk}" in e.body_text for e in emails)
    assert "Your request for Salesforce was sent to its approvers" in text(response)
    assert "Waiting for an approver" in text(response)


def test_a_second_request_while_one_is_pending_is_refused(client, pending, member, salesforce):
    client.force_login(member.account)

    response = client.post(reverse("portal:request-app", args=[salesforce.pk]), {"justification": ""})

    assert response.status_code == 200
    assert ALREADY_REQUESTED.format(app="Salesforce") in text(response)
    assert AppAccessRequest.objects.filter(requester=member).count() == 1


def test_request_for_an_app_the_user_already_has_is_refused(tenant, member):
    app = self_service_app(tenant, display_name="Contoso Travel")
    AppRoleAssignmentFactory(application=app, principal_user=member)

    with pytest.raises(PolicyError) as excinfo:
        request_app_access(application=app, requester=member)

    assert excinfo.value.message == ALREADY_HAS_ACCESS.format(app="Contoso Travel")


def test_justification_longer_than_1000_characters_is_refused(client, tenant, member, salesforce):
    client.force_login(member.account)

    response = client.post(reverse("portal:request-app", args=[salesforce.pk]), {"justification": "x" * 1001})

    assert response.status_code == 200
    assert "Ensure this value has at most 1000 characters" in text(response)
    assert not AppAccessRequest.objects.exists()
    with pytest.raises(PolicyError, match=JUSTIFICATION_TOO_LONG):
        request_app_access(application=salesforce, requester=member, justification="x" * 1001)


def test_request_page_shows_the_form_with_a_labelled_justification(client, member, salesforce):
    client.force_login(member.account)

    page = text(client.get(reverse("portal:request-app", args=[salesforce.pk])))

    assert "Request Salesforce" in page
    assert '<label for="id_justification">Business justification' in page
    assert ">Request</button>" in page


def test_request_page_of_an_app_without_self_service_is_404(client, tenant, member):
    app = ApplicationFactory(tenant=tenant)
    client.force_login(member.account)

    assert client.get(reverse("portal:request-app", args=[app.pk])).status_code == 404
    assert client.post(reverse("portal:request-app", args=[app.pk])).status_code == 404


def test_request_page_of_another_tenants_app_is_404(client, member):
    app = self_service_app(ApplicationFactory().tenant)
    client.force_login(member.account)

    assert client.post(reverse("portal:request-app", args=[app.pk])).status_code == 404
    assert not AppAccessRequest.objects.exists()


# Deciding ----------------------------------------------------------------------------------


def test_requests_page_shows_pending_requests_to_approvers_only(client, pending, adele, member, tenant):
    client.force_login(adele.account)
    approver_page = text(client.get(reverse("portal:requests")))
    client.force_login(DirectoryUserFactory(tenant=tenant).account)
    other_page = text(client.get(reverse("portal:requests")))

    assert f"{member.display_name} → Salesforce" in approver_page
    assert "Business justification: Quarterly report" in approver_page
    assert reverse("portal:approve-app-request", args=[pending.pk]) in approver_page
    assert reverse("portal:deny-app-request", args=[pending.pk]) in approver_page
    assert f"{member.display_name} → Salesforce" not in other_page


def test_requester_sees_their_requests_and_can_cancel_pending_ones(client, pending, member):
    client.force_login(member.account)

    page = text(client.get(reverse("portal:requests")))

    assert "My app requests" in page
    assert "Salesforce" in page
    assert "Pending" in page
    assert reverse("portal:cancel-app-request", args=[pending.pk]) in page


def test_approve_adds_the_requester_and_emails_them(client, pending, adele, member, salesforce, tenant):
    OutboundEmail.objects.all().delete()
    client.force_login(adele.account)

    response = client.post(reverse("portal:approve-app-request", args=[pending.pk]), {"reason": "Welcome"}, follow=True)

    pending.refresh_from_db()
    assert pending.status == RequestStatus.APPROVED
    assert pending.decided_by == adele
    assert pending.decision_reason == "Welcome"
    assert GroupMember.objects.filter(group=salesforce.self_service_group, user=member).exists()
    assert activities(tenant)[-2:] == [Activity.ADD_MEMBER_TO_GROUP, Activity.APPROVE_APP_ACCESS]
    email = OutboundEmail.objects.get()
    assert email.to == member.mail
    assert "approved" in email.subject
    assert "Adele Vance approved your request" in email.body_text
    assert "Welcome" in email.body_text
    assert f"You approved {member.display_name}'s request for Salesforce." in text(response)


def test_deny_with_a_reason_keeps_the_requester_out_and_emails_them(client, pending, megan, member, salesforce, tenant):
    OutboundEmail.objects.all().delete()
    client.force_login(megan.account)

    client.post(reverse("portal:deny-app-request", args=[pending.pk]), {"reason": "Use the shared account"})

    pending.refresh_from_db()
    assert pending.status == RequestStatus.DENIED
    assert pending.decided_by == megan
    assert pending.decision_reason == "Use the shared account"
    assert not GroupMember.objects.filter(group=salesforce.self_service_group, user=member).exists()
    assert activities(tenant)[-1] == Activity.REJECT_APP_ACCESS
    email = OutboundEmail.objects.get()
    assert email.to == member.mail
    assert "Megan Bowen denied your request" in email.body_text


def test_requester_sees_the_decision(client, pending, adele, member):
    deny_app_request(access_request=pending, approver=adele, reason="Not this quarter")
    client.force_login(member.account)

    page = text(client.get(reverse("portal:requests")))

    assert "Denied by Adele Vance: “Not this quarter”" in page
    assert reverse("portal:cancel-app-request", args=[pending.pk]) not in page


def test_cancel_withdraws_a_pending_request(client, pending, member, tenant):
    client.force_login(member.account)

    response = client.post(reverse("portal:cancel-app-request", args=[pending.pk]), follow=True)

    pending.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED
    assert activities(tenant)[-1] == Activity.CANCEL_APP_ACCESS
    assert "You cancelled your request for Salesforce." in text(response)


def test_nobody_else_can_cancel_a_request(client, pending, adele):
    client.force_login(adele.account)

    assert client.post(reverse("portal:cancel-app-request", args=[pending.pk])).status_code == 404
    pending.refresh_from_db()
    assert pending.is_pending


def test_second_decision_is_told_what_already_happened(client, pending, adele, megan):
    stale = AppAccessRequest.objects.get(pk=pending.pk)
    approve_app_request(access_request=pending, approver=adele)

    with pytest.raises(PolicyError) as excinfo:
        deny_app_request(access_request=stale, approver=megan)

    assert excinfo.value.message == ALREADY_DECIDED.format(name="Adele Vance", status="approved")
    client.force_login(megan.account)
    response = client.post(reverse("portal:approve-app-request", args=[pending.pk]), follow=True)
    assert "Adele Vance already approved this request." in text(response)
    stale.refresh_from_db()
    assert stale.status == RequestStatus.APPROVED
    assert stale.decided_by == adele


def test_cancelling_a_request_that_was_just_denied_says_so(pending, adele, member):
    deny_app_request(access_request=pending, approver=adele)

    with pytest.raises(PolicyError, match=ALREADY_DECIDED.format(name="Adele Vance", status="denied")):
        cancel_app_request(access_request=pending, requester=member)


def test_non_approver_cannot_decide(client, pending, tenant):
    outsider = DirectoryUserFactory(tenant=tenant)
    client.force_login(outsider.account)

    assert client.post(reverse("portal:approve-app-request", args=[pending.pk])).status_code == 404
    assert client.post(reverse("portal:deny-app-request", args=[pending.pk])).status_code == 404
    with pytest.raises(PolicyError, match=NOT_AN_APPROVER.format(app="Salesforce")):
        approve_app_request(access_request=pending, approver=outsider)
    pending.refresh_from_db()
    assert pending.is_pending


def test_requester_cannot_approve_their_own_request(client, pending, member):
    client.force_login(member.account)

    assert client.post(reverse("portal:approve-app-request", args=[pending.pk])).status_code == 404


def test_decisions_only_accept_post(client, pending, adele):
    client.force_login(adele.account)

    assert client.get(reverse("portal:approve-app-request", args=[pending.pk])).status_code == 405


def test_anonymous_decisions_are_redirected_to_sign_in(client, pending):
    response = client.post(reverse("portal:approve-app-request", args=[pending.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))
    pending.refresh_from_db()
    assert pending.is_pending


def test_approval_still_succeeds_when_the_requester_was_added_meanwhile(pending, adele, member, salesforce):
    GroupMember.objects.create(group=salesforce.self_service_group, user=member)

    approve_app_request(access_request=pending, approver=adele)

    pending.refresh_from_db()
    assert pending.status == RequestStatus.APPROVED


@pytest.mark.parametrize("count", [1, 50])
def test_requests_page_query_count_is_constant(client, adele, salesforce, tenant, count, django_assert_max_num_queries):
    for _ in range(count):
        AppAccessRequestFactory(application=salesforce, requester=DirectoryUserFactory(tenant=tenant))
    client.force_login(adele.account)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("portal:requests"))

    assert text(response).count("→ Salesforce") == count


@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_make_one_decision():
    tenant = TenantFactory()
    adele, megan, requester = DirectoryUserFactory.create_batch(3, tenant=tenant)
    application = self_service_app(tenant, approvers=[adele, megan], display_name="ServiceNow")
    access_request = request_app_access(application=application, requester=requester)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(approver, service):
        try:
            barrier.wait()
            service(access_request=access_request, approver=approver)
            outcomes.append("decided")
        except PolicyError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(adele, approve_app_request)),
        threading.Thread(target=decide, args=(megan, deny_app_request)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    access_request.refresh_from_db()
    winner = access_request.decided_by
    assert outcomes.count("decided") == 1
    assert ALREADY_DECIDED.format(name=winner.display_name, status=access_request.status) in outcomes
    decisions = [Activity.APPROVE_APP_ACCESS.value, Activity.REJECT_APP_ACCESS.value]
    assert AuditEvent.objects.filter(tenant=tenant, activity__in=decisions).count() == 1
    assert GroupMember.objects.filter(user=requester).count() == (access_request.status == RequestStatus.APPROVED)
