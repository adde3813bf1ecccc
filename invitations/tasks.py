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
# Emails sent over one connection to the mail server.
BATCH_SIZE = 100


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


class _Mailer:
    """One connection to the mail server for a batch: opened on first use, opened anew after any failure."""

    def __init__(self) -> None:
        self._connection = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if self._connection is None:
            self._connection = mailers.default
            self._connection.open()
        try:
            self._connection.send_messages([message])
        except Exception:
            # The session may be in any state after a failure; the next message starts a fresh one.
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def _send_one(email_id: str, mailer: _Mailer, *, due_before=None) -> OutboundEmail | None:
    """Try to send one queued email over the batch's connection; None when it is not due for sending.

    The row stays locked while the mail server talks, so two workers can never send it
    twice; a worker that finds it locked skips it. The row, committed after the server
    accepted the message, is what says it was sent.
    """
    with transaction.atomic():
        due = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
            pk=email_id, status=OutboundEmail.Status.QUEUED
        )
        if due_before is not None:
            due = due.filter(next_attempt_date_time__lte=due_before)
        email = due.first()
        if email is None:
            return None
        email.attempts += 1
        try:
            mailer.send(_message(email))
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


def send_outbound_emails(email_ids: list[str], *, due_before=None) -> list[OutboundEmail]:
    """Send these queued emails over one connection (reconnecting after a failure); the rows tried."""
    mailer = _Mailer()
    tried = []
    try:
        for email_id in email_ids:
            email = _send_one(str(email_id), mailer, due_before=due_before)
            if email is not None:
                tried.append(email)
    finally:
        mailer.close()
    return tried


def send_outbound_email(email_id: str) -> OutboundEmail | None:
    """Try to send one queued email. Returns the row, or None when it is not due for sending."""
    tried = send_outbound_emails([email_id])
    return tried[0] if tried else None


def _due_ids(*, now, exclude: set[str], limit: int = BATCH_SIZE) -> list[str]:
    due = OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_date_time__lte=now)
    due = due.exclude(pk__in=exclude).order_by("next_attempt_date_time", "pk")
    return [str(pk) for pk in due.values_list("pk", flat=True)[:limit]]


@task()
def deliver_email(email_id: str) -> str:
    """Send one outbox row, and the other due rows with it over the same connection (a batch).

    The tasks queued for the rows sent along find them sent and skip them. On failure the next
    try is scheduled when the backend can defer.
    """
    now = timezone.now()
    mailer = _Mailer()
    try:
        email = _send_one(email_id, mailer)
        for other_id in _due_ids(now=now, exclude={email_id}, limit=BATCH_SIZE - 1):
            _send_one(other_id, mailer, due_before=now)
    finally:
        mailer.close()
    if email is None:
        return "skipped"
    if email.status == OutboundEmail.Status.QUEUED and deliver_email.get_backend().supports_defer:
        deliver_email.using(run_after=email.next_attempt_date_time).enqueue(email_id)
    return email.status


def deliver_due_emails(*, now=None) -> int:
    """Send every queued email whose next attempt is due, a connection per batch; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    # Rows another worker holds are skipped; a row that fails is due again only after `now`.
    skipped: set[str] = set()
    while batch := _due_ids(now=now, exclude=skipped):
        tried = send_outbound_emails(batch, due_before=now)
        skipped.update(set(batch) - {str(email.pk) for email in tried})
        sent += sum(email.status == OutboundEmail.Status.SENT for email in tried)
    return sent


def retry_emails(*, email_ids: list) -> int:
    """The admin's **Retry sending**: make failed or waiting emails due now and send them."""
    OutboundEmail.objects.filter(pk__in=email_ids).exclude(status=OutboundEmail.Status.SENT).update(
        status=OutboundEmail.Status.QUEUED, next_attempt_date_time=timezone.now()
    )
    sent = 0
    for start in range(0, len(email_ids), BATCH_SIZE):
        batch = send_outbound_emails([str(pk) for pk in email_ids[start : start + BATCH_SIZE]])
        sent += sum(email.status == OutboundEmail.Status.SENT for email in batch)
    return sent
