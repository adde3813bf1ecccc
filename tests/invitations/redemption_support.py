"""Helpers shared by the redemption, passcode, mailbox and block tests (plain functions, not fixtures)."""

import re

from django.db import models

from directory.models import Account, AuditEvent, DirectoryUser, Tenant
from invitations.models import Invitation, OneTimePasscode, OutboundEmail
from invitations.services import invite_guest

_TICKET_RE = re.compile(r"/invitations/redeem/([^/\s\"'<>]+)/")
_CODE_RE = re.compile(r"\b(\d{8})\b")


def invite(*, tenant: Tenant, inviter: DirectoryUser, email: str, **options: object) -> tuple[Invitation, str]:
    """Invite through the real service; returns the invitation and its plain ticket."""
    result = invite_guest(tenant=tenant, inviter=inviter, email=email, **options)
    return result.invitation, ticket_from(result.invite_redeem_url)


def ticket_from(text: str) -> str:
    return _TICKET_RE.search(text).group(1)


def latest_email(to: str, kind: str) -> OutboundEmail:
    return OutboundEmail.objects.filter(to=to, kind=kind).order_by("-created_date_time").first()


def code_from_outbox(to: str) -> str:
    return _CODE_RE.search(latest_email(to, OutboundEmail.Kind.ONE_TIME_CODE).body_text).group(1)


def database_snapshot() -> dict[str, list[dict]]:
    """Every row of the tables a redemption could touch, to prove a request changed nothing."""
    tables: list[type[models.Model]] = [Invitation, DirectoryUser, Account, OutboundEmail, OneTimePasscode, AuditEvent]
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in tables}
