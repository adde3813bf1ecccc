"""Redemption pages, the "Block future invitations" link and the demo mailbox.

Every redemption step looks the invitation up by its ticket again and decides on the
server what the person may do; GET requests never change anything.
"""

import re
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directory.emails import canonical_email
from directory.models import Account
from directory.services import PolicyError
from invitations import passcodes, redemption
from invitations.models import Invitation, OutboundEmail
from invitations.services import block_future_invitations
from invitations.tickets import read_block_token
from signin import codes
from signin.models import SignInEvent
from signin.services import record_portal_sign_in

MAILBOX_PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 254
# The email is a stranger's HTML: no scripts, no forms, no plugins, nothing fetched but inline
# styles and data: images, and it may only be framed by the mailbox page.
EMAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'; sandbox allow-top-navigation-by-user-activation allow-popups"
)


# Redemption -------------------------------------------------------------------
# These pages carry the ticket in their URL and the guest's details: browsers and proxies must not keep them.


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, f"invitations/{template}", context, status=status)


def _gate(request: HttpRequest, ticket: str) -> tuple[Invitation | None, HttpResponse | None]:
    """The pending, unexpired invitation for the ticket, or the page to show instead."""
    invitation = redemption.invitation_for_ticket(ticket)
    if invitation is None:
        return None, _page(request, "link_invalid.html", {}, status=404)
    context = {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket}
    if invitation.status == Invitation.Status.COMPLETED:
        if redemption.is_redeemed_by(invitation=invitation, account=request.user):
            return None, redirect(_destination(request, invitation))
        if not request.user.is_authenticated:
            here = reverse("invitations:redeem", args=[ticket])
            return None, redirect(f"{reverse('portal:sign-in')}?{urlencode({'next': here})}")
        return None, _page(request, "already_redeemed.html", context, status=409)
    if invitation.status == Invitation.Status.REVOKED:
        context["superseded"] = redemption.has_newer_invitation(invitation)
        return None, _page(request, "revoked.html", context, status=410)
    if invitation.is_expired:
        return None, _page(request, "expired.html", context, status=410)
    return invitation, None


def _destination(request: HttpRequest, invitation: Invitation) -> str:
    return redemption.destination_url(invitation=invitation, host=request.get_host(), secure=request.is_secure())


def _chosen_address(request: HttpRequest, invitation: Invitation) -> str:
    """The address being proven: always the invited one, except after a reset when the guest names theirs."""
    if not invitation.reset_redemption:
        return canonical_email(invitation.invited_user_email_address)
    email = canonical_email(request.POST.get("email") or request.GET.get("email") or "")
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _with_email(url: str, invitation: Invitation, email: str) -> str:
    return f"{url}?{urlencode({'email': email})}" if invitation.reset_redemption else url


