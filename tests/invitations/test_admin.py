import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.audit import Activity
from directory.models import AuditEvent, DirectoryUser, GroupMember, Tenant
from invitations import bulk
from invitations.forms import GROUP_OF_OTHER_TENANT
from invitations.models import BlockedAddress, BulkInviteJob, Invitation, OutboundEmail
from invitations.services import DOMAIN_BLOCKED, EMAIL_INVALID
from tests.factories import (
    AccountFactory,
    BlockedAddressFactory,
    DirectoryUserFactory,
    GroupFactory,
    InvitationFactory,
    OutboundEmailFactory,
)


@pytest.fixture
def superuser(db):
    return AccountFactory(is_staff=True, is_superuser=True, display_name="Admin")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def action(client, url, name, objects):
    return client.post(url, {"action": name, "_selected_action": [str(o.pk) for o in objects]}, follow=True)


# Lists --------------------------------------------------------------------------------------


def test_invitation_list_loads_with_a_constant_number_of_queries(staff_client, tenant, django_assert_max_num_queries):
    url = reverse("admin:invitations_invitation_changelist")
    InvitationFactory(invited_user__tenant=tenant)
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    for _ in range(5):
        InvitationFactory(invited_user__tenant=tenant)

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Invite external user" in content and "Bulk invite" in content
    assert "Resend invitation" in content and "Reset invitation status" in content


def test_invitation_detail_is_read_only(staff_client):
    invitation = InvitationFactory()

    response = staff_client.get(reverse("admin:invitations_invitation_change", args=[invitation.pk]))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_outbox_list_loads_with_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    for _ in range(5):
        OutboundEmailFactory(failed=True)

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:invitations_outboundemail_changelist"))

    assert response.status_code == 200
    assert b"SMTPServerDisconnected" in response.content
    assert b"Retry sending" in response.content


def test_blocked_address_list_and_add(staff_client):
    BlockedAddressFactory(email="old@fabrikam.com")

    assert staff_client.get(reverse("admin:invitations_blockedaddress_changelist")).status_code == 200
    response = staff_client.post(
        reverse("admin:invitations_blockedaddress_add"), {"email": "New@Fabrikam.com"}, follow=True
    )

    assert response.status_code == 200
    assert BlockedAddress.objects.filter(email="new@fabrikam.com").exists()


# Invite page ------------------------------------------------------------------------------


def test_add_invitation_goes_to_the_invite_page(staff_client):
    response = staff_client.get(reverse("admin:invitations_invitation_add"))

    assert response.status_code == 302
    assert response.url == reverse("admin:invitations_invitation_invite")


def test_invite_page_loads(staff_client):
    response = staff_client.get(reverse("admin:invitations_invitation_invite"))

    assert response.status_code == 200
    assert b"Redirect URL" in response.content


def test_invite_page_invites_a_guest_into_a_group(staff_client, tenant):
    group = GroupFactory(tenant=tenant)

    response = staff_client.post(
        reverse("admin:invitations_invitation_invite"),
        {
            "tenant": tenant.pk,
            "email": "John@Fabrikam.com",
            "display_name": "John",
            "redirect_url": "",
            "send_invitation_message": "on",
            "message": "<b>Welcome</b>",
            "message_language": "en-US",
            "group": group.pk,
        },
    )

    assert response.status_code == 200
    assert b"Invitation sent" in response.content
    user = DirectoryUser.objects.get(mail="john@fabrikam.com")
    assert GroupMember.objects.filter(group=group, user=user).exists()
    assert OutboundEmail.objects.get().to == "john@fabrikam.com"


def test_invite_page_shows_the_link_when_no_email_goes_out(staff_client, tenant):
    BlockedAddressFactory(email="john@fabrikam.com")

    response = staff_client.post(
        reverse("admin:invitations_invitation_invite"),
        {
            "tenant": tenant.pk,
            "email": "john@fabrikam.com",
            "send_invitation_message": "on",
            "message_language": "en-US",
        },
    )

    assert b"this address has blocked invitations" in response.content
    assert b"/invitations/redeem/" in response.content


