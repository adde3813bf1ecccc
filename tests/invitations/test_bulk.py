import csv
import io

import pytest

from directory.audit import Activity
from directory.models import AuditEvent, DirectoryUser, GroupMember, Tenant
from directory.services import PolicyError
from invitations import bulk
from invitations.bulk import (
    BulkFileError,
    bulk_progress,
    decode_upload,
    parse_bulk_csv,
    run_bulk_invite_job,
    start_bulk_invite,
    template_csv,
)
from invitations.models import BulkInviteJob, Invitation, OutboundEmail
from invitations.services import GuestInvite, invite_guest, invite_guests
from tests.factories import AccountFactory, BlockedAddressFactory, DirectoryUserFactory, GroupFactory

HEADER = bulk.TEMPLATE_HEADER


def make_csv(*rows: list[str], header: list[str] = HEADER, version: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if version:
        writer.writerow([bulk.TEMPLATE_VERSION_LINE])
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def superuser(db):
    return AccountFactory(is_staff=True, is_superuser=True)


def test_the_downloadable_template_parses_as_one_valid_row(tenant):
    [row] = parse_bulk_csv(text=template_csv(), tenant=tenant)

    assert row.valid
    assert row.email == "john@fabrikam.com"
    assert row.display_name == "John Smith"
    assert row.send_message is True


def test_dry_run_reports_every_row_error_and_writes_nothing(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(
        collaboration_restriction="denyListed", collaboration_domains="evil.example"
    )
    tenant.refresh_from_db()
    text = make_csv(
        ["ok@fabrikam.com", "OK", "", "yes", "Hi"],
        ["not-an-email", "", "", "yes", ""],
        ["someone@evil.example", "", "", "yes", ""],
        ["OK@fabrikam.com", "", "", "no", ""],
        ["bad.send@fabrikam.com", "", "", "maybe", ""],
        ["long@fabrikam.com", "", "", "yes", "x" * 1_001],
        ["redirect@fabrikam.com", "", "javascript:alert(1)", "yes", ""],
        [f"member@{tenant.verified_domain_list[0]}", "", "", "yes", ""],
    )

    rows = parse_bulk_csv(text=text, tenant=tenant)

    assert [row.number for row in rows] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert rows[0].valid
    assert "not a valid email address" in rows[1].errors[0]
    assert rows[2].errors == ["Invitations to evil.example are blocked by your organization's invitation policy."]
    assert rows[3].errors == [bulk.ROW_EMAIL_DUPLICATE.format(email="ok@fabrikam.com", row=3)]
    assert rows[4].errors == [bulk.ROW_SEND_INVALID.format(value="maybe")]
    assert rows[5].errors == [bulk.ROW_MESSAGE_TOO_LONG]
    assert "redirect URL" in rows[6].errors[0]
    assert "add them as a member instead" in rows[7].errors[0]
    assert not DirectoryUser.objects.filter(user_type=DirectoryUser.UserType.GUEST).exists()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(("value", "expected"), [("TRUE", True), ("No", False), ("0", False), ("", True), ("y", True)])
def test_send_message_column_accepts_yes_no_and_true_false(tenant, value, expected):
    [row] = parse_bulk_csv(text=make_csv(["a@fabrikam.com", "", "", value, ""]), tenant=tenant)

    assert row.valid and row.send_message is expected


def test_columns_are_found_by_heading_in_any_order_and_plain_headings_work(tenant):
    text = make_csv(["Hi there", "a@fabrikam.com"], header=["Message", "Email"], version=False)

    [row] = parse_bulk_csv(text=text, tenant=tenant)

    assert row.email == "a@fabrikam.com" and row.message == "Hi there"


def test_existing_users_are_noted_not_refused(tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    [row] = parse_bulk_csv(text=make_csv([guest.mail.upper(), "", "", "yes", ""]), tenant=tenant)

    assert row.valid and row.note == "Already in the directory."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00e\x00m", bulk.FILE_NOT_UTF8),
        ("email\n".encode("utf-16"), bulk.FILE_NOT_UTF8),
        (b"x" * (bulk.MAX_FILE_BYTES + 1), bulk.FILE_TOO_LARGE),
    ],
)
def test_unreadable_uploads_are_refused_with_a_clear_message(data, message):
    with pytest.raises(BulkFileError) as excinfo:
        decode_upload(data)

    assert excinfo.value.message == message


def test_a_utf8_file_with_a_byte_order_mark_is_read(tenant):
    text = decode_upload(("\ufeff" + make_csv(["a@fabrikam.com", "Zoë", "", "yes", ""])).encode())

    [row] = parse_bulk_csv(text=text, tenant=tenant)

    assert row.display_name == "Zoë"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", bulk.FILE_EMPTY),
        ("version:v1.0\n", bulk.FILE_EMPTY),
        (make_csv(), bulk.FILE_EMPTY),
        ("name,department\nJohn,Sales\n", bulk.HEADER_MISSING),
    ],
)
def test_files_without_rows_or_header_are_refused(tenant, text, message):
    with pytest.raises(BulkFileError) as excinfo:
        parse_bulk_csv(text=text, tenant=tenant)

    assert excinfo.value.message == message


