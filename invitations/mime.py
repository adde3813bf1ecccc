"""The outbox's messages, built cheaply: Django's EmailMultiAlternatives with a leaner message().

Django's message() builds every header through the modern email API, which parses each value
into a structured header and refolds it on output: about 1 ms of CPU an email, most of what the
outbox worker spends per email once its queries are lean. An outbox email is always the same
simple shape (a text part, an optional HTML alternative, no attachments, no Cc, headers the
outbox validated when it wrote the row), so when every header is plain ASCII this builds it with
the email package's legacy API (policy compat32, CRLF line endings), which copies such headers as
they are, in a quarter of the time. Anything else (a non-ASCII name or subject, which needs
encoded words, or an IDN domain) goes through Django's own message(). Django's mailer still does
all the talking to the server: connection, TLS, authentication and envelope addresses.
"""

import email.policy
import secrets
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.utils.timezone import get_current_timezone

_POLICY = email.policy.compat32.clone(linesep="\r\n")
# RFC 5322's line length limit: a body with a longer line is sent quoted-printable, else as is.
_MAX_LINE = 998
_AS_IS = Charset("utf-8")
_AS_IS.body_encoding = None  # 7bit or 8bit; the email package would pick base64
_QUOTED_PRINTABLE = Charset("utf-8")
_QUOTED_PRINTABLE.body_encoding = QP


def _plain(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value and "\x00" not in value


def _text_part(content: str, subtype: str) -> MIMEText:
    long_lines = any(len(line.encode()) > _MAX_LINE for line in content.splitlines())
    return MIMEText(content, subtype, _charset=_QUOTED_PRINTABLE if long_lines else _AS_IS, policy=_POLICY)


class OutboxMessage(EmailMultiAlternatives):
    """An outbox email: plain text, and an HTML alternative when there is one."""

    def _headers(self) -> list[tuple[str, str]]:
        headers = [("Subject", str(self.subject)), ("From", str(self.from_email)), ("To", ", ".join(self.to))]
        if self.reply_to:
            headers.append(("Reply-To", ", ".join(self.reply_to)))
        now = datetime.now(get_current_timezone() if settings.EMAIL_USE_LOCALTIME else UTC)
        headers.append(("Date", format_datetime(now)))
        headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
        return headers + [(name, str(value)) for name, value in self.extra_headers.items()]

    def message(self, *, policy=email.policy.default):
        simple = (
            self.to
            and not (self.cc or self.attachments or self.encoding)
            and all(name.lower().startswith("x-") for name in self.extra_headers)
            and all(mimetype == "text/html" and isinstance(content, str) for content, mimetype in self.alternatives)
        )
        headers = self._headers() if simple else []
        if not simple or not all(_plain(name) and _plain(value) for name, value in headers):
            return super().message(policy=policy)
        if self.alternatives:
            # A random boundary checked against the texts, rather than the email package's, which
            # compiles a regular expression for each message to search the encoded parts for it.
            # "=_" never occurs in quoted-printable text; 7bit and 8bit parts are the texts as they are.
            boundary = f"=_{secrets.token_hex(16)}"
            if any(boundary in text for text in [self.body, *(content for content, _ in self.alternatives)]):
                boundary = None
            msg = MIMEMultipart("alternative", boundary=boundary, policy=_POLICY)
            msg.attach(_text_part(self.body, "plain"))
            for content, _ in self.alternatives:
                msg.attach(_text_part(content, "html"))
        else:
            msg = _text_part(self.body, "plain")
        for name, value in headers:
            msg[name] = value
        return msg
