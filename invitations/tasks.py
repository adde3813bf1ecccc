"""Delivery of the outbox with Django's tasks framework.

The database backend's worker (`manage.py db_worker`) runs these in production; the
demo runs them immediately. A failed delivery stays queued with its error and is
tried again with back-off: by a deferred task where the backend can defer, and by
deliver_due_emails() (the admin's **Retry sending**) in any case.
"""

import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from invitations.models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Seconds to wait after the 1st, 2nd, … failed attempt.
BACKOFF_SECONDS = (60, 300, 900, 3600, 4 * 3600)
MAX_ERROR_LENGTH = 2_000


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"X-Access-Portal-Email-Id": str(email.pk)},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def send_outbound_email(email_id: str) -> OutboundEmail | None:
    """Try to send one queued email. Returns the row, or None when it is not due for sending.

    The row stays locked while the mail server talks, so two workers can never send it
    twice; a worker that finds it locked skips it.
    """
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.QUEUED)
            .first()
        )
        if email is None:
            return None
        email.attempts += 1
        try:
            with mailers.default as connection:
                connection.send_messages([_message(email)])
        except Exception as exc:  # any transport failure: connection refused, timeout, 5xx
            logger.warning("Email %s to %s not sent (attempt %s): %s", email.pk, email.to, email.attempts, exc)
            email.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            else:
                delay = BACKOFF_SECONDS[min(email.attempts, len(BACKOFF_SECONDS)) - 1]
                email.next_attempt_date_time = timezone.now() + timedelta(seconds=delay)
        else:
            email.status = OutboundEmail.Status.SENT
            email.sent_date_time = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "status", "last_error", "next_attempt_date_time", "sent_date_time"])
    return email


@task()
def deliver_email(email_id: str) -> str:
    """Send one outbox row; on failure schedule the next try when the backend can defer."""
    email = send_outbound_email(email_id)
    if email is None:
        return "skipped"
    if email.status == OutboundEmail.Status.QUEUED and deliver_email.get_backend().supports_defer:
        deliver_email.using(run_after=email.next_attempt_date_time).enqueue(email_id)
    return email.status


def deliver_due_emails(*, now=None) -> int:
    """Send every queued email whose next attempt is due; returns how many were sent."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_date_time__lte=now)
    sent = 0
    for email_id in due.order_by("next_attempt_date_time").values_list("pk", flat=True):
        email = send_outbound_email(str(email_id))
        if email is not None and email.status == OutboundEmail.Status.SENT:
            sent += 1
    return sent


def retry_emails(*, email_ids: list) -> int:
    """The admin's **Retry sending**: make failed or waiting emails due now and send them."""
    OutboundEmail.objects.filter(pk__in=email_ids).exclude(status=OutboundEmail.Status.SENT).update(
        status=OutboundEmail.Status.QUEUED, next_attempt_date_time=timezone.now()
    )
    sent = 0
    for email_id in email_ids:
        email = send_outbound_email(str(email_id))
        if email is not None and email.status == OutboundEmail.Status.SENT:
            sent += 1
    return sent
