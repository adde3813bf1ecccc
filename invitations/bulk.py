"""Bulk invite: a CSV file in the layout of Azure's template, checked in a dry run, then run row by row.

The dry run writes nothing. The real run is a job for the worker (run_bulk_invite_job): it
checks every row again (the file comes back from the browser), invites the valid rows 50 to a
transaction, each in a savepoint of its own, so one refused row never undoes the others, keeps
each row's outcome for the progress page and the result CSV, and ends with the audit event
"Bulk invite users - finished (bulk)".
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.tasks import task
from django.utils import timezone

from directory.audit import Activity, record_event
from directory.models import Account, DirectoryUser, Group, Tenant
from directory.services import PolicyError
from invitations.models import BulkInviteJob, BulkInviteRow
from invitations.services import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_MESSAGE_LENGTH,
    GuestInvite,
    InvitationError,
    InviteResult,
    check_domain_allowed,
    check_group_takes_guests,
    check_inviter_allowed,
    clean_redirect_url,
    domain_of,
    invite_guests,
    normalize_email,
)

MAX_FILE_BYTES = 1_048_576
MAX_ROWS = 1_000
# Rows invited in one transaction (one commit, one tenant lock, one lookup of existing users).
BATCH_ROWS = 50

FILE_TOO_LARGE = "The file can be at most 1 MB. Split it into several files."
FILE_NOT_UTF8 = "The file isn't UTF-8 text. Save it from your spreadsheet as “CSV UTF-8 (comma delimited)”."
FILE_EMPTY = "The file has no rows to invite."
FILE_MALFORMED = "Line {line} of the file isn't valid CSV: {error}."
HEADER_MISSING = (
    "The file needs the header row of the template, with the column "
    "“Email address to invite [inviteeEmail] Required”. Download the template and fill it in."
)
TOO_MANY_ROWS = "The file can have at most 1,000 rows; this one has {count}."
ROW_EMAIL_DUPLICATE = "{email} is already on row {row}."
ROW_SEND_INVALID = "Send invitation message must be yes or no (or true or false), not “{value}”."
ROW_MESSAGE_TOO_LONG = "The message can be at most 1,000 characters."
ROW_DISPLAY_NAME_TOO_LONG = "The display name can be at most 256 characters."
ROW_OWN_DOMAIN = "{domain} is a domain of {organization}; add them as a member instead."

TEMPLATE_VERSION_LINE = "version:v1.0"
TEMPLATE_HEADER = [
    "Email address to invite [inviteeEmail] Required",
    "Display name [displayName]",
    "Redirection url [inviteRedirectURL]",
    "Send invitation message (true or false) [sendEmail]",
    "Customized invitation message [customizedMessageBody]",
]
TEMPLATE_EXAMPLE = ["john@fabrikam.com", "John Smith", "https://myapps.microsoft.com", "true", "Welcome to Contoso!"]

# Column keys, recognised by the bracketed name of Azure's template or by a plain heading.
_COLUMN_ALIASES = {
    "email": {"inviteeemail", "email", "email address", "email address to invite"},
    "display_name": {"displayname", "display name", "name"},
    "redirect_url": {"inviteredirecturl", "redirect url", "redirection url"},
    "send_message": {"sendemail", "send invitation message", "send message", "send invitation message (true or false)"},
    "message": {"customizedmessagebody", "message", "customized invitation message", "personal message"},
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class BulkFileError(PolicyError):
    """The file as a whole can't be read; nothing in it is invited."""


@dataclass
class BulkRow:
    number: int  # the row's line in the file, as a spreadsheet shows it
    email: str
    display_name: str = ""
    redirect_url: str = ""
    send_message: bool = True
    message: str = ""
    errors: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class BulkOutcome:
    row: BulkRow
    status: str  # "invited", "resent", "added", "not-emailed", "failed", "skipped"
    detail: str = ""