def _wrong_account(request: HttpRequest, invitation: Invitation, ticket: str) -> HttpResponse:
    context = {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket}
    return _page(request, "wrong_account.html", context, status=403)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def redeem(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation, response = _gate(request, ticket)
    if response is not None:
        return response
    if request.method == "POST":
        return redirect("invitations:redeem-sign-in", ticket=ticket)
    return _page(request, "landing.html", {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket})


@never_cache
@require_safe
def redeem_sign_in(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation, response = _gate(request, ticket)
    if response is not None:
        return response
    if request.user.is_authenticated:
        if redemption.may_redeem_as(invitation=invitation, account=request.user):
            return redirect("invitations:redeem-consent", ticket=ticket)
        return _wrong_account(request, invitation, ticket)
    return _sign_in_page(request, invitation, ticket, email=_chosen_address(request, invitation))


def _sign_in_page(
    request: HttpRequest, invitation: Invitation, ticket: str, *, email: str, error: str = "", status: int = 200
) -> HttpResponse:
    tenant = invitation.tenant
    here = reverse("invitations:redeem-sign-in", args=[ticket])
    has_account = bool(email) and Account.objects.filter(email=email, is_active=True).exists()
    if email and not has_account and not tenant.email_otp_enabled:
        message = passcodes.OTP_DISABLED.format(organization=tenant.display_name)
        return _page(request, "otp_disabled.html", {"tenant": tenant, "message": message}, status=403)
    context = {
        "invitation": invitation,
        "tenant": tenant,
        "ticket": ticket,
        "email": email,
        "has_account": has_account,
        "otp_enabled": tenant.email_otp_enabled,
        "sign_in_url": f"{reverse('portal:sign-in')}?{urlencode({'next': here})}",
        "error": error,
    }
    return _page(request, "sign_in.html", context, status=status)


@never_cache
@require_POST
def redeem_send_code(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation, response = _gate(request, ticket)
    if response is not None:
        return response
    email = _chosen_address(request, invitation)
    if not email:
        return _sign_in_page(request, invitation, ticket, email="", error=redemption.ENTER_ADDRESS, status=400)
    try:
        passcodes.send_passcode(invitation=invitation, email=email)
    except PolicyError as error:
        status = 429 if error.message == passcodes.TOO_MANY_SENDS else 400
        return _sign_in_page(request, invitation, ticket, email=email, error=error.message, status=status)
    return redirect(_with_email(reverse("invitations:redeem-code", args=[ticket]), invitation, email))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def redeem_code(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation, response = _gate(request, ticket)
    if response is not None:
        return response
    email = _chosen_address(request, invitation)
    if not email:
        return redirect("invitations:redeem-sign-in", ticket=ticket)
    context = {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket, "email": email, "error": ""}
    if request.method == "POST":
        # A new account for the invited address takes the name the inviter gave; another address gets none.
        display_name = ""
        if email == canonical_email(invitation.invited_user_email_address):
            display_name = invitation.invited_user_display_name or invitation.invited_user.display_name
        try:
            account = passcodes.verify_passcode(
                invitation=invitation, email=email, code=request.POST.get("code", "")[:32], display_name=display_name
            )
        except PolicyError as error:
            record_portal_sign_in(
                request=request,
                email=email,
                protocol=SignInEvent.Protocol.ONE_TIME_PASSCODE,
                user=invitation.invited_user,
                error=codes.INVALID_PASSCODE,
            )
            context["error"] = error.message
            return _page(request, "enter_code.html", context, status=400)
        login(request, account, backend=settings.AUTHENTICATION_BACKENDS[0])
        record_portal_sign_in(
            request=request, email=email, protocol=SignInEvent.Protocol.ONE_TIME_PASSCODE, user=invitation.invited_user
        )
        return redirect("invitations:redeem-consent", ticket=ticket)
    return _page(request, "enter_code.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def redeem_consent(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation, response = _gate(request, ticket)
    if response is not None:
        return response
    if not request.user.is_authenticated:
        return redirect("invitations:redeem-sign-in", ticket=ticket)
    if not redemption.may_redeem_as(invitation=invitation, account=request.user):
        return _wrong_account(request, invitation, ticket)
    context = {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket}
    if request.method == "POST":
        if request.POST.get("action") != "accept":
            return _page(request, "declined.html", context)
        try:
            invitation = redemption.redeem_invitation(invitation=invitation, account=request.user)
        except PolicyError as error:
            context["message"] = error.message
            return _page(request, "refused.html", context, status=403)
        return redirect(_destination(request, invitation))
    return _page(request, "consent.html", context)


@never_cache
@require_POST
def redeem_new_link(request: HttpRequest, ticket: str) -> HttpResponse:
    invitation = redemption.invitation_for_ticket(ticket)
    if invitation is None:
        return _page(request, "link_invalid.html", {}, status=404)
    if not (invitation.status == Invitation.Status.PENDING_ACCEPTANCE and invitation.is_expired):
        return redirect("invitations:redeem", ticket=ticket)
    context = {"invitation": invitation, "tenant": invitation.tenant, "ticket": ticket}
    try:
        redemption.request_new_link(invitation=invitation)
    except PolicyError as error:
        context["error"] = error.message
        return _page(request, "expired.html", context, status=429)
    context["sent"] = True
    return _page(request, "expired.html", context)


# Block future invitations -----------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def block(request: HttpRequest, token: str) -> HttpResponse:
    email = read_block_token(token[:1024])
    if email is None:
        return _page(request, "block_invalid.html", {}, status=404)
    if request.method == "POST":
        block_future_invitations(email=email)
        return _page(request, "block.html", {"email": email, "token": token, "blocked": True})
    return _page(request, "block.html", {"email": email, "token": token, "blocked": False})


# Demo mailbox -------------------------------------------------------------------


def _mailbox_allowed(request: HttpRequest) -> None:
    # Outside the demo the mailbox holds live codes and redemption links: only staff allowed
    # to read the admin's Outbound emails (which shows the same rows) may open it.
    user = request.user
    if not (settings.DEMO_MODE or (user.is_staff and user.has_perm("invitations.view_outboundemail"))):
        raise Http404("No mailbox here.")


@require_safe
def mailbox(request: HttpRequest) -> HttpResponse:
    _mailbox_allowed(request)
    query = request.GET.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    emails = OutboundEmail.objects.order_by("-created_date_time", "-pk").only(
        "id", "to", "subject", "kind", "status", "created_date_time", "sent_date_time", "from_email"
    )
    if query:
        emails = emails.filter(to__icontains=query)
    page = Paginator(emails, MAILBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "emails": page.object_list, "query": query, "nav_section": "mailbox"}
    template = "invitations/mailbox.html#results" if request.htmx else "invitations/mailbox.html"
    return render(request, template, context)


@require_safe
def mailbox_email(request: HttpRequest, email_id: uuid.UUID) -> HttpResponse:
    _mailbox_allowed(request)
    email = get_object_or_404(OutboundEmail, pk=email_id)
    return render(request, "invitations/mailbox_email.html", {"email": email, "nav_section": "mailbox"})


_HEAD_RE = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


@require_safe
@xframe_options_sameorigin
def mailbox_email_html(request: HttpRequest, email_id: uuid.UUID) -> HttpResponse:
    _mailbox_allowed(request)
    email = get_object_or_404(OutboundEmail, pk=email_id)
    body = email.body_html or f"<pre>{escape(email.body_text)}</pre>"
    # Links must leave the sandboxed frame: the site's own pages refuse to be framed.
    base = '<base target="_top">'
    match = _HEAD_RE.search(body)
    body = f"{body[: match.end()]}{base}{body[match.end() :]}" if match else f"{base}{body}"
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = EMAIL_HTML_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response
