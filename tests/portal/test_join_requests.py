"""Requests to join owner-approval groups: request, approve, deny, cancel, and the emails they send."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from directory import services as directory_services
from directory.models import AuditEvent, GroupMember
from invitations.models import OutboundEmail
from portal import decisions, services
from portal.models import GroupJoinRequest
from tests.factories import DirectoryUserFactory, GroupFactory, GroupJoinRequestFactory, TenantFactory

Status = GroupJoinRequest.Status


@pytest.fixture
def owner(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Adele Vance", mail="adele@contoso.example")


@pytest.fixture
def co_owner(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan@contoso.example")


@pytest.fixture
def group(tenant, owner, co_owner):
    return GroupFactory(tenant=tenant, display_name="Project Falcon", approval=True, owners=[owner, co_owner])


@pytest.fixture
def requester(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="alex@contoso.example")


@pytest.fixture
def pending(group, requester):
    return GroupJoinRequestFactory(group=group, requester=requester, justification="I run the launch.")


def activities() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("activity", flat=True))


def is_member(group, user) -> bool:
    return GroupMember.objects.filter(group=group, user=user).exists()


# Requesting ---------------------------------------------------------------------


def test_request_to_join_creates_a_pending_request_and_emails_every_owner(group, requester):
    join_request = services.request_to_join_group(actor=requester, group=group, justification=" I run the launch. ")

    assert join_request.status == Status.PENDING
    assert join_request.justification == "I run the launch."
    assert not is_member(group, requester)
    assert activities() == ["Request to join a group"]
    emails = OutboundEmail.objects.order_by("to")
    assert [e.to for e in emails] == ["adele@contoso.example", "megan@contoso.example"]
    assert all(e.kind == OutboundEmail.Kind.NOTIFICATION for e in emails)
    assert emails[0].subject == "Alex Wilber wants to join Project Falcon"
    assert "I run the launch." in emails[0].body_text
    assert reverse("portal:group", args=[group.pk]) in emails[0].body_text


@pytest.mark.parametrize(
    ("justification", "message"),
    [("   ", services.JUSTIFICATION_REQUIRED), ("x" * 1001, services.JUSTIFICATION_TOO_LONG)],
)
def test_request_to_join_needs_a_justification_of_at_most_1000_characters(group, requester, justification, message):
    with pytest.raises(services.PolicyError) as excinfo:
        services.request_to_join_group(actor=requester, group=group, justification=justification)
    assert excinfo.value.messages == [message]
    assert not GroupJoinRequest.objects.exists()


@pytest.mark.parametrize(
    ("traits", "message"),
    [({"open": True}, services.GROUP_IS_OPEN), ({}, services.GROUP_CLOSED)],
)
def test_request_to_join_only_for_owner_approval_groups(tenant, requester, traits, message):
    group = GroupFactory(tenant=tenant, **traits)
    with pytest.raises(services.PolicyError) as excinfo:
        services.request_to_join_group(actor=requester, group=group, justification="Please")
    assert excinfo.value.messages == [message.format(group=group)]
    assert not GroupJoinRequest.objects.exists()
    assert activities() == [] and not OutboundEmail.objects.exists()


def test_request_to_join_refuses_members_and_a_second_pending_request(group, requester, pending, tenant):
    with pytest.raises(services.PolicyError) as excinfo:
        services.request_to_join_group(actor=requester, group=group, justification="Again")
    assert excinfo.value.messages == [services.ALREADY_REQUESTED.format(group=group)]
    member = DirectoryUserFactory(tenant=tenant)
    GroupMember.objects.create(group=group, user=member)
    with pytest.raises(services.PolicyError) as excinfo:
        services.request_to_join_group(actor=member, group=group, justification="Me too")
    assert excinfo.value.messages == [directory_services.ALREADY_MEMBER.format(name=member.display_name, group=group)]
    assert GroupJoinRequest.objects.count() == 1
    assert not OutboundEmail.objects.exists()


def test_request_to_join_refuses_while_the_tenant_turned_self_service_off(group, requester, tenant):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    with pytest.raises(services.PolicyError) as excinfo:
        services.request_to_join_group(actor=requester, group=group, justification="Please")
    assert excinfo.value.messages == [services.SELF_SERVICE_OFF_FOR_MEMBERS]


def test_the_database_allows_one_pending_request_per_person_and_group(pending):
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupJoinRequest.objects.create(group=pending.group, requester=pending.requester, justification="Twice")


def test_a_new_request_is_allowed_after_a_decision(group, requester):
    GroupJoinRequestFactory(group=group, requester=requester, denied=True)
    assert services.request_to_join_group(actor=requester, group=group, justification="Try again").is_pending


# Deciding ---------------------------------------------------------------------


def test_approve_adds_the_requester_and_emails_them(owner, group, requester, pending):
    decided = services.approve_join_request(actor=owner, join_request=pending, reason=" Welcome aboard ")

    assert decided.status == Status.APPROVED
    assert decided.decided_by == owner and decided.decision_reason == "Welcome aboard"
    assert decided.decided_date_time is not None
    assert is_member(group, requester)
    assert activities() == ["Add member to group", "Approve a pending request to join a group"]
    email = OutboundEmail.objects.get(to="alex@contoso.example")
    assert email.subject == "Your request to join Project Falcon was approved"
    assert "Adele Vance approved your request" in email.body_text
    assert "Welcome aboard" in email.body_text


def test_deny_leaves_the_requester_out_and_emails_them(owner, group, requester, pending):
    decided = services.deny_join_request(actor=owner, join_request=pending, reason="Team is full")

    assert decided.status == Status.DENIED
    assert not is_member(group, requester)
    assert activities() == ["Reject a pending request to join a group"]
    email = OutboundEmail.objects.get(to="alex@contoso.example")
    assert email.subject == "Your request to join Project Falcon was denied"
    assert "Team is full" in email.body_text


def test_the_second_owner_to_decide_sees_the_first_decision(owner, co_owner, group, requester, pending):
    services.approve_join_request(actor=co_owner, join_request=pending)

    with pytest.raises(services.PolicyError) as excinfo:
        services.deny_join_request(actor=owner, join_request=pending)
    with pytest.raises(services.PolicyError) as own:
        services.approve_join_request(actor=co_owner, join_request=pending)

    assert excinfo.value.messages == ["Megan Bowen already approved this request."]
    assert own.value.messages == ["You already approved this request."]
    pending.refresh_from_db()
    assert pending.status == Status.APPROVED and pending.decided_by == co_owner
    assert activities().count("Approve a pending request to join a group") == 1
    assert "Reject a pending request to join a group" not in activities()
    assert OutboundEmail.objects.filter(to="alex@contoso.example").count() == 1


def test_deciding_a_cancelled_request_says_it_was_cancelled(owner, pending):
    services.cancel_join_request(actor=pending.requester, join_request=pending)
    with pytest.raises(services.PolicyError) as excinfo:
        services.approve_join_request(actor=owner, join_request=pending)
    assert excinfo.value.messages == [decisions.ALREADY_CANCELLED.format(name="Alex Wilber")]
    assert not is_member(pending.group, pending.requester)


def test_only_owners_decide_and_only_while_self_service_is_on(group, requester, pending, tenant):
    stranger = DirectoryUserFactory(tenant=tenant)
    with pytest.raises(services.PolicyError) as excinfo:
        services.approve_join_request(actor=stranger, join_request=pending)
    assert excinfo.value.messages == [directory_services.NOT_OWNER_OF_GROUP.format(group=group)]
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    with pytest.raises(services.PolicyError) as excinfo:
        services.approve_join_request(actor=group.owner_links.first().user, join_request=pending)
    assert excinfo.value.messages == [directory_services.SELF_SERVICE_GROUPS_OFF]
    pending.refresh_from_db()
    assert pending.is_pending and not is_member(group, requester)
    assert activities() == []


def test_the_decision_reason_is_at_most_1000_characters(owner, pending):
    with pytest.raises(services.PolicyError) as excinfo:
        services.deny_join_request(actor=owner, join_request=pending, reason="x" * 1001)
    assert excinfo.value.messages == [decisions.REASON_TOO_LONG]
    pending.refresh_from_db()
    assert pending.is_pending


def test_approving_someone_already_added_meanwhile_just_records_the_decision(owner, group, requester, pending):
    GroupMember.objects.create(group=group, user=requester)
    services.approve_join_request(actor=owner, join_request=pending)
    pending.refresh_from_db()
    assert pending.status == Status.APPROVED
    assert activities() == ["Approve a pending request to join a group"]


# Cancelling ---------------------------------------------------------------------


def test_the_requester_cancels_a_pending_request(requester, pending):
    cancelled = services.cancel_join_request(actor=requester, join_request=pending)
    assert cancelled.status == Status.CANCELLED and cancelled.decided_date_time is not None
    assert activities() == ["Cancel a pending request to join a group"]


def test_only_the_requester_cancels_and_only_while_pending(owner, pending):
    with pytest.raises(services.PolicyError) as excinfo:
        services.cancel_join_request(actor=owner, join_request=pending)
    assert excinfo.value.messages == [decisions.NOT_YOUR_REQUEST]
    services.deny_join_request(actor=owner, join_request=pending)
    with pytest.raises(services.PolicyError) as excinfo:
        services.cancel_join_request(actor=pending.requester, join_request=pending)
    assert excinfo.value.messages == [decisions.ALREADY_DECIDED.format(name=owner.display_name, status="denied")]
    pending.refresh_from_db()
    assert pending.status == Status.DENIED


# Pages ---------------------------------------------------------------------------


def login(client, user):
    client.force_login(user.account)
    return client


def test_join_page_asks_for_a_business_justification_then_requests(client, group, requester):
    login(client, requester)
    url = reverse("portal:group-join", args=[group.pk])

    form = client.get(url).content.decode()
    refused = client.post(url, {"justification": ""})
    response = client.post(url, {"justification": "I run the launch."})

    assert "Business justification" in form and ">Request</button>" in form
    assert refused.status_code == 200
    assert "Enter a business justification" in refused.content.decode()
    assert response.status_code == 302
    assert GroupJoinRequest.objects.get(requester=requester).is_pending
    page = client.get(reverse("portal:group", args=[group.pk])).content.decode()
    assert "Your request to join" in page and "Cancel request" in page


def test_owner_sees_pending_requests_on_the_group_page_and_approves_with_htmx(client, owner, group, pending):
    login(client, owner)
    page = client.get(reverse("portal:group", args=[group.pk])).content.decode()

    response = client.post(
        reverse("portal:approve-join-request", args=[pending.pk]), {"reason": "Welcome"}, HTTP_HX_REQUEST="true"
    )

    assert "Alex Wilber → Project Falcon" in page and "I run the launch." in page
    assert ">Approve<" in page and ">Deny<" in page
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="join-request-{pending.pk}"' in body and "Approved" in body and "Welcome" in body
    assert is_member(group, pending.requester)


def test_second_decider_sees_what_happened_in_the_row(client, owner, co_owner, pending):
    services.deny_join_request(actor=co_owner, join_request=pending)
    login(client, owner)
    response = client.post(reverse("portal:approve-join-request", args=[pending.pk]), {}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Megan Bowen already denied this request." in body
    assert not is_member(pending.group, pending.requester)


def test_deny_without_javascript_returns_to_a_safe_next_page(client, owner, pending):
    login(client, owner)
    url = reverse("portal:deny-join-request", args=[pending.pk])
    safe = client.post(url, {"next": reverse("portal:requests")})
    assert safe.status_code == 302 and safe["Location"] == reverse("portal:requests")
    other = GroupJoinRequestFactory(group=pending.group)
    unsafe = client.post(reverse("portal:deny-join-request", args=[other.pk]), {"next": "https://evil.example/"})
    assert unsafe["Location"] == reverse("portal:group", args=[pending.group.pk])
    assert GroupJoinRequest.objects.filter(status=Status.DENIED).count() == 2


def test_deciding_a_request_of_a_group_one_does_not_own_is_404(client, pending, tenant):
    stranger = DirectoryUserFactory(tenant=tenant)
    login(client, stranger)
    response = client.post(reverse("portal:approve-join-request", args=[pending.pk]))
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.is_pending


def test_requester_cancels_from_the_requests_page(client, requester, pending):
    login(client, requester)
    page = client.get(reverse("portal:requests")).content.decode()
    response = client.post(
        reverse("portal:cancel-join-request", args=[pending.pk]), {"next": reverse("portal:requests")}
    )
    assert "My requests to join groups" in page and "Project Falcon" in page
    assert response.status_code == 302 and response["Location"] == reverse("portal:requests")
    pending.refresh_from_db()
    assert pending.status == Status.CANCELLED


def test_requests_page_lists_pending_join_requests_for_owners(client, owner, pending):
    login(client, owner)
    body = client.get(reverse("portal:requests")).content.decode()
    assert "Requests to join your groups (1)" in body
    assert reverse("portal:approve-join-request", args=[pending.pk]) in body


def test_requester_sees_the_decision(client, owner, requester, pending):
    services.deny_join_request(actor=owner, join_request=pending, reason="Team is full")
    login(client, requester)
    body = client.get(reverse("portal:requests")).content.decode()
    # The same wording as an app request's decision (test_app_requests.test_requester_sees_the_decision).
    assert "Denied by Adele Vance: “Team is full”" in body


def test_owner_sees_the_decision_in_the_same_words_after_deciding(client, owner, pending):
    login(client, owner)

    response = client.post(
        reverse("portal:approve-join-request", args=[pending.pk]), {"reason": "Welcome"}, HTTP_HX_REQUEST="true"
    )

    assert "Approved by Adele Vance: “Welcome”" in response.content.decode()


def test_requester_sees_a_cancelled_request_as_cancelled_by_them(client, requester, pending):
    services.cancel_join_request(actor=requester, join_request=pending)
    login(client, requester)
    body = client.get(reverse("portal:requests")).content.decode()
    assert "Cancelled by you" in body


def test_cancelling_someone_elses_request_is_404(client, owner, pending):
    login(client, owner)
    assert client.post(reverse("portal:cancel-join-request", args=[pending.pk])).status_code == 404
    pending.refresh_from_db()
    assert pending.is_pending


@pytest.mark.django_db(transaction=True)
def test_two_owners_deciding_at_once_make_one_decision():
    tenant = TenantFactory(owners_can_manage_group_membership_requests=True)
    first, second = DirectoryUserFactory.create_batch(2, tenant=tenant)
    group = GroupFactory(tenant=tenant, approval=True, owners=[first, second])
    join_request = GroupJoinRequestFactory(group=group)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(actor, service):
        try:
            barrier.wait()
            service(actor=actor, join_request=join_request)
            outcomes.append("decided")
        except services.PolicyError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(first, services.approve_join_request)),
        threading.Thread(target=decide, args=(second, services.deny_join_request)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("decided") == 1
    assert [outcome for outcome in outcomes if outcome != "decided"][0].endswith(" this request.")
    decisions = AuditEvent.objects.filter(
        activity__in=["Approve a pending request to join a group", "Reject a pending request to join a group"]
    )
    assert decisions.count() == 1
    join_request.refresh_from_db()
    assert join_request.status in {Status.APPROVED, Status.DENIED}
    assert is_member(group, join_request.requester) == (join_request.status == Status.APPROVED)


def test_requests_page_leaves_join_requests_out_when_groups_are_restricted(client, owner, pending, tenant):
    tenant.restrict_access_panel_groups = True
    tenant.save()
    login(client, owner)
    body = client.get(reverse("portal:requests")).content.decode()
    assert "Requests to join your groups" not in body
    assert "Alex Wilber" not in body