def test_invite_page_shows_a_refusal_on_the_form(staff_client, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(
        collaboration_restriction="denyListed", collaboration_domains="fabrikam.com"
    )

    response = staff_client.post(
        reverse("admin:invitations_invitation_invite"),
        {"tenant": tenant.pk, "email": "john@fabrikam.com", "message_language": "en-US"},
    )

    assert response.status_code == 200
    assert DOMAIN_BLOCKED.format(domain="fabrikam.com").replace("'", "&#x27;") in response.content.decode()
    assert not DirectoryUser.objects.filter(mail="john@fabrikam.com").exists()


def test_invite_page_refuses_a_group_of_another_tenant(staff_client, tenant):
    other_group = GroupFactory()

    response = staff_client.post(
        reverse("admin:invitations_invitation_invite"),
        {"tenant": tenant.pk, "email": "john@fabrikam.com", "message_language": "en-US", "group": other_group.pk},
    )

    assert GROUP_OF_OTHER_TENANT in response.content.decode()
    assert not Invitation.objects.exists()


def test_invite_pages_need_staff(client, db):
    client.force_login(AccountFactory(is_staff=True))

    assert client.get(reverse("admin:invitations_invitation_invite")).status_code == 403
    assert client.get(reverse("admin:invitations_invitation_bulk")).status_code == 403


# Actions ------------------------------------------------------------------------------------


def test_resend_action_sends_the_invitation_again(staff_client, tenant):
    invitation = InvitationFactory(invited_user__tenant=tenant)

    response = action(staff_client, reverse("admin:invitations_invitation_changelist"), "resend_selected", [invitation])

    assert b"Invitations sent again: 1." in response.content
    resent = Invitation.objects.get()
    assert resent.status == Invitation.Status.PENDING_ACCEPTANCE
    assert resent.send_count == invitation.send_count + 1
    assert resent.inviter_name == invitation.inviter_name
    assert OutboundEmail.objects.get().invitation == resent


def test_resend_action_reports_a_refusal(staff_client, tenant):
    invitation = InvitationFactory(invited_user__tenant=tenant, revoked=True)

    response = action(staff_client, reverse("admin:invitations_invitation_changelist"), "resend_selected", [invitation])

    assert b"Only a pending invitation can be resent." in response.content


def test_revoke_action_asks_for_confirmation_first(staff_client, tenant):
    invitation = InvitationFactory(invited_user__tenant=tenant)

    response = action(staff_client, reverse("admin:invitations_invitation_changelist"), "revoke_selected", [invitation])

    assert b"Revoke 1 invitation?" in response.content
    assert b"Yes, revoke" in response.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE


def test_revoke_action_revokes_once_confirmed(staff_client, tenant):
    invitation = InvitationFactory(invited_user__tenant=tenant)

    response = staff_client.post(
        reverse("admin:invitations_invitation_changelist"),
        {"action": "revoke_selected", "_selected_action": [str(invitation.pk)], "confirm": "yes"},
        follow=True,
    )

    assert b"Invitations revoked: 1." in response.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_reset_invitation_status_action_on_directory_users(staff_client, tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    response = action(
        staff_client, reverse("admin:directory_directoryuser_changelist"), "reset_invitation_status", [guest]
    )

    assert response.status_code == 200
    guest.refresh_from_db()
    assert guest.account is None
    assert guest.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert Invitation.objects.get(invited_user=guest).reset_redemption
    assert AuditEvent.objects.filter(activity=Activity.INVITE_EXTERNAL_USER_RESET).exists()


def test_reset_invitation_status_action_on_invitations(staff_client, tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)
    invitation = InvitationFactory(invited_user=guest, completed=True)

    action(staff_client, reverse("admin:invitations_invitation_changelist"), "reset_selected", [invitation])

    guest.refresh_from_db()
    assert guest.is_pending


def test_reset_action_reports_a_member(staff_client, member):
    response = action(
        staff_client, reverse("admin:directory_directoryuser_changelist"), "reset_invitation_status", [member]
    )

    assert b"is not a guest user" in response.content


def test_retry_sending_action_sends_failed_emails(staff_client, mailoutbox):
    email = OutboundEmailFactory(failed=True)

    response = action(staff_client, reverse("admin:invitations_outboundemail_changelist"), "retry_sending", [email])

    assert b"Sent 1 of 1." in response.content
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mailoutbox) == 1


# Bulk invite --------------------------------------------------------------------------------


def test_bulk_template_downloads(staff_client):
    response = staff_client.get(reverse("admin:invitations_invitation_bulk_template"))

    assert response["Content-Type"].startswith("text/csv")
    assert bulk.TEMPLATE_HEADER[0].encode() in response.content


def test_bulk_upload_dry_run_then_run(staff_client, tenant, django_capture_on_commit_callbacks):
    text = bulk.template_csv() + "not-an-email,,,yes,\nsecond@fabrikam.com,Second,,no,\n"
    upload = SimpleUploadedFile("invite.csv", text.encode(), content_type="text/csv")
    url = reverse("admin:invitations_invitation_bulk")

    assert staff_client.get(url).status_code == 200
    dry_run = staff_client.post(url, {"tenant": tenant.pk, "csv_file": upload})

    assert dry_run.status_code == 200
    assert b"2 of 3 rows can be invited" in dry_run.content
    assert b"not a valid email address" in dry_run.content
    assert not Invitation.objects.exists()
    confirm = dry_run.context["confirm"]

    with django_capture_on_commit_callbacks(execute=True):  # the worker's task, run at once by the test settings
        started = staff_client.post(url, {"tenant": tenant.pk, "group": "", "csv_text": confirm.initial["csv_text"]})

    job = BulkInviteJob.objects.get()
    assert started.status_code == 302
    assert started["Location"] == reverse("admin:invitations_invitation_bulk_job", args=[job.pk])
    result = staff_client.get(started["Location"])
    assert b"2 succeeded, 1 failed or skipped, of 3 rows" in result.content
    assert b"hx-trigger" not in result.content  # finished: no more polling
    cells = re.findall(rb"<td>(.*?)</td>", result.content)
    assert cells == [
        *[b"3", b"john@fabrikam.com", b"Invited", b"Invitation sent."],
        *[b"4", b"not-an-email", b"Skipped", EMAIL_INVALID.format(email="not-an-email").encode()],
        *[b"5", b"second@fabrikam.com", b"Invited", b"Guest created."],
    ]
    assert Invitation.objects.count() == 2
    assert AuditEvent.objects.filter(activity=Activity.BULK_INVITE_FINISHED).count() == 1
    download = staff_client.get(reverse("admin:invitations_invitation_bulk_job_csv", args=[job.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download.content.decode().splitlines()[1:] == [
        "3,john@fabrikam.com,Invited,Invitation sent.",
        "4,not-an-email,Skipped,not-an-email is not a valid email address. Enter an address such as name@fabrikam.com.",
        "5,second@fabrikam.com,Invited,Guest created.",
    ]


def test_the_bulk_progress_page_polls_until_the_worker_is_done(staff_client, tenant):
    text = bulk.template_csv() + "second@fabrikam.com,Second,,no,\n"
    job = bulk.start_bulk_invite(tenant=tenant, inviter=AccountFactory(is_superuser=True), csv_text=text)
    url = reverse("admin:invitations_invitation_bulk_job", args=[job.pk])

    waiting = staff_client.get(url)
    partial = staff_client.get(url, headers={"hx-request": "true"})

    assert b"Waiting for the worker to start. 0 done, 0 failed or skipped, 2 left of 2 rows." in waiting.content
    assert b'hx-trigger="every 2s"' in waiting.content
    assert b"htmx.min.js" in waiting.content
    assert partial.content.lstrip().startswith(b'<div id="bulk-progress"')
    assert b"<html" not in partial.content

    bulk.run_bulk_invite_job.call(str(job.pk))

    finished = staff_client.get(url, headers={"hx-request": "true"}).content
    assert b"2 succeeded, 0 failed or skipped, of 2 rows" in finished
    assert b"hx-trigger" not in finished


def test_the_bulk_progress_page_needs_the_invite_permission(client, tenant):
    job = bulk.start_bulk_invite(tenant=tenant, inviter=AccountFactory(is_superuser=True), csv_text=bulk.template_csv())
    client.force_login(AccountFactory(is_staff=True))
    assert client.get(reverse("admin:invitations_invitation_bulk_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:invitations_invitation_bulk_job_csv", args=[job.pk])).status_code == 403


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00\x00garbage", bulk.FILE_NOT_UTF8),
        (b"name,department\nJohn,Sales\n", bulk.HEADER_MISSING),
        (b'email\n"a@b.com"x\n', "isn't valid CSV"),
    ],
)
def test_bulk_upload_refuses_bad_files_without_a_server_error(staff_client, tenant, content, message):
    upload = SimpleUploadedFile("invite.csv", content, content_type="text/csv")

    response = staff_client.post(
        reverse("admin:invitations_invitation_bulk"), {"tenant": tenant.pk, "csv_file": upload}
    )

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["csv_file"])
    assert not Invitation.objects.exists()


def test_bulk_run_with_a_tampered_form_asks_to_upload_again(staff_client, tenant):
    response = staff_client.post(reverse("admin:invitations_invitation_bulk"), {"csv_text": "x"}, follow=True)

    assert b"upload the file again" in response.content
    assert not AuditEvent.objects.exists()


def test_bulk_refuses_when_the_policy_lets_nobody_invite(staff_client, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(allow_invites_from="none")
    upload = SimpleUploadedFile("invite.csv", bulk.template_csv().encode(), content_type="text/csv")

    response = staff_client.post(
        reverse("admin:invitations_invitation_bulk"), {"tenant": tenant.pk, "csv_file": upload}
    )

    assert b"doesn&#x27;t allow anyone to invite guest users" in response.content


def test_invite_page_refuses_huge_and_hostile_input_without_a_server_error(staff_client, tenant):
    response = staff_client.post(
        reverse("admin:invitations_invitation_invite"),
        {
            "tenant": tenant.pk,
            "email": "john@fabrikam.com",
            "display_name": "John",
            "message": "x" * 50_000,
            "message_language": "en-US",
        },
    )

    assert response.status_code == 200
    assert "The personal message can be at most 1,000 characters." in response.content.decode()
    assert not Invitation.objects.exists()


def test_bulk_refuses_a_group_that_takes_no_guests_before_the_dry_run(staff_client, tenant):
    dynamic = GroupFactory(tenant=tenant, dynamic=True)
    upload = SimpleUploadedFile("invite.csv", bulk.template_csv().encode(), content_type="text/csv")

    response = staff_client.post(
        reverse("admin:invitations_invitation_bulk"), {"tenant": tenant.pk, "group": dynamic.pk, "csv_file": upload}
    )

    assert "Guest users can&#x27;t be added to a dynamic group." in response.content.decode()
    assert "rows" not in response.context


def test_resume_queues_an_unfinished_job_again_and_invites_only_the_rows_left(
    staff_client, tenant, django_capture_on_commit_callbacks
):
    text = bulk.template_csv() + "second@fabrikam.com,Second,,no,\n"
    job = bulk.start_bulk_invite(tenant=tenant, inviter=AccountFactory(is_superuser=True), csv_text=text)
    url = reverse("admin:invitations_invitation_bulk_job_resume", args=[job.pk])
    assert b"Resume" in staff_client.get(reverse("admin:invitations_invitation_bulk_job", args=[job.pk])).content

    assert staff_client.get(url).status_code == 405
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert staff_client.post(url).status_code == 302

    assert Invitation.objects.count() == 2
    assert AuditEvent.objects.filter(activity=Activity.BULK_INVITE_FINISHED).count() == 1