def template_csv() -> str:
    """The downloadable template: a version line, the header row and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([TEMPLATE_VERSION_LINE])
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return buffer.getvalue()


def decode_upload(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise BulkFileError(FILE_TOO_LARGE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkFileError(FILE_NOT_UTF8) from exc
    if "\x00" in text:
        raise BulkFileError(FILE_NOT_UTF8)
    return text


def _column_key(heading: str) -> str | None:
    heading = heading.strip().lower()
    if "[" in heading and "]" in heading:
        heading = heading[heading.index("[") + 1 : heading.index("]")].strip()
    else:
        heading = heading.removesuffix("required").strip()
    for key, aliases in _COLUMN_ALIASES.items():
        if heading in aliases:
            return key
    return None


def _read_rows(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise BulkFileError(FILE_MALFORMED.format(line=reader.line_num, error=str(exc).rstrip("."))) from exc
    return rows


def _parse_send(value: str) -> bool | None:
    value = value.strip().lower()
    if not value or value in _YES:
        return True
    if value in _NO:
        return False
    return None


def parse_bulk_csv(*, text: str, tenant: Tenant) -> list[BulkRow]:
    """Read and check every row against the tenant's rules; writes nothing. Raises BulkFileError."""
    if len(text) > MAX_FILE_BYTES:
        raise BulkFileError(FILE_TOO_LARGE)
    if "\x00" in text:
        raise BulkFileError(FILE_NOT_UTF8)
    rows = [(line, cells) for line, cells in _read_rows(text) if any(cell.strip() for cell in cells)]
    if rows and rows[0][1][0].strip().lower().startswith("version:"):
        rows = rows[1:]
    if not rows:
        raise BulkFileError(FILE_EMPTY)
    columns = {index: _column_key(heading) for index, heading in enumerate(rows[0][1])}
    if "email" not in columns.values():
        raise BulkFileError(HEADER_MISSING)
    data_rows = rows[1:]
    if not data_rows:
        raise BulkFileError(FILE_EMPTY)
    if len(data_rows) > MAX_ROWS:
        raise BulkFileError(TOO_MANY_ROWS.format(count=len(data_rows)))

    existing = {
        mail.lower(): user_type
        for mail, user_type in DirectoryUser.objects.filter(tenant=tenant).values_list("mail", "user_type")
    }
    seen: dict[str, int] = {}
    parsed = []
    for line, cells in data_rows:
        values = {key: cells[index] for index, key in columns.items() if key and index < len(cells)}
        parsed.append(_check_row(line, values, tenant=tenant, seen=seen, existing=existing))
    return parsed


def _check_row(line: int, values: dict[str, str], *, tenant: Tenant, seen: dict, existing: dict) -> BulkRow:
    raw_email = values.get("email", "")
    row = BulkRow(number=line, email=raw_email.strip()[:MAX_DISPLAY_NAME_LENGTH])
    try:
        row.email = normalize_email(raw_email)
    except InvitationError as exc:
        row.errors.append(exc.message)
    display_name = values.get("display_name", "").strip()
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        row.errors.append(ROW_DISPLAY_NAME_TOO_LONG)
    elif "\n" in display_name or "\r" in display_name:
        row.errors.append("The display name can't contain line breaks.")
    else:
        row.display_name = display_name
    try:
        row.redirect_url = clean_redirect_url(values.get("redirect_url", ""))
    except InvitationError as exc:
        row.errors.append(exc.message)
    send = _parse_send(values.get("send_message", ""))
    if send is None:
        row.errors.append(ROW_SEND_INVALID.format(value=values.get("send_message", "").strip()[:20]))
    else:
        row.send_message = send
    message = values.get("message", "").replace("\r\n", "\n").strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        row.errors.append(ROW_MESSAGE_TOO_LONG)
    else:
        row.message = message.replace("\x00", "")
    if row.errors:
        return row

    if row.email in seen:
        row.errors.append(ROW_EMAIL_DUPLICATE.format(email=row.email, row=seen[row.email]))
        return row
    seen[row.email] = line
    user_type = existing.get(row.email)
    if user_type is not None:
        row.note = "Already in the directory." if user_type == DirectoryUser.UserType.GUEST else "A member already."
        return row
    domain = domain_of(row.email)
    if domain in tenant.all_domains:
        row.errors.append(ROW_OWN_DOMAIN.format(domain=domain, organization=tenant.display_name))
        return row
    try:
        check_domain_allowed(tenant=tenant, email=row.email)
    except InvitationError as exc:
        row.errors.append(exc.message)
    return row