@pytest.mark.parametrize("bad_line", ['"b@fabrikam.com"x,,,yes,\n', 'c@fabrikam.com,"never closed\n'])
def test_malformed_csv_is_refused_with_its_line(tenant, bad_line):
    text = make_csv(["a@fabrikam.com", "", "", "yes", ""]) + bad_line

    with pytest.raises(BulkFileError) as excinfo:
        parse_bulk_csv(text=text, tenant=tenant)

    assert excinfo.value.message.startswith("Line 4 of the file isn't valid CSV")


def test_nul_characters_are_refused(tenant):
    with pytest.raises(BulkFileError, match="isn't UTF-8 text"):
        parse_bulk_csv(text=make_csv(["a@fabrikam.com", "A\x00B", "", "yes", ""]), tenant=tenant)


def test_too_many_rows_are_refused(tenant):
    rows = [[f"p{n}@fabrikam.com", "", "", "no", ""] for n in range(bulk.MAX_ROWS + 1)]

    with pytest.raises(BulkFileError, match=bulk.TOO_MANY_ROWS.format(count=bulk.MAX_ROWS + 1)):
        parse_bulk_csv(text=make_csv(*rows), tenant=tenant)


def outcomes(job) -> list[str]:
    return list(job.rows.order_by("number").values_list("outcome", flat=True))


