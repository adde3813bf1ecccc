"""The outbox: every email is a row written in the transaction of the change that caused it.

Delivery happens after commit, in a task (invitations.tasks.deliver_email), so a
rolled-back change sends nothing and a mail server outage loses nothing.
"""

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template

from directory.models import Tenant
from directory.services import PolicyError
from invitations.models import Invitation, OutboundEmail, validate_fields
from invitations.tasks import deliver_email

HEADER_INJECTION = "Email subjects, names and addresses can't contain line breaks."
INVALID_RECIPIENT = "{address!r} is not a valid email address."
MAX_SUBJECT_LENGTH = 255

_validate_email = EmailValidator()


class OutboxError(PolicyError):
    """An email the outbox refuses to write."""


def _check_header(value: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise OutboxError(HEADER_INJECTION)


def _check_address(address: str) -> None:
    _check_header(address)
    try:
        _validate_email(address)
    except ValidationError as exc:
        raise OutboxError(INVALID_RECIPIENT.format(address=address[:80])) from exc


def sender_for(tenant: Tenant | None) -> str:
    """From: the site's address, shown as "<Org> via Access Portal" when sent for an organization."""
    if tenant is None:
        return settings.DEFAULT_FROM_EMAIL
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = " ".join(tenant.display_name.split())
    return formataddr((f"{name} via Access Portal", address))


def render_email(template: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML) from templates/emails/<template>.txt and the optional .html.

    The plain part is rendered without autoescaping (it is not HTML); the HTML part
    escapes everything, so a personal message can never inject markup.
    """
    text_template = get_template(f"emails/{template}.txt").template
    body_text = text_template.render(Context(context, autoescape=False))
    try:
        html_template = get_template(f"emails/{template}.html")
    except TemplateDoesNotExist:
        return body_text, ""
    return body_text, html_template.render(context)


def queue_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    kind: str,
    tenant: Tenant | None = None,
    reply_to: str = "",
    invitation: Invitation | None = None,
) -> OutboundEmail:
    """Write one email to the outbox in the caller's transaction; delivery is scheduled on commit."""
    to = to.strip()
    reply_to = reply_to.strip()
    _check_header(subject)
    _check_address(to)
    if reply_to:
        _check_address(reply_to)
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[: MAX_SUBJECT_LENGTH - 1] + "…"
    body_text, body_html = render_email(template, {**context, "subject": subject})
    email = OutboundEmail(
        tenant=tenant,
        invitation=invitation,
        kind=kind,
        to=to,
        from_email=sender_for(tenant),
        reply_to=reply_to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )
    validate_fields(email)
    email.save()
    transaction.on_commit(lambda: deliver_email.enqueue(str(email.pk)))
    return email