def outcome_of(row: BulkRow, result: InviteResult | PolicyError) -> BulkOutcome:
    """What happened to a row, in the words of the results page and CSV."""
    if isinstance(result, PolicyError):
        return BulkOutcome(row, "failed", " ".join(result.messages))
    if result.invitation is None:
        return BulkOutcome(row, "added", "Already in the directory: only the group membership changed.")
    if row.send_message and not result.email_sent:
        return BulkOutcome(row, "not-emailed", "The address blocked invitations: share the link another way.")
    if not result.created:
        return BulkOutcome(row, "resent", "Invitation sent again.")
    return BulkOutcome(row, "invited", "Invitation sent." if row.send_message else "Guest created.")


def invite_batch(
    *, tenant: Tenant, inviter: DirectoryUser | Account, rows: list[BulkRow], group: Group | None
) -> list[BulkOutcome]:
    """Invite these valid rows through invite_guests: one transaction, lock and lookup for the batch."""
    invites = [
        GuestInvite(
            email=row.email,
            display_name=row.display_name,
            message=row.message,
            redirect_url=row.redirect_url,
            send_invitation_message=row.send_message,
        )
        for row in rows
    ]
    results = invite_guests(tenant=tenant, inviter=inviter, invites=invites, group=group)
    return [outcome_of(row, result) for row, result in zip(rows, results, strict=True)]


SUCCEEDED = ("invited", "resent", "added", "not-emailed")
NOT_INVITED = ("failed", "skipped")
INVITER_GONE = "The account that started this bulk invite no longer exists."


def start_bulk_invite(*, tenant: Tenant, inviter: Account, csv_text: str, group: Group | None = None) -> BulkInviteJob:
    """Check the inviter, the group and every row now; store the job and queue it for the worker after commit."""
    check_inviter_allowed(tenant=tenant, inviter=inviter)
    check_group_takes_guests(tenant=tenant, group=group)
    rows = parse_bulk_csv(text=csv_text, tenant=tenant)
    with transaction.atomic():
        job = BulkInviteJob.objects.create(tenant=tenant, group=group, inviter=inviter, csv_text=csv_text)
        BulkInviteRow.objects.bulk_create(
            BulkInviteRow(
                job=job,
                number=row.number,
                email=row.email[:320],
                outcome="" if row.valid else "skipped",
                detail=" ".join(row.errors),
            )
            for row in rows
        )
        transaction.on_commit(lambda: run_bulk_invite_job.enqueue(str(job.pk)))
    return job


def resume_bulk_invite(*, job: BulkInviteJob) -> None:
    """Queue an unfinished job's task again (after a worker died); rows already done are not invited again."""
    if job.status != BulkInviteJob.Status.FINISHED:
        transaction.on_commit(lambda: run_bulk_invite_job.enqueue(str(job.pk)))


