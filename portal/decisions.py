"""What group join requests and app access requests share: the reason rule, the pending check, closing."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.models import DirectoryUser
from directory.services import PolicyError
from portal.models import AccessRequest, RequestStatus

MAX_REASON_LENGTH = 1_000

REASON_TOO_LONG = "The reason can be at most 1,000 characters."
NOT_YOUR_REQUEST = "Only the person who made a request can cancel it."
ALREADY_DECIDED = "{name} already {status} this request."
ALREADY_CANCELLED = "{name} cancelled this request."
APPROVED_AT_ONCE = "This request was approved automatically."


def clean_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise PolicyError(REASON_TOO_LONG)
    return reason


def save_new_request(access_request: AccessRequest, *, already_requested: str) -> None:
    """Save a new request; the one-pending-per-person constraint turns a concurrent twin into a refusal."""
    access_request.full_clean()
    try:
        with transaction.atomic():
            access_request.save()
    except IntegrityError as exc:
        raise PolicyError(already_requested) from exc


def check_pending(access_request: AccessRequest, *, actor: DirectoryUser) -> None:
    """Refuse to touch a request that is no longer pending, saying who already did what."""
    if access_request.is_pending:
        return
    if access_request.status == RequestStatus.CANCELLED:
        requester = access_request.requester
        raise PolicyError(ALREADY_CANCELLED.format(name="You" if requester.pk == actor.pk else requester.display_name))
    # Read the decider afresh: on PostgreSQL a row locked after a concurrent update comes back with
    # its own columns re-read, but columns joined in by select_related still show the old snapshot.
    decider = DirectoryUser.objects.filter(pk=access_request.decided_by_id).first()
    if decider is None:
        raise PolicyError(APPROVED_AT_ONCE)
    name = "You" if decider.pk == actor.pk else decider.display_name
    raise PolicyError(ALREADY_DECIDED.format(name=name, status=access_request.get_status_display().lower()))


def check_requester(access_request: AccessRequest, *, actor: DirectoryUser) -> None:
    if access_request.requester_id != actor.pk:
        raise PolicyError(NOT_YOUR_REQUEST)


def close_request(
    access_request: AccessRequest, *, status: RequestStatus, decided_by: DirectoryUser, reason: str = ""
) -> None:
    """Record the decision (or the cancellation) on a locked, pending request."""
    access_request.status = status
    access_request.decided_by = decided_by
    access_request.decision_reason = reason
    access_request.decided_date_time = timezone.now()
    access_request.save(update_fields=["status", "decided_by", "decision_reason", "decided_date_time"])
