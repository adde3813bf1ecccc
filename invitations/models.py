"""Invitations, the email outbox, one-time passcodes and blocked addresses."""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from directory.models import DirectoryUser, Tenant

MAX_MESSAGE_LENGTH = 1_000


class InvitationStatus(models.TextChoices):
    PENDING_ACCEPTANCE = "PendingAcceptance", "Pending acceptance"
    COMPLETED = "Completed", "Completed"
    REVOKED = "Revoked", "Revoked"


class Invitation(models.Model):
    """One invitation of a guest (Graph `invitation`). The ticket is stored only as a SHA-256 hash."""

    Status = InvitationStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    invited_user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="invitations")
    invited_user_email_address = models.EmailField("email address", max_length=254)
    invited_user_display_name = models.CharField("display name", max_length=256, blank=True)
    invited_by = models.ForeignKey(DirectoryUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    inviter_name = models.CharField(max_length=256)
    # Empty when an application invited (Graph client credentials): it has no mailbox to reply to.
    inviter_email = models.EmailField(max_length=254, blank=True)
    invite_redirect_url = models.CharField("redirect URL", max_length=2048, blank=True)
    customized_message_body = models.TextField("personal message", blank=True)
    message_language = models.CharField(max_length=10, default="en-US")
    send_invitation_message = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.PENDING_ACCEPTANCE
    )
    ticket_hash = models.CharField(max_length=64, unique=True, editable=False)
    reset_redemption = models.BooleanField(
        default=False, help_text="After a reset, the next redemption may bind a new address."
    )
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)
    last_sent_date_time = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    expires_date_time = models.DateTimeField(null=True, blank=True)
    redeemed_date_time = models.DateTimeField(null=True, blank=True)
    revoked_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["invited_user"],
                condition=Q(status=InvitationStatus.PENDING_ACCEPTANCE),
                name="invitation_one_pending_per_user",
            ),
            models.CheckConstraint(condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=InvitationStatus.COMPLETED) | Q(redeemed_date_time__isnull=False),
                name="invitation_completed_has_redeemed_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=InvitationStatus.REVOKED) | Q(revoked_date_time__isnull=False),
                name="invitation_revoked_has_revoked_time",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("customized_message_body"), MAX_MESSAGE_LENGTH),
                name="invitation_message_max_length",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.invited_user_email_address} to {self.tenant}"

    @property
    def is_expired(self) -> bool:
        return self.expires_date_time is not None and self.expires_date_time <= timezone.now()


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """The outbox: written in the transaction of the change that caused the email, delivered by a task."""

    Status = OutboundEmailStatus

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        ONE_TIME_CODE = "one_time_code", "One-time passcode"
        NOTIFICATION = "notification", "Notification"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.EmailField(max_length=254)
    from_email = models.CharField(max_length=320)
    reply_to = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_date_time = models.DateTimeField(default=timezone.now)
    sent_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbound email"
        ordering = ["-created_date_time"]
        indexes = [models.Index(fields=["status", "next_attempt_date_time"]), models.Index(fields=["to"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OutboundEmailStatus.values), name="email_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=OutboundEmailStatus.SENT) | Q(sent_date_time__isnull=False),
                name="email_sent_has_sent_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class OneTimePasscode(models.Model):
    """An 8-digit code emailed to prove ownership of an address; stored only as a hash."""

    MAX_ATTEMPTS = 5

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="passcodes"
    )
    code_hash = models.CharField(max_length=64)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)
    expires_date_time = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "one-time passcode"
        ordering = ["-created_date_time"]
        indexes = [models.Index(fields=["email", "-created_date_time"])]
        constraints = [
            models.CheckConstraint(condition=Q(attempts__lte=5), name="passcode_max_attempts"),
        ]

    def __str__(self) -> str:
        return f"One-time passcode for {self.email}"


class BlockedAddress(models.Model):
    """An address whose owner chose "Block future invitations": guests are still created, no email is sent."""

    email = models.EmailField(max_length=254)
    blocked_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "blocked address"
        verbose_name_plural = "blocked addresses"
        constraints = [models.UniqueConstraint(Lower("email"), name="blocked_address_ci_unique")]

    def __str__(self) -> str:
        return self.email


class BulkInviteStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class BulkInviteJob(models.Model):
    """A bulk invite the worker runs (invitations.bulk.run_bulk_invite_job); its rows say what happened to each."""

    Status = BulkInviteStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("directory.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    inviter = models.ForeignKey("directory.Account", on_delete=models.SET_NULL, null=True, related_name="+")
    csv_text = models.TextField()
    status = models.CharField(max_length=10, choices=BulkInviteStatus.choices, default=BulkInviteStatus.QUEUED)
    created_date_time = models.DateTimeField(default=timezone.now)
    finished_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "bulk invite"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BulkInviteStatus.values), name="bulk_invite_status_valid")
        ]

    def __str__(self) -> str:
        return f"Bulk invite of {self.created_date_time:%Y-%m-%d %H:%M}"


class BulkInviteRow(models.Model):
    """One row of a bulk invite's file. Its outcome is written in the transaction that invited it."""

    job = models.ForeignKey(BulkInviteJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    email = models.CharField(max_length=320)
    # Empty while the row waits; then invited, resent, added, not-emailed, failed or skipped (invitations.bulk).
    outcome = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="bulk_invite_row_unique")]
        indexes = [models.Index(fields=["job", "outcome"])]

    def __str__(self) -> str:
        return f"Row {self.number}: {self.email}"


def validate_fields(instance: models.Model) -> None:
    """full_clean() less what the database checks in the same transaction anyway.

    Foreign keys, unique and check constraints each cost a query (and a savepoint) in full_clean;
    the database enforces all of them on insert. The field rules (lengths, choices, formats) remain.
    """
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