@task()
def run_bulk_invite_job(job_id: str) -> str:
    """Invite the job's waiting rows, a batch at a time; run again after a worker died, it goes on where it was.

    A batch's invitations and its rows' outcomes commit together (rows locked while they run), so a
    row is invited once however often this runs. Every row is checked again first, then goes through
    invite_guest's rules (invite_guests). Ends with the audit event "Bulk invite users - finished (bulk)".
    """
    job = BulkInviteJob.objects.select_related("tenant", "group", "inviter").filter(pk=job_id).first()
    if job is None or job.status == BulkInviteJob.Status.FINISHED:
        return "skipped"
    BulkInviteJob.objects.filter(pk=job.pk).update(status=BulkInviteJob.Status.RUNNING)
    parsed = {row.number: row for row in parse_bulk_csv(text=job.csv_text, tenant=job.tenant)}
    waiting = list(job.rows.filter(outcome="").order_by("number").values_list("pk", flat=True))
    for start in range(0, len(waiting), BATCH_ROWS):
        with transaction.atomic():
            batch = list(
                BulkInviteRow.objects.select_for_update(skip_locked=True)
                .filter(pk__in=waiting[start : start + BATCH_ROWS], outcome="")
                .order_by("number")
            )
            rows = [parsed[row.number] for row in batch]
            for row, outcome in zip(batch, _outcomes(job, rows), strict=True):
                row.outcome, row.detail = outcome.status, outcome.detail
            BulkInviteRow.objects.bulk_update(batch, ["outcome", "detail"])
    return _finish(job)


def _outcomes(job: BulkInviteJob, rows: list[BulkRow]) -> list[BulkOutcome]:
    outcomes = {row.number: BulkOutcome(row, "skipped", " ".join(row.errors)) for row in rows if not row.valid}
    valid = [row for row in rows if row.valid]
    if valid and job.inviter is None:
        outcomes.update({row.number: BulkOutcome(row, "failed", INVITER_GONE) for row in valid})
    elif valid:
        for outcome in invite_batch(tenant=job.tenant, inviter=job.inviter, rows=valid, group=job.group):
            outcomes[outcome.row.number] = outcome
    return [outcomes[row.number] for row in rows]


def _finish(job: BulkInviteJob) -> str:
    with transaction.atomic():
        job = BulkInviteJob.objects.select_for_update().get(pk=job.pk)
        progress = bulk_progress(job)
        if job.status == BulkInviteJob.Status.FINISHED or progress["left"]:
            return job.status
        record_event(
            tenant=job.tenant,
            activity=Activity.BULK_INVITE_FINISHED,
            actor=job.inviter,
            target=job.tenant,
            details={
                "total": progress["total"],
                "succeeded": progress["done"],
                "failed": progress["failed"],
                "group": job.group.display_name if job.group else "",
            },
        )
        job.status = BulkInviteJob.Status.FINISHED
        job.finished_date_time = timezone.now()
        job.save(update_fields=["status", "finished_date_time"])
    return job.status


def bulk_progress(job: BulkInviteJob) -> dict[str, int]:
    """Rows done (invited or added), failed (or skipped) and left, in one query."""
    counts = dict(job.rows.order_by().values_list("outcome").annotate(count=Count("pk")))
    done = sum(counts.get(status, 0) for status in SUCCEEDED)
    failed = sum(counts.get(status, 0) for status in NOT_INVITED)
    left = counts.get("", 0)
    return {"done": done, "failed": failed, "left": left, "total": done + failed + left}


RESULT_LABELS = {
    "invited": "Invited",
    "resent": "Invited again",
    "added": "Added",
    "not-emailed": "Invited, no email",
    "failed": "Failed",
    "skipped": "Skipped",
    "": "Waiting",
}


def result_rows(job: BulkInviteJob) -> list[tuple[int, str, str, str]]:
    """Every row's number, email address, result (in RESULT_LABELS' words) and details, in the file's order."""
    rows = job.rows.order_by("number").values_list("number", "email", "outcome", "detail")
    return [(number, email, RESULT_LABELS.get(outcome, outcome), detail) for number, email, outcome, detail in rows]


def results_csv(job: BulkInviteJob) -> str:
    """Every row's outcome, in the file's order: the downloadable result of a bulk invite."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Row", "Email address", "Result", "Details"])
    writer.writerows(result_rows(job))
    return buffer.getvalue()
