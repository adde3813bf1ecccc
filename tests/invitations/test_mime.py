import email.policy
from email import message_from_bytes

import pytest

from invitations.mime import OutboxMessage


def outbox_message(**kwargs) -> OutboxMessage:
    defaults = {
        "subject": "Megan Bowen invited you to access applications within their organization",
        "body": "Hello.\nFrom the team\n",
        "from_email": "Contoso via Access Portal <invites@accessportal.localhost>",
        "to": ["john@fabrikam.com"],
        "reply_to": ["megan@contoso.com"],
        "headers": {"X-Access-Portal-Email-Id": "42"},
    }
    message = OutboxMessage(**(defaults | kwargs))
    message.attach_alternative("<p>Hello.</p>", "text/html")
    return message


def test_ascii_headers_take_the_lean_path_with_crlf_line_endings():
    message = outbox_message().message(policy=email.policy.SMTP)
    raw = message.as_bytes()

    assert message.policy.linesep == "\r\n" and not isinstance(message, email.message.EmailMessage)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Megan Bowen invited you to access applications within their organization"
    assert parsed["From"].addresses[0].display_name == "Contoso via Access Portal"
    assert (parsed["To"], parsed["Reply-To"], parsed["X-Access-Portal-Email-Id"]) == (
        "john@fabrikam.com",
        "megan@contoso.com",
        "42",
    )
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsed["Message-ID"].startswith("<")
    assert [part.get_content_type() for part in parsed.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    # Not mangled to ">From" as in an mbox.
    assert parsed.get_body(("plain",)).get_content() == "Hello.\r\nFrom the team\r\n"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "Zoë invited you"},
        {"from_email": "Zoë via Access Portal <invites@accessportal.localhost>"},
        {"to": ["john@bücher.example"]},
        {"cc": ["cc@fabrikam.com"]},
    ],
)
def test_anything_else_goes_through_djangos_message(kwargs):
    message = outbox_message(**kwargs).message(policy=email.policy.SMTP)

    assert isinstance(message, email.message.EmailMessage)
    assert message.as_bytes().isascii()


def test_a_line_break_in_a_header_is_refused_as_django_refuses_it():
    with pytest.raises(ValueError):
        outbox_message(subject="Hello\nBcc: victim@example.com").message()


def test_a_boundary_found_in_a_text_is_left_to_the_email_package(monkeypatch):
    monkeypatch.setattr("invitations.mime.secrets.token_hex", lambda nbytes: "0" * (2 * nbytes))
    body = f"Hello.\n--=_{'0' * 32}\nStill the text part.\n"
    message = outbox_message(body=body).message()

    parsed = message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed.get_boundary() != f"=_{'0' * 32}"
    assert parsed.get_body(("plain",)).get_content() == body.replace("\n", "\r\n")
    assert parsed.get_body(("html",)).get_content() == "<p>Hello.</p>"
