from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from invitations import outbox
from invitations.models import OutboundEmail
from invitations.outbox import OutboxError, queue_email, render_email
from invitations.services import InvitationError, invite_guest
from invitations.tasks import MAX_ATTEMPTS, deliver_due_emails, deliver_email, retry_emails, send_outbound_email
from tests.factories import GroupFactory, OutboundEmailFactory, TenantFactory

NOTIFICATION_CONTEXT = {
    "requester_name": "Alex Wilber",
    "requester_email": "alex@contoso.com",
    "owner_name": "Megan Bowen",
    "approver_name": "Megan Bowen",
    "group": "Marketing",
    "application": "Salesforce",
    "organization": "Contoso",
    "approved": True,
    "decided_by": "Megan Bowen",
    "reason": "Welcome <b>aboard</b>",
    "justification": "I need it\nfor the Q3 campaign",
    "portal_url": "https://portal.example/groups/",
    "review_url": "https://portal.example/approvals/",
}

# A port nothing listens on: connection refused, a real transport failure.
UNREACHABLE_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}


def queue(**kwargs):
    defaults = {
        "to": "lee@fabrikam.com",
        "subject": "Hello",
        "template": "join_request_decision",
        "context": NOTIFICATION_CONTEXT,
        "kind": OutboundEmail.Kind.NOTIFICATION,
    }
    return queue_email(**(defaults | kwargs))


# Writing the outbox ------------------------------------------------------------------------


def test_queue_email_writes_a_row_and_delivers_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = queue(reply_to="megan@contoso.com")
        assert mail.outbox == []

    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_date_time is not None
    [message] = mail.outbox
    assert message.to == ["lee@fabrikam.com"]
    assert message.reply_to == ["megan@contoso.com"]
    assert message.alternatives[0].mimetype == "text/html"


def test_a_rolled_back_change_leaves_no_outbox_row_and_sends_nothing(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the change that caused the email failed")

    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_refused_invite_leaves_no_outbox_row(tenant, member, django_capture_on_commit_callbacks):
    group = GroupFactory(tenant=tenant, dynamic=True)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvitationError):
        invite_guest(tenant=tenant, inviter=member, email="john@fabrikam.com", group=group)

    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_sender_is_the_organization_via_access_portal(db, settings):
    settings.DEFAULT_FROM_EMAIL = "Access Portal <invites@portal.example>"
    tenant = TenantFactory(display_name="Contoso")

    email = queue(tenant=tenant)

    assert email.from_email == "Contoso via Access Portal <invites@portal.example>"
    assert queue().from_email == "Access Portal <invites@portal.example>"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "Hello\r\nBcc: everyone@victim.example"},
        {"subject": "Hello\nBcc: everyone@victim.example"},
        {"to": "lee@fabrikam.com\r\nBcc: everyone@victim.example"},
        {"reply_to": "megan@contoso.com\nBcc: everyone@victim.example"},
    ],
)
def test_queue_email_refuses_header_injection(db, kwargs):
    with pytest.raises(OutboxError) as excinfo:
        queue(**kwargs)

    assert excinfo.value.message == outbox.HEADER_INJECTION
    assert not OutboundEmail.objects.exists()


def test_queue_email_refuses_an_invalid_recipient(db):
    with pytest.raises(OutboxError, match="not a valid email address"):
        queue(to="Lee <lee@fabrikam.com>")


def test_a_line_break_in_the_organization_name_does_not_reach_the_from_header(db):
    tenant = TenantFactory(display_name="Contoso\r\nBcc: x@victim.example")

    email = queue(tenant=tenant)

    assert "\n" not in email.from_email and "\r" not in email.from_email


def test_a_very_long_subject_is_shortened_to_the_column(db):
    email = queue(subject="x" * 1_000)

    assert len(email.subject) == outbox.MAX_SUBJECT_LENGTH


# Templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["join_request_decision", "app_request_decision", "new_join_request", "new_app_request"]
)
def test_notification_templates_render_both_parts(template):
    text, html = render_email(template, NOTIFICATION_CONTEXT)

    assert "Contoso" in text and "Contoso" in html
    assert "<html" in html and "<html" not in text


def test_plain_text_part_is_not_html_escaped_and_html_part_is(db):
    text, html = render_email("join_request_decision", NOTIFICATION_CONTEXT)

    assert "Welcome <b>aboard</b>" in text
    assert "Welcome &lt;b&gt;aboard&lt;/b&gt;" in html
    assert "<b>aboard</b>" not in html


def test_one_time_passcode_template_shows_the_code_and_validity():
    text, html = render_email("one_time_passcode", {"code": "12345678", "organization": "Contoso", "minutes": 30})

    assert "12345678" in text and "12345678" in html
    assert "30 minutes" in text


def test_denied_decision_says_denied():
    text, _ = render_email("app_request_decision", NOTIFICATION_CONTEXT | {"approved": False})

    assert "denied your request for access to Salesforce" in text


# Delivery ----------------------------------------------------------------------------------


def test_deliver_email_never_sends_a_sent_email_twice(db):
    email = OutboundEmailFactory()

    deliver_email.enqueue(str(email.pk))
    deliver_email.enqueue(str(email.pk))

    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1


def test_a_failed_delivery_stays_queued_with_its_error_and_a_later_attempt(db, settings):
    settings.MAILERS = UNREACHABLE_SMTP
    email = OutboundEmailFactory()

    deliver_email.enqueue(str(email.pk))

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 1
    assert "Connection refused" in email.last_error or "Errno" in email.last_error
    assert email.next_attempt_date_time > timezone.now() + timedelta(seconds=30)


def test_delivery_gives_up_after_the_last_attempt(db, settings):
    settings.MAILERS = UNREACHABLE_SMTP
    email = OutboundEmailFactory(attempts=MAX_ATTEMPTS - 1)

    send_outbound_email(str(email.pk))

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == MAX_ATTEMPTS
    assert email.last_error


def test_backoff_grows_with_each_attempt(db, settings):
    settings.MAILERS = UNREACHABLE_SMTP
    email = OutboundEmailFactory()
    delays = []
    for _ in range(3):
        before = timezone.now()
        send_outbound_email(str(email.pk))
        email.refresh_from_db()
        delays.append(email.next_attempt_date_time - before)

    assert delays[0] < delays[1] < delays[2]


def test_deliver_due_emails_sends_only_due_queued_emails(db):
    due = OutboundEmailFactory()
    later = OutboundEmailFactory(next_attempt_date_time=timezone.now() + timedelta(hours=1))
    OutboundEmailFactory(sent=True)
    OutboundEmailFactory(failed=True)

    assert deliver_due_emails() == 1

    assert [m.subject for m in mail.outbox] == [due.subject]
    later.refresh_from_db()
    assert later.status == OutboundEmail.Status.QUEUED
    assert deliver_due_emails(now=timezone.now() + timedelta(hours=2)) == 1
    assert len(mail.outbox) == 2


def test_retry_emails_sends_a_failed_email_now(db):
    failed = OutboundEmailFactory(failed=True)
    sent = OutboundEmailFactory(sent=True)

    assert retry_emails(email_ids=[failed.pk, sent.pk]) == 1

    failed.refresh_from_db()
    assert failed.status == OutboundEmail.Status.SENT
    assert failed.last_error == ""
    assert [m.subject for m in mail.outbox] == [failed.subject]
