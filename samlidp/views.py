"""The SAML 2.0 endpoints in Azure's URL shapes: /{tenant}/saml2 and the per-app federation metadata.

Views are thin: the tenant from the URL, samlidp.signon for the flow, and Entra's error
page when refused. Both are protocol endpoints (accessportal.middleware.protocol_endpoint):
they get SAMLRequest, Signature and RelayState as sent and enforce their own limits.
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from accessportal.middleware import protocol_endpoint
from directory.models import Tenant
from samlidp import idp, signon
from samlidp.models import SamlConfiguration
from signin.errors import render_error, tenant_or_error
from signin.policy import SignInRefused
from signin.tenancy import resolve_tenant

# AuthnRequests waiting for their person to sign in, by key, in the session (the newest few).
PENDING = "samlidp.pending"
MAX_PENDING = 5
METADATA_CONTENT_TYPE = "application/samlmetadata+xml"
# Marks an HTTP-POST request posted again from this site's own page (_resubmit).
RESUBMITTED = "resubmitted"


def _incoming(request: HttpRequest) -> idp.IncomingRequest:
    key = request.GET.get("pending", "")
    if key:
        pending = request.session.get(PENDING, {})
        stored = pending.pop(key, None)
        request.session[PENDING] = pending
        return (
            idp.IncomingRequest(**stored)
            if stored
            else idp.IncomingRequest(binding=BINDING_HTTP_REDIRECT, saml_request="")
        )
    if request.method == "POST":
        return idp.IncomingRequest(
            binding=BINDING_HTTP_POST,
            saml_request=request.POST.get("SAMLRequest", ""),
            relay_state=request.POST.get("RelayState", ""),
        )
    return idp.IncomingRequest(
        binding=BINDING_HTTP_REDIRECT,
        saml_request=request.GET.get("SAMLRequest", ""),
        relay_state=request.GET.get("RelayState", ""),
        sig_alg=request.GET.get("SigAlg"),
        signature=request.GET.get("Signature"),
    )


def _after_sign_in(request: HttpRequest, tenant: Tenant, incoming: idp.IncomingRequest) -> HttpResponse:
    """To the portal's sign-in page, then back here: the request waits in the session under a short key,
    so `next` stays a short local path whatever the request's size or binding."""
    key = secrets.token_urlsafe(12)
    pending = request.session.get(PENDING, {})
    pending = dict(list(pending.items())[-(MAX_PENDING - 1) :])
    pending[key] = {
        "binding": incoming.binding,
        "saml_request": incoming.saml_request,
        "relay_state": incoming.relay_state,
        "sig_alg": incoming.sig_alg,
        "signature": incoming.signature,
    }
    request.session[PENDING] = pending
    return redirect_to_login(f"/{tenant.pk}/saml2?pending={key}")


def _resubmit(request: HttpRequest) -> HttpResponse:
    """An HTTP-POST request from another site arrives without the session cookie (SameSite=Lax), as if nobody
    were signed in; answering it would start a new session over the person's own (or, for a LogoutRequest,
    leave it signed in). The same request, within idp.within_limits, is posted again from this site's own
    page, which the browser sends with the cookie. Nothing is stored meanwhile."""
    fields = [(name, request.POST[name]) for name in ("SAMLRequest", "RelayState") if name in request.POST]
    context = {"application_name": "the application", "action": request.path, "fields": [*fields, (RESUBMITTED, "1")]}
    return render(request, "samlidp/post_response.html", context)


@protocol_endpoint
@csrf_exempt  # the HTTP-POST binding: the application's page posts here
@never_cache
# No HEAD: answering uses up the request's ID, which a link checker's HEAD must not do.
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, tenant: str) -> HttpResponse:
    """SP-initiated sign-in (an AuthnRequest) or single logout (a LogoutRequest), by the HTTP-Redirect or
    HTTP-POST binding."""
    found, error_page = tenant_or_error(request, tenant)
    if found is None:
        return error_page
    if (
        request.method == "POST"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and RESUBMITTED not in request.POST
        # An oversized request is refused at once, as when it comes with the cookie.
        and idp.within_limits(request.POST.get("SAMLRequest", ""), request.POST.get("RelayState", ""))
    ):
        return _resubmit(request)
    account = request.user if request.user.is_authenticated else None
    incoming = _incoming(request)
    try:
        configuration, checked = signon.read_request(request, tenant=found, incoming=incoming, account=account)
        if isinstance(checked, idp.LogoutRequest):
            return signon.answer_logout(request, configuration=configuration, logout_request=checked)
        authn_request = checked
        if account is None:
            return _after_sign_in(request, found, incoming)
        return signon.answer_request(request, configuration=configuration, authn_request=authn_request, account=account)
    except SignInRefused as refused:
        return render_error(request, refused)


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@protocol_endpoint
@require_GET
def federation_metadata(request: HttpRequest, tenant: str) -> HttpResponse:
    """App Federation Metadata Url: the signed metadata of one SAML application (`?appid=`) of the tenant."""
    found = resolve_tenant(tenant)
    if found is None:
        return _plain(404, f"Tenant '{tenant[:100]}' not found.")
    try:
        app_id = uuid.UUID(request.GET.get("appid", "")[:64])
    except ValueError:
        return _plain(400, "Add ?appid= with the application's id to the address.")
    configuration = (
        SamlConfiguration.objects.select_related("application__tenant")
        .filter(tenant=found, application_id=app_id)
        .first()
    )
    if configuration is None:
        return _plain(404, f"Application '{app_id}' has no SAML single sign-on in this organization.")
    try:
        document = idp.federation_metadata(configuration)
    except idp.SamlRequestError as error:
        return _plain(409, error.reason)
    response = HttpResponse(document, content_type=f"{METADATA_CONTENT_TYPE}; charset=utf-8")
    return response
