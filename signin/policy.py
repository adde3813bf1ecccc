"""The one place that decides whether a person may sign in to an application.

OpenID Connect and SAML both call authorize_sign_in; it writes the sign-in log either
way. The protocol libraries own the protocols; this module owns the policy.
"""

import datetime

from django.http import HttpRequest
from django.utils import timezone

from directory.models import Account, Application, DirectoryUser, SingleSignOnMode, Tenant
from directory.selectors import is_assigned
from signin import codes
from signin.codes import ErrorCode
from signin.models import SignInEvent
from signin.services import record_sign_in, request_id_of


class SignInRefused(Exception):
    """A refused sign-in: the AADSTS code, its sentence, and the request id and time of its sign-in event."""

    def __init__(
        self,
        error: ErrorCode,
        message: str,
        *,
        request: HttpRequest | None = None,
        status: int = 400,
        application: Application | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status
        self.application = application
        self.request_id = request_id_of(request)
        self.timestamp: datetime.datetime = timezone.now()

    @property
    def code(self) -> str:
        return self.error.code


def _refusal_message(
    error: ErrorCode,
    *,
    tenant: Tenant,
    application: Application | None,
    app_id: str = "",
    app_display_name: str = "",
    **values: object,
) -> str:
    app_name = app_display_name or (application.display_name if application is not None else "")
    return error.format(app_id=app_id, app=app_name, tenant=tenant.display_name, **values)


def refuse_without_log(
    *,
    request: HttpRequest | None,
    tenant: Tenant,
    error: ErrorCode,
    status: int = 400,
    application: Application | None = None,
    app_id: str = "",
    **values: object,
) -> SignInRefused:
    """refuse_sign_in's exception, same message and page, for a refused request that is no sign-in (a sign-out)."""
    message = _refusal_message(error, tenant=tenant, application=application, app_id=app_id, **values)
    return SignInRefused(error, message, request=request, status=status, application=application)


def refuse_sign_in(
    *,
    request: HttpRequest | None,
    tenant: Tenant,
    error: ErrorCode,
    protocol: str,
    status: int = 400,
    account: Account | None = None,
    user: DirectoryUser | None = None,
    application: Application | None = None,
    app_id: str = "",
    app_display_name: str = "",
    event_type: str = SignInEvent.EventType.INTERACTIVE_USER,
    message: str = "",
    **values: object,
) -> SignInRefused:
    """Logs a refused sign-in and returns the exception to raise (the caller raises it, so the traceback is its own).

    The message is the code's text filled with `values`, unless one already written is given.
    """
    message = message or _refusal_message(
        error, tenant=tenant, application=application, app_id=app_id, app_display_name=app_display_name, **values
    )
    record_sign_in(
        request=request,
        tenant=tenant,
        protocol=protocol,
        status=SignInEvent.Status.FAILURE,
        user=user,
        account=account,
        application=application,
        app_id=app_id,
        app_display_name=app_display_name,
        error_code=error.number,
        failure_reason=message,
        event_type=event_type,
    )
    return SignInRefused(error, message, request=request, status=status, application=application)


def authorize_sign_in(
    *, request: HttpRequest | None, account: Account, application: Application, protocol: str, app_id: str = ""
) -> DirectoryUser:
    """The directory user `account` signs in to `application` as, or SignInRefused; logged either way.

    Refuses an app that is disabled or whose single sign-on is off (AADSTS7000112), an account
    with no enabled, signed-up user in the app's tenant (AADSTS50020, AADSTS50057), and a
    person not assigned to an app whose "Assignment required?" is Yes (AADSTS50105).
    """
    tenant = application.tenant
    app_id = app_id or str(application.pk)
    context = {"request": request, "tenant": tenant, "protocol": protocol, "application": application}
    user = (
        DirectoryUser.objects.filter(tenant=tenant, account=account)
        .exclude(external_user_state=DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE)
        .first()
    )
    if not application.account_enabled:
        raise refuse_sign_in(error=codes.APP_DISABLED, account=account, user=user, app_id=app_id, **context)
    if application.single_sign_on_mode in {SingleSignOnMode.DISABLED, SingleSignOnMode.PASSWORD}:
        raise refuse_sign_in(
            error=codes.SINGLE_SIGN_ON_OFF,
            account=account,
            user=user,
            app_id=app_id,
            mode=application.get_single_sign_on_mode_display(),
            **context,
        )
    if user is None:
        raise refuse_sign_in(
            error=codes.USER_NOT_IN_TENANT,
            account=account,
            app_id=app_id,
            status=403,
            email=account.email,
            **context,
        )
    if not user.account_enabled or not account.is_active:
        raise refuse_sign_in(
            error=codes.USER_DISABLED,
            user=user,
            app_id=app_id,
            status=403,
            upn=user.user_principal_name,
            **context,
        )
    if application.app_role_assignment_required and not is_assigned(user=user, application=application):
        raise refuse_sign_in(
            error=codes.NOT_ASSIGNED,
            user=user,
            app_id=app_id,
            status=403,
            upn=user.user_principal_name,
            **context,
        )
    record_sign_in(user=user, app_id=app_id, **context)
    return user