def run_job(django_capture_on_commit_callbacks, **kwargs):
    """Start a bulk invite; the test settings' immediate task backend runs it on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        job = start_bulk_invite(**kwargs)
    job.refresh_from_db()
    return job


def test_real_run_invites_valid_rows_skips_invalid_ones_and_audits_the_counts(
    tenant, superuser, django_capture_on_commit_callbacks
):
    group = GroupFactory(tenant=tenant)
    accepted = DirectoryUserFactory(tenant=tenant, guest=True)
    BlockedAddressFactory(email="blocked@fabrikam.com")
    text = make_csv(
        ["a@fabrikam.com", "A Person", "https://app.example/", "yes", "Welcome"],
        ["b@fabrikam.com", "", "", "no", ""],
        ["broken", "", "", "yes", ""],
        [accepted.mail, "", "", "yes", ""],
        ["blocked@fabrikam.com", "", "", "yes", ""],
    )

    job = run_job(django_capture_on_commit_callbacks, tenant=tenant, inviter=superuser, csv_text=text, group=group)

    assert job.status == BulkInviteJob.Status.FINISHED
    assert outcomes(job) == ["invited", "invited", "skipped", "added", "not-emailed"]
    assert bulk_progress(job) == {"done": 4, "failed": 1, "left": 0, "total": 5}
    assert DirectoryUser.objects.get(mail="a@fabrikam.com").display_name == "A Person"
    assert GroupMember.objects.filter(group=group).count() == 4
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == ["a@fabrikam.com"]
    event = AuditEvent.objects.get(activity=Activity.BULK_INVITE_FINISHED)
    assert event.details["total"] == 5
    assert event.details["succeeded"] == 4
    assert event.details["failed"] == 1


def test_a_row_refused_at_run_time_does_not_undo_the_others(tenant, superuser):
    group = GroupFactory(tenant=tenant)
    DirectoryUserFactory(tenant=tenant, mail=f"colleague@{tenant.verified_domain_list[0]}")
    text = make_csv(
        [f"colleague@{tenant.verified_domain_list[0]}", "", "", "yes", ""],
        ["new@fabrikam.com", "", "", "yes", ""],
    )
    job = start_bulk_invite(tenant=tenant, inviter=superuser, csv_text=text, group=group)
    # Between the upload and the worker, the group became dynamic: it takes no one by hand.
    group.membership_type, group.membership_rule = "DynamicUser", 'user.department -eq "Sales"'
    group.save()

    run_bulk_invite_job.call(str(job.pk))

    assert outcomes(job) == ["failed", "failed"]
    assert "dynamic group" in job.rows.get(number=3).detail
    assert AuditEvent.objects.filter(activity=Activity.BULK_INVITE_FINISHED).count() == 1


def test_a_job_resumed_after_a_crash_invites_only_the_rows_left(tenant, superuser, monkeypatch):
    text = make_csv(*[[f"g{n}@fabrikam.com", "", "", "no", ""] for n in range(120)])
    job = start_bulk_invite(tenant=tenant, inviter=superuser, csv_text=text)
    real_batch = bulk.invite_batch
    batches = []

    def dies_on_the_third_batch(**kwargs):
        batches.append(len(kwargs["rows"]))
        if len(batches) == 3:
            raise SystemExit("the worker was killed")
        return real_batch(**kwargs)

    monkeypatch.setattr(bulk, "invite_batch", dies_on_the_third_batch)
    with pytest.raises(SystemExit):
        run_bulk_invite_job.call(str(job.pk))
    assert bulk_progress(job) == {"done": 100, "failed": 0, "left": 20, "total": 120}
    assert not AuditEvent.objects.filter(activity=Activity.BULK_INVITE_FINISHED).exists()

    monkeypatch.setattr(bulk, "invite_batch", real_batch)
    assert run_bulk_invite_job.call(str(job.pk)) == BulkInviteJob.Status.FINISHED
    assert run_bulk_invite_job.call(str(job.pk)) == "skipped"

    assert Invitation.objects.filter(tenant=tenant).count() == 120
    assert outcomes(job) == ["invited"] * 120
    assert AuditEvent.objects.filter(activity=Activity.BULK_INVITE_FINISHED).count() == 1


def test_bulk_invite_costs_at_most_ten_queries_a_guest(tenant, superuser, django_assert_max_num_queries):
    text = make_csv(*[[f"g{n}@fabrikam.com", f"Guest {n}", "", "yes", ""] for n in range(60)])
    job = start_bulk_invite(tenant=tenant, inviter=superuser, csv_text=text)
    with django_assert_max_num_queries(60 * 10):
        run_bulk_invite_job.call(str(job.pk))
    assert outcomes(job) == ["invited"] * 60


def test_the_result_csv_has_every_row_in_file_order(tenant, superuser, django_capture_on_commit_callbacks):
    text = make_csv(["a@fabrikam.com", "", "", "yes", ""], ["broken", "", "", "yes", ""])
    job = run_job(django_capture_on_commit_callbacks, tenant=tenant, inviter=superuser, csv_text=text)
    rows = list(csv.reader(io.StringIO(bulk.results_csv(job))))
    assert rows[0] == ["Row", "Email address", "Result", "Details"]
    assert [row[:3] for row in rows[1:]] == [["3", "a@fabrikam.com", "Invited"], ["4", "broken", "Skipped"]]


def test_invite_guests_invites_a_batch_under_one_lock_and_one_lookup(tenant, superuser, django_assert_max_num_queries):
    member = DirectoryUserFactory(tenant=tenant, mail="alex@fabrikam.example")
    invites = [GuestInvite(email=f"guest{n}@fabrikam.example", display_name=f"Guest {n}") for n in range(20)]
    invites += [GuestInvite(email="ALEX@fabrikam.example"), GuestInvite(email="not an address")]

    with django_assert_max_num_queries(20 * 10):
        results = invite_guests(tenant=tenant, inviter=superuser, invites=invites)

    assert [r.created for r in results[:20]] == [True] * 20
    assert results[20].user == member and results[20].invitation is None
    assert isinstance(results[21], PolicyError)
    assert Invitation.objects.filter(tenant=tenant).count() == 20


def test_invite_guests_answers_each_address_as_invite_guest_does(tenant, superuser):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "blocked.example"
    tenant.save()
    emails = ["ok@fabrikam.example", "no@blocked.example", f"me@{tenant.initial_domain}"]

    batch = invite_guests(tenant=tenant, inviter=superuser, invites=[GuestInvite(email=e) for e in emails])

    for email, result in zip(emails, batch, strict=True):
        if isinstance(result, PolicyError):
            with pytest.raises(PolicyError) as single:
                invite_guest(tenant=tenant, inviter=superuser, email=email)
            assert single.value.messages == result.messages
    assert not isinstance(batch[0], PolicyError)
    assert isinstance(batch[1], PolicyError) and isinstance(batch[2], PolicyError)
