"""Self-service requests: joining a group, getting access to an application."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.models import Application, DirectoryUser, Group

MAX_JUSTIFICATION_LENGTH = 1_000


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"


class AccessRequest(models.Model):
    Status = RequestStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="+")
    justification = models.TextField("business justification", max_length=MAX_JUSTIFICATION_LENGTH, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(DirectoryUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision_reason = models.CharField(max_length=1_000, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)
    decided_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_date_time"]

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


def _request_constraints(target: str, prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            fields=[target, "requester"],
            condition=Q(status=RequestStatus.PENDING),
            name=f"{prefix}_one_pending_per_requester",
        ),
        models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name=f"{prefix}_status_valid"),
        models.CheckConstraint(
            condition=Q(status=RequestStatus.PENDING, decided_date_time__isnull=True)
            | (~Q(status=RequestStatus.PENDING) & Q(decided_date_time__isnull=False)),
            name=f"{prefix}_decided_iff_not_pending",
        ),
    ]


class GroupJoinRequest(AccessRequest):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")

    class Meta(AccessRequest.Meta):
        verbose_name = "group join request"
        constraints = _request_constraints("group", "join_request")

    def __str__(self) -> str:
        return f"{self.requester.display_name} → {self.group.display_name} ({self.status})"


class AppAccessRequest(AccessRequest):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="access_requests")

    class Meta(AccessRequest.Meta):
        verbose_name = "application access request"
        constraints = _request_constraints("application", "app_request")

    def __str__(self) -> str:
        return f"{self.requester.display_name} → {self.application.display_name} ({self.status})"
