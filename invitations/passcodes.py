"""Email one-time passcodes: how a guest without an account proves they own the invited address.

A code is 8 random digits, valid 30 minutes, good for one use and 5 attempts. Only an
HMAC of it (keyed with SECRET_KEY and bound to the passcode row) is stored, and it is
compared in constant time. Only the newest code sent for an address counts.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.emails import canonical_email
from directory.models import Account
from directory.services import PolicyError
from invitations import ratelimit
from invitations.models import Invitation, OneTimePasscode, OutboundEmail
from invitations.outbox import queue_email

CODE_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = OneTimePasscode.MAX_ATTEMPTS
SEND_LIMIT = 5
SEND_PERIOD_SECONDS = 15 * 60

OTP_DISABLED = (
    "{organization} requires you to sign in with an existing account. It doesn't send one-time "
    "passcodes, so ask the person who invited you to invite an address that has an account here."
)
TOO_MANY_SENDS = "You asked for too many codes. Wait 15 minutes, then ask for a new one."
CODE_FORMAT = "Enter the 8-digit code from the email."
NO_CODE = "There's no code for this address yet. Select Send code to get one."
CODE_WRONG = "That code isn't right. Check the email and try again ({left} attempts left)."
CODE_DEAD = "That code was entered wrongly too many times. Select Send code to get a new one."
CODE_EXPIRED = "That code has expired (codes are valid for 30 minutes). Select Send code to get a new one."
CODE_USED = "That code was already used. Select Send code to get a new one."
ACCOUNT_DISABLED = "The account for this address is disabled. Ask your administrator to enable it."

_CODE_RE = re.compile(r"\d{8}")


class PasscodeError(PolicyError):
    """A passcode that can't be sent or doesn't prove the address."""


def hash_code(*, passcode: OneTimePasscode, code: str) -> str:
    # Keyed and bound to the row: a leaked table gives no codes, and one hash can't be replayed for another row.
    message = f"{passcode.pk}:{passcode.email}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def send_passcode(*, invitation: Invitation, email: str) -> OneTimePasscode:
    """Email a fresh code to the address (older codes for it stop counting); at most 5 sends per 15 minutes."""
    email = canonical_email(email)
    tenant = invitation.tenant
    if not tenant.email_otp_enabled:
        raise PasscodeError(OTP_DISABLED.format(organization=tenant.display_name))
    if not ratelimit.hit(scope="passcode-send", identifier=email, limit=SEND_LIMIT, period_seconds=SEND_PERIOD_SECONDS):
        raise PasscodeError(TOO_MANY_SENDS)
    code = new_code()
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    with transaction.atomic():
        now = timezone.now()
        passcode = OneTimePasscode(
            email=email, invitation=invitation, created_date_time=now, expires_date_time=now + CODE_LIFETIME
        )
        passcode.code_hash = hash_code(passcode=passcode, code=code)
        passcode.full_clean()
        passcode.save()
        queue_email(
            to=email,
            subject=f"Your {tenant.display_name} verification code",
            template="one_time_passcode",
            context={"code": code, "organization": tenant.display_name, "minutes": minutes},
            kind=OutboundEmail.Kind.ONE_TIME_CODE,
            tenant=tenant,
            invitation=invitation,
        )
    return passcode


def verify_passcode(*, invitation: Invitation, email: str, code: str, display_name: str = "") -> Account:
    """Check the newest code sent for the address; on success mark it used and return its Account.

    The Account is created (passwordless) when the address has none. A wrong code counts an
    attempt, committed even though the call refuses.
    """
    email = canonical_email(email)
    code = "".join(code.split())
    if not _CODE_RE.fullmatch(code):
        raise PasscodeError(CODE_FORMAT)
    error = ""
    account = None
    with transaction.atomic():
        passcode = (
            OneTimePasscode.objects.select_for_update()
            .filter(invitation=invitation, email=email)
            .order_by("-created_date_time")
            .first()
        )
        if passcode is None:
            error = NO_CODE
        elif passcode.used_date_time is not None:
            error = CODE_USED
        elif passcode.attempts >= MAX_ATTEMPTS:
            error = CODE_DEAD
        elif passcode.expires_date_time <= timezone.now():
            error = CODE_EXPIRED
        elif not hmac.compare_digest(hash_code(passcode=passcode, code=code), passcode.code_hash):
            passcode.attempts += 1
            passcode.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - passcode.attempts
            error = CODE_WRONG.format(left=left) if left else CODE_DEAD
        else:
            passcode.used_date_time = timezone.now()
            passcode.save(update_fields=["used_date_time"])
            account = _account_for_address(email=email, display_name=display_name)
    if error:
        raise PasscodeError(error)
    if not account.is_active:
        raise PasscodeError(ACCOUNT_DISABLED)
    return account


def _account_for_address(*, email: str, display_name: str) -> Account:
    account = Account.objects.filter(email=email).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create_user(email, password=None, display_name=display_name[:256])
    except (IntegrityError, ValidationError):
        # Created by a concurrent request for the same address a moment ago.
        account = Account.objects.filter(email=email).first()
        if account is None:
            raise
        return account
