"""SAML flows: SP-initiated sign-in (an AuthnRequest at /{tenant}/saml2), IdP-initiated sign-in (the My Apps
tile) and single logout (a LogoutRequest at /{tenant}/saml2).

pysaml2 (samlidp.idp) reads and writes the messages; signin.policy decides who may sign in
and writes the sign-in log. Every refusal raises SignInRefused for the caller to show as
Entra's error page; a refused sign-in is logged, a refused sign-out is not (it is no sign-in).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP

from directory.models import Account, Application, DirectoryUser, Tenant
from samlidp import idp
from samlidp.models import SamlConfiguration
from samlidp.services import ReplayedRequest, record_request_id
from signin import codes
from signin.models import SignInEvent
from signin.policy import SignInRefused, authorize_sign_in, refuse_sign_in, refuse_without_log
from signin.services import sign_in_method, sign_in_time

SAML = SignInEvent.Protocol.SAML
ERRORS = {
    idp.MALFORMED: codes.SAML_INVALID_REQUEST,
    idp.EXPIRED: codes.SAML_INVALID_REQUEST,
    idp.UNSIGNED: codes.SAML_SIGNATURE_REQUIRED,
    idp.WRONG_DESTINATION: codes.SAML_UNEXPECTED_DESTINATION,
}
MAX_ECHOED = 300
# The AuthnContextClassRef of how the person signed in. No SAML class names a code sent by email.
AUTHN_CONTEXTS = {
    SignInEvent.Protocol.PASSWORD: idp.AUTHN_CONTEXT,
    SignInEvent.Protocol.ONE_TIME_PASSCODE: "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
}


def _user_in(tenant: Tenant, account: Account | None) -> DirectoryUser | None:
    # A refusal before the policy runs still names the person in the log by their user in this tenant.
    return DirectoryUser.objects.filter(tenant=tenant, account=account).first() if account is not None else None


def _refuse_sign_out(
    *, protocol: str, account: Account | None, user: DirectoryUser | None, **refusal: object
) -> SignInRefused:
    """refuse_sign_in's refusal, for a LogoutRequest: the same arguments and error page, nothing in the sign-in
    log (so its protocol, account and user go unused)."""
    return refuse_without_log(**refusal)


def read_request(
    request: HttpRequest, *, tenant: Tenant, incoming: idp.IncomingRequest, account: Account | None
) -> tuple[SamlConfiguration, idp.AuthnRequest | idp.LogoutRequest]:
    """The application that sent the AuthnRequest or LogoutRequest and the checked request; SignInRefused if
    any check fails.

    The issuer must be a SAML application of this tenant (AADSTS700016), the request well-formed,
    signed when the application requires it (a LogoutRequest: when it has a verification
    certificate), meant for this endpoint and recent (pysaml2 and samlidp.idp check those), and
    an AuthnRequest's AssertionConsumerServiceURL the Reply URL (AADSTS50011).
    """
    refusal = {
        "request": request,
        "tenant": tenant,
        "protocol": SAML,
        "account": account,
        "user": _user_in(tenant, account),
    }
    if not incoming.saml_request:
        raise refuse_sign_in(error=codes.SAML_REQUEST_MISSING, **refusal)
    try:
        message = idp.read_message(incoming)
    except idp.SamlRequestError as error:
        raise refuse_sign_in(error=ERRORS[error.kind], detail=error.reason, **refusal) from error
    refuse = _refuse_sign_out if message.kind == idp.LOGOUT_REQUEST else refuse_sign_in
    configuration = (
        SamlConfiguration.objects.select_related("application__tenant")
        .filter(tenant=tenant, entity_id=message.issuer)
        .first()
    )
    if configuration is None:
        raise refuse(error=codes.APP_NOT_FOUND, app_id=message.issuer[:MAX_ECHOED], **refusal)
    refusal.update(application=configuration.application, app_id=str(configuration.application_id))
    read = idp.read_logout_request if message.kind == idp.LOGOUT_REQUEST else idp.read_authn_request
    try:
        checked = read(incoming, configuration)
    except idp.SamlRequestError as error:
        raise refuse(error=ERRORS[error.kind], detail=error.reason, **refusal) from error
    if isinstance(checked, idp.AuthnRequest) and checked.reply_url != configuration.reply_url:
        raise refuse_sign_in(error=codes.REPLY_URL_MISMATCH, reply_url=checked.reply_url[:MAX_ECHOED], **refusal)
    return configuration, checked


def answer_request(
    request: HttpRequest, *, configuration: SamlConfiguration, authn_request: idp.AuthnRequest, account: Account
) -> HttpResponse:
    """Answer a checked AuthnRequest once (a second use of its ID is a replay) for the signed-in account."""
    try:
        record_request_id(
            application=configuration.application,
            request_id=authn_request.request_id,
            issue_instant=authn_request.issue_instant,
            forget_before=timezone.now() - idp.REQUEST_LIFETIME - 2 * idp.CLOCK_SKEW,
        )
    except ReplayedRequest as replay:
        raise refuse_sign_in(
            request=request,
            tenant=configuration.tenant,
            protocol=SAML,
            account=account,
            user=_user_in(configuration.tenant, account),
            application=configuration.application,
            error=codes.SAML_REPLAYED_REQUEST,
            request_id=authn_request.request_id[:MAX_ECHOED],
        ) from replay
    return post_response(
        request,
        configuration=configuration,
        account=account,
        in_response_to=authn_request.request_id,
        relay_state=authn_request.relay_state,
    )


def answer_logout(
    request: HttpRequest, *, configuration: SamlConfiguration, logout_request: idp.LogoutRequest
) -> HttpResponse:
    """Sign the person out of the portal and send the signed LogoutResponse to the app's Logout Url.

    Refused, with nothing changed, when the app has no Logout Url or can't sign (AADSTS50061, AADSTS50000),
    when the request's ID was already answered (AADSTS75005), and when it names someone other than the
    person signed in (AADSTS50061). Nobody signed in is already signed out: the app gets its response.
    """
    application = configuration.application
    account = request.user if request.user.is_authenticated else None
    user = _user_in(configuration.tenant, account)
    refusal = {
        "request": request,
        "tenant": configuration.tenant,
        "protocol": SAML,
        "account": account,
        "user": user,
        "application": application,
        "app_id": str(application.pk),
    }
    if not configuration.logout_url:
        raise _refuse_sign_out(
            error=codes.SAML_SIGN_OUT_INVALID,
            detail=f"{application.display_name} has no Logout Url in its Basic SAML Configuration.",
            **refusal,
        )
    if not idp.can_sign(configuration):
        raise _refuse_sign_out(
            error=codes.SIGN_IN_SERVICE_ISSUE,
            detail=f"{application.display_name} has no active, unexpired SAML signing certificate.",
            **refusal,
        )
    if account is not None:
        signed_in_as = idp.attribute_value(user, configuration.name_id_source) if user is not None else ""
        if signed_in_as.casefold() != logout_request.name_id.casefold():
            raise _refuse_sign_out(
                error=codes.SAML_SIGN_OUT_INVALID,
                detail=f"The LogoutRequest names '{logout_request.name_id[:MAX_ECHOED]}', who isn't the person "
                "signed in here.",
                **refusal,
            )
    location = idp.logout_response_url(configuration, logout_request)
    try:
        record_request_id(
            application=application,
            request_id=logout_request.request_id,
            issue_instant=logout_request.issue_instant,
            forget_before=timezone.now() - idp.REQUEST_LIFETIME - 2 * idp.CLOCK_SKEW,
        )
    except ReplayedRequest as replay:
        raise _refuse_sign_out(
            error=codes.SAML_REPLAYED_REQUEST, request_id=logout_request.request_id[:MAX_ECHOED], **refusal
        ) from replay
    logout(request)
    return HttpResponseRedirect(location)


def post_response(
    request: HttpRequest,
    *,
    configuration: SamlConfiguration,
    account: Account,
    in_response_to: str | None,
    relay_state: str,
) -> HttpResponse:
    """The page that carries the signed response to the Reply URL (HTTP-POST binding), after the policy allows it.

    `in_response_to` None is IdP-initiated: an unsolicited response, as the My Apps tile sends.
    """
    application = configuration.application
    if not idp.can_sign(configuration):
        # Checked before the policy logs a success, so a sign-in that can't be answered isn't logged as one.
        raise refuse_sign_in(
            request=request,
            tenant=application.tenant,
            protocol=SAML,
            account=account,
            application=application,
            error=codes.SIGN_IN_SERVICE_ISSUE,
            detail=f"{application.display_name} has no active, unexpired SAML signing certificate.",
        )
    user = authorize_sign_in(request=request, account=account, application=application, protocol=SAML)
    saml_response = idp.authn_response(
        configuration=configuration,
        user=user,
        in_response_to=in_response_to,
        authn_context=AUTHN_CONTEXTS.get(sign_in_method(request), idp.AUTHN_CONTEXT),
        authn_instant=sign_in_time(request),
    )
    fields = [("SAMLResponse", saml_response), *([("RelayState", relay_state)] if relay_state else [])]
    context = {"application_name": application.display_name, "action": configuration.reply_url, "fields": fields}
    response = render(request, "samlidp/post_response.html", context)
    # The CSP lets forms post only to this site; this one page also posts to the app's Reply URL.
    reply = urlsplit(configuration.reply_url)
    response._csp_config = {**settings.SECURE_CSP, "form-action": [CSP.SELF, f"{reply.scheme}://{reply.netloc}"]}
    return response


def idp_initiated(request: HttpRequest, *, application: Application, account: Account) -> HttpResponse | None:
    """The My Apps tile of a SAML app without a Sign on URL: an unsolicited signed response to its Reply URL,
    with its Relay State. None when the app has no Basic SAML Configuration yet."""
    configuration = SamlConfiguration.objects.filter(application=application).first()
    if configuration is None:
        return None
    configuration.application = application
    return post_response(
        request,
        configuration=configuration,
        account=account,
        in_response_to=None,
        relay_state=configuration.relay_state,
    )
