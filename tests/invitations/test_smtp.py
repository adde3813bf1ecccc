"""Real SMTP round trips against aiosmtpd on loopback, including a mail server outage."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from invitations.models import OutboundEmail
from invitations.services import invite_guest
from invitations.tasks import BATCH_SIZE, _Mailer, deliver_due_emails, deliver_email
from tests.factories import DirectoryUserFactory, OutboundEmailFactory, TenantFactory


@pytest.fixture
def inviter(db):
    tenant = TenantFactory(display_name="Contoso", verified_domains="contoso.com")
    return DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan.bowen@contoso.com")


def parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }


def test_invitation_email_is_delivered_over_smtp(smtp_server, inviter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = invite_guest(
            tenant=inviter.tenant,
            inviter=inviter,
            email="john@fabrikam.com",
            message="Hello <script>alert(1)</script>\nSee you soon",
        )

    [message] = smtp_server.messages
    # A long subject is folded onto a continuation line; readers drop the leading space.
    assert message["Subject"].strip() == "Megan Bowen invited you to access applications within their organization"
    assert message["To"] == "john@fabrikam.com"
    assert message["Reply-To"] == "megan.bowen@contoso.com"
    assert message["From"].addresses[0].display_name == "Contoso via Access Portal"
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    assert result.invite_redeem_url in body["text/plain"]
    assert "Hello <script>alert(1)</script>\nSee you soon" in body["text/plain"]
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;<br>See you soon" in body["text/html"]
    assert "<script>" not in body["text/html"]
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_nothing_is_lost_while_the_mail_server_is_down(smtp_server, inviter, django_capture_on_commit_callbacks):
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        invite_guest(tenant=inviter.tenant, inviter=inviter, email="john@fabrikam.com")

    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 1
    assert email.last_error

    smtp_server.start()
    assert deliver_due_emails() == 0  # not due yet: back-off
    assert deliver_due_emails(now=timezone.now() + timedelta(hours=1)) == 1
    assert deliver_due_emails(now=timezone.now() + timedelta(days=1)) == 0

    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2
    assert email.last_error == ""


# The worker closes database connections between tasks, as in production: a real commit is needed.
@pytest.mark.django_db(transaction=True)
def test_the_database_worker_retries_after_an_outage_and_delivers_once(smtp_server, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tenant = TenantFactory(display_name="Contoso", verified_domains="contoso.com")
    inviter = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan.bowen@contoso.com")
    smtp_server.stop()
    invite_guest(tenant=tenant, inviter=inviter, email="john@fabrikam.com")
    assert DBTaskResult.objects.count() == 1

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 1
    assert email.last_error
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == email.next_attempt_date_time

    smtp_server.start()
    # The back-off has passed.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    deliver_due_emails(now=timezone.now() + timedelta(days=1))

    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2


def queued(count: int, **kwargs) -> list[OutboundEmail]:
    return [OutboundEmailFactory(to=f"guest{n}@fabrikam.com", **kwargs) for n in range(count)]


def test_due_emails_go_out_over_one_connection_per_batch(smtp_server, db):
    emails = queued(BATCH_SIZE + 5)

    assert deliver_due_emails() == len(emails)

    assert len(smtp_server.messages) == len(emails)
    assert smtp_server.handler.connections == 2
    assert not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()


def test_a_refused_message_keeps_its_backoff_and_the_batch_goes_on_over_a_new_connection(smtp_server, db):
    emails = queued(5)
    smtp_server.handler.refuse = {emails[1].to}

    assert deliver_due_emails() == 4

    refused = OutboundEmail.objects.get(pk=emails[1].pk)
    assert refused.status == OutboundEmail.Status.QUEUED
    assert refused.attempts == 1
    assert "451" in refused.last_error
    assert refused.next_attempt_date_time > timezone.now()
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in emails if e != emails[1])
    assert smtp_server.handler.connections == 2  # the first, and a fresh one after the refusal


def test_a_delivery_task_takes_the_other_due_emails_along_and_their_tasks_send_nothing_again(smtp_server, db):
    first, *others = queued(4)
    later = OutboundEmailFactory(to="later@fabrikam.com", next_attempt_date_time=timezone.now() + timedelta(hours=1))

    assert deliver_email.call(str(first.pk)) == OutboundEmail.Status.SENT
    assert [deliver_email.call(str(email.pk)) for email in others] == ["skipped"] * 3

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in [first, *others])
    assert smtp_server.handler.connections == 1
    assert OutboundEmail.objects.get(pk=later.pk).status == OutboundEmail.Status.QUEUED


def test_a_mail_server_that_goes_away_mid_batch_loses_nothing_and_sends_nothing_twice(smtp_server, db):
    emails = queued(3)
    assert deliver_due_emails() == 3
    smtp_server.stop()
    more = queued(2)
    assert deliver_due_emails() == 0
    smtp_server.start()

    assert deliver_due_emails(now=timezone.now() + timedelta(hours=1)) == 2

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in [*emails, *more])


def test_a_batch_costs_two_queries_per_email_and_one_to_read_it(smtp_server, db, django_assert_num_queries):
    emails = queued(3)

    # Reading the batch; per email the locked re-check and the update, each in a savepoint of the
    # test's transaction (a transaction of its own in production); the empty read that ends the loop.
    with django_assert_num_queries(1 + 3 * (2 + 2) + 1):
        assert deliver_due_emails() == 3

    assert len(smtp_server.messages) == len(emails)


def test_a_worker_that_dies_mid_batch_never_sends_an_accepted_email_again(smtp_server, db, monkeypatch):
    emails = queued(5)
    send = _Mailer.send
    calls = []

    def send_then_die(mailer, message):
        calls.append(message)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the worker is killed before the third message goes out
        send(mailer, message)

    monkeypatch.setattr(_Mailer, "send", send_then_die)
    with pytest.raises(KeyboardInterrupt):
        deliver_due_emails()
    assert len(smtp_server.messages) == 2
    rows = {email.to: email for email in OutboundEmail.objects.all()}
    assert sorted(to for to, email in rows.items() if email.status == OutboundEmail.Status.SENT) == sorted(
        m["To"] for m in smtp_server.messages
    )
    # The one interrupted is queued as it was, with no attempt counted.
    assert rows[calls[2].to[0]].status == OutboundEmail.Status.QUEUED
    assert rows[calls[2].to[0]].attempts == 0

    monkeypatch.setattr(_Mailer, "send", send)
    assert deliver_due_emails() == 3

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in emails)


def test_an_email_with_non_ascii_headers_and_a_long_line_arrives_intact(smtp_server, db):
    long_line = "é" * 600
    email = OutboundEmailFactory(
        to="guest@fabrikam.com",
        from_email="Zoë Café via Access Portal <invites@accessportal.localhost>",
        reply_to="zoe@contoso.com",
        subject="Zoë invited you",
        body_text=f"Bonjour ✓\n{long_line}\n",
        body_html=f"<p>Bonjour ✓</p><p>{long_line}</p>",
    )
    plain = OutboundEmailFactory(to="plain@fabrikam.com", subject="Hello", body_text=f"Hi\n{long_line}\n", body_html="")

    assert deliver_due_emails() == 2

    by_to = {m["To"]: m for m in smtp_server.messages}
    message = by_to[email.to]
    assert message["Subject"] == "Zoë invited you"
    assert message["From"].addresses[0].display_name == "Zoë Café via Access Portal"
    assert message["Reply-To"] == "zoe@contoso.com"
    assert message["X-Access-Portal-Email-Id"] == str(email.pk)
    assert parts(message) == {"text/plain": email.body_text, "text/html": email.body_html + "\n"}
    message = by_to[plain.to]
    assert message["Subject"] == "Hello"
    assert message["X-Access-Portal-Email-Id"] == str(plain.pk)
    assert message["Message-ID"] and message["Date"]
    assert parts(message) == {"text/plain": plain.body_text}


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_due_emails_send_each_once(smtp_server):
    emails = queued(40)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(deliver_due_emails())
        except Exception as exc:  # noqa: BLE001 (the assertion below shows what went wrong)
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results) == len(emails)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in emails)
    assert not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()
