"""Writes of the identity provider: app registrations, client secrets, admin consent, the sign-in log.

Each service validates first, runs in one transaction and records its audit event there.
A refusal raises directory.services.PolicyError with a sentence for the person who asked.
"""

import datetime
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accessportal.network import client_address
from directory.audit import Activity, Actor, record_event
from directory.emails import canonical_email
from directory.models import Account, Application, DirectoryUser, Tenant
from directory.services import PolicyError
from signin.codes import ErrorCode
from signin.models import MAX_REDIRECT_URIS, MAX_URI_LENGTH, AppRegistration, ClientSecret, SignInEvent

NAME_REQUIRED = "Enter a name for the app registration."
NAME_TOO_LONG = "Keep the name to 256 characters or fewer."
APP_OF_OTHER_TENANT = "{app} belongs to another organization."
APP_ALREADY_REGISTERED = "{app} already has an app registration."
REDIRECT_URI_INVALID = (
    "{uri} isn't a valid redirect URI: use an absolute https:// address (http:// only for localhost)."
)
TOO_MANY_REDIRECT_URIS = "An app registration can have at most 256 redirect URIs."
DESCRIPTION_TOO_LONG = "Keep the description to 120 characters or fewer."
EXPIRY_INVALID = "Choose when the secret expires: between 1 day and 2 years from now."
UNKNOWN_PERMISSION = "{permission} isn't a Microsoft Graph application permission this clone offers."
NO_PERMISSION_CHOSEN = "Choose at least one permission to add."
PERMISSION_NOT_REQUESTED = "{permission} isn't one of this application's configured permissions."

# Microsoft Graph application permissions an admin can grant (issue 12's list), with the
# descriptions Entra's API permissions blade shows for them.
GRAPH_PERMISSION_DESCRIPTIONS = {
    "User.Invite.All": "Invite guest users to the organization",
    "User.Read.All": "Read all users' full profiles",
    "User.ReadWrite.All": "Read and write all users' full profiles",
    "Group.Read.All": "Read all groups",
    "Group.ReadWrite.All": "Read and write all groups",
    "GroupMember.ReadWrite.All": "Read and write all group memberships",
    "Application.Read.All": "Read all applications",
    "AppRoleAssignment.ReadWrite.All": "Manage app permission grants and app role assignments",
    "AuditLog.Read.All": "Read all audit log data",
    "Directory.Read.All": "Read directory data",
}
GRAPH_APPLICATION_PERMISSIONS = tuple(GRAPH_PERMISSION_DESCRIPTIONS)
MAX_SECRET_LIFETIME = datetime.timedelta(days=730)
SECRET_LENGTH = 40
_LOCALHOST = {"localhost", "127.0.0.1", "[::1]"}


def hash_secret(value: str) -> str:
    # Secrets are 240 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(value.encode()).hexdigest()


def _clean_redirect_uris(uris: list[str]) -> str:
    cleaned: list[str] = []
    validate = URLValidator(schemes=["https", "http"])
    for uri in (u.strip() for u in uris):
        if not uri or uri in cleaned:
            continue
        try:
            if len(uri) > MAX_URI_LENGTH or "#" in uri:
                raise ValidationError("bad")
            validate(uri)
        except ValidationError:
            raise PolicyError(REDIRECT_URI_INVALID.format(uri=uri[:100])) from None
        host = uri.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0] if uri.startswith("http://") else ""
        if uri.startswith("http://") and host not in _LOCALHOST:
            raise PolicyError(REDIRECT_URI_INVALID.format(uri=uri[:100]))
        cleaned.append(uri)
    if len(cleaned) > MAX_REDIRECT_URIS:
        raise PolicyError(TOO_MANY_REDIRECT_URIS)
    return "\n".join(cleaned)


def _clean_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not display_name:
        raise PolicyError(NAME_REQUIRED)
    if len(display_name) > 256:
        raise PolicyError(NAME_TOO_LONG)
    return display_name


def create_app_registration(
    *,
    tenant: Tenant,
    display_name: str,
    actor: Actor,
    redirect_uris: list[str] | None = None,
    application: Application | None = None,
    client_id: uuid.UUID | None = None,
) -> AppRegistration:
    """A new app registration with its own application (client) id; audited as "Add application".

    `client_id` is for seed_demo, whose sample app knows its client id in advance.
    """
    display_name = _clean_name(display_name)
    uris = _clean_redirect_uris(redirect_uris or [])
    with transaction.atomic():
        if application is not None:
            application = Application.objects.select_for_update().get(pk=application.pk)
            if application.tenant_id != tenant.pk:
                raise PolicyError(APP_OF_OTHER_TENANT.format(app=application.display_name))
            if AppRegistration.objects.filter(application=application).exists():
                raise PolicyError(APP_ALREADY_REGISTERED.format(app=application.display_name))
        registration = AppRegistration(
            tenant=tenant, display_name=display_name, redirect_uris=uris, application=application
        )
        if client_id is not None:
            registration.client_id = client_id
        registration.full_clean()
        registration.save()
        record_event(
            tenant=tenant,
            activity=Activity.ADD_APPLICATION,
            actor=actor,
            target=registration,
            details={"appId": str(registration.client_id), "redirectUris": registration.redirect_uri_list},
        )
    return registration


def update_redirect_uris(*, registration: AppRegistration, redirect_uris: list[str], actor: Actor) -> AppRegistration:
    """Replaces the registration's redirect URIs; audited as "Update application"."""
    uris = _clean_redirect_uris(redirect_uris)
    with transaction.atomic():
        registration = AppRegistration.objects.select_for_update().get(pk=registration.pk)
        old = registration.redirect_uri_list
        registration.redirect_uris = uris
        registration.save(update_fields=["redirect_uris"])
        record_event(
            tenant=registration.tenant,
            activity=Activity.UPDATE_APPLICATION,
            actor=actor,
            target=registration,
            details={"redirectUris": {"old": old, "new": registration.redirect_uri_list}},
        )
    return registration


@dataclass(frozen=True)
class NewSecret:
    secret: ClientSecret
    value: str


def add_client_secret(
    *,
    registration: AppRegistration,
    actor: Actor,
    description: str = "",
    expires_date_time: datetime.datetime | None = None,
    value: str = "",
) -> NewSecret:
    """A new client secret; the value is returned this once and only its hash is stored.

    `value` is for seed_demo, whose sample app needs a secret known in advance.
    """
    description = description.strip()
    if len(description) > 120:
        raise PolicyError(DESCRIPTION_TOO_LONG)
    now = timezone.now()
    expires_date_time = expires_date_time or now + datetime.timedelta(days=180)
    if not now + datetime.timedelta(hours=1) <= expires_date_time <= now + MAX_SECRET_LIFETIME:
        raise PolicyError(EXPIRY_INVALID)
    value = value or secrets.token_urlsafe(SECRET_LENGTH * 3 // 4)
    with transaction.atomic():
        secret = ClientSecret.objects.create(
            registration=registration,
            description=description,
            hint=value[:3],
            secret_hash=hash_secret(value),
            expires_date_time=expires_date_time,
        )
        record_event(
            tenant=registration.tenant,
            activity=Activity.UPDATE_APPLICATION_SECRETS,
            actor=actor,
            target=registration,
            details={"added": {"keyId": str(secret.pk), "displayName": description, "hint": secret.hint}},
        )
    return NewSecret(secret=secret, value=value)


def remove_client_secret(*, secret: ClientSecret, actor: Actor) -> None:
    """Deletes a client secret: tokens can't be requested with it any more."""
    with transaction.atomic():
        registration = secret.registration
        ClientSecret.objects.filter(pk=secret.pk).delete()
        record_event(
            tenant=registration.tenant,
            activity=Activity.UPDATE_APPLICATION_SECRETS,
            actor=actor,
            target=registration,
            details={"removed": {"keyId": str(secret.pk), "displayName": secret.description, "hint": secret.hint}},
        )


def _check_permissions(permissions: list[str]) -> None:
    unknown = [p for p in permissions if p not in GRAPH_APPLICATION_PERMISSIONS]
    if unknown:
        raise PolicyError(UNKNOWN_PERMISSION.format(permission=str(unknown[0])[:100]))


def add_api_permissions(*, registration: AppRegistration, permissions: list[str], actor: Actor) -> AppRegistration:
    """**Add permissions**: Microsoft Graph application permissions join the requested ones, not yet granted.

    Audited as "Update application" with the requested permissions before and after.
    """
    _check_permissions(permissions)
    if not permissions:
        raise PolicyError(NO_PERMISSION_CHOSEN)
    with transaction.atomic():
        registration = AppRegistration.objects.select_for_update().get(pk=registration.pk)
        old = list(registration.requested_graph_permissions)
        registration.requested_graph_permissions = sorted({*old, *permissions})
        registration.save(update_fields=["requested_graph_permissions"])
        record_event(
            tenant=registration.tenant,
            activity=Activity.UPDATE_APPLICATION,
            actor=actor,
            target=registration,
            details={"requiredResourceAccess": {"old": old, "new": registration.requested_graph_permissions}},
        )
    return registration


def remove_api_permission(*, registration: AppRegistration, permission: str, actor: Actor) -> AppRegistration:
    """**Remove permission**: no longer requested, and its admin consent is revoked with it."""
    with transaction.atomic():
        registration = AppRegistration.objects.select_for_update().get(pk=registration.pk)
        old = list(registration.requested_graph_permissions)
        if permission not in old:
            raise PolicyError(PERMISSION_NOT_REQUESTED.format(permission=str(permission)[:100]))
        registration.requested_graph_permissions = [p for p in old if p != permission]
        registration.graph_application_permissions = [
            p for p in registration.graph_application_permissions if p != permission
        ]
        registration.save(update_fields=["requested_graph_permissions", "graph_application_permissions"])
        record_event(
            tenant=registration.tenant,
            activity=Activity.UPDATE_APPLICATION,
            actor=actor,
            target=registration,
            details={"requiredResourceAccess": {"old": old, "new": registration.requested_graph_permissions}},
        )
    return registration


def grant_admin_consent(
    *, registration: AppRegistration, actor: Actor, permissions: list[str] | None = None
) -> AppRegistration:
    """**Grant admin consent**: exactly these permissions (by default the requested ones) are granted.

    Tokens issued from now on carry them as `roles`; audited as "Consent to application".
    """
    with transaction.atomic():
        registration = AppRegistration.objects.select_for_update().get(pk=registration.pk)
        permissions = registration.requested_graph_permissions if permissions is None else permissions
        _check_permissions(permissions)
        registration.requested_graph_permissions = sorted({*registration.requested_graph_permissions, *permissions})
        registration.graph_application_permissions = sorted(set(permissions))
        registration.admin_consent_date_time = timezone.now()
        registration.admin_consent_by = actor.user_principal_name if isinstance(actor, DirectoryUser) else str(actor)
        registration.save(
            update_fields=[
                "requested_graph_permissions",
                "graph_application_permissions",
                "admin_consent_date_time",
                "admin_consent_by",
            ]
        )
        record_event(
            tenant=registration.tenant,
            activity=Activity.CONSENT_TO_APPLICATION,
            actor=actor,
            target=registration,
            details={"roles": registration.graph_application_permissions},
        )
    return registration


# The sign-in log ------------------------------------------------------------


def request_id_of(request: HttpRequest | None) -> uuid.UUID:
    """One id per HTTP request, shared by its sign-in event and the error page that shows it."""
    if request is None:
        return uuid.uuid4()
    if not hasattr(request, "sign_in_request_id"):
        request.sign_in_request_id = uuid.uuid4()
    return request.sign_in_request_id


def _ip_address(request: HttpRequest | None) -> str | None:
    return client_address(request) or None


def record_sign_in(
    *,
    request: HttpRequest | None,
    tenant: Tenant,
    protocol: str,
    status: str = SignInEvent.Status.SUCCESS,
    user: DirectoryUser | None = None,
    account: Account | None = None,
    application: Application | None = None,
    app_id: str = "",
    app_display_name: str = "",
    error_code: int = 0,
    failure_reason: str = "",
    event_type: str = SignInEvent.EventType.INTERACTIVE_USER,
) -> SignInEvent:
    """Appends one sign-in event; callers record refusals outside any transaction that rolls back."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:512] if request is not None else ""
    if user is not None:
        name, upn = user.display_name, user.user_principal_name
    elif account is not None:
        name, upn = account.get_full_name(), account.email
    else:
        name, upn = "", ""
    if application is not None:
        app_display_name = app_display_name or application.display_name
    with transaction.atomic():
        return SignInEvent.objects.create(
            tenant=tenant,
            request_id=request_id_of(request),
            user_id=user.pk if user is not None else None,
            user_display_name=name[:256],
            user_principal_name=upn[:320],
            app_id=str(app_id)[:64],
            app_display_name=app_display_name[:256],
            resource_id=application.pk if application is not None else None,
            status=status,
            error_code=error_code,
            failure_reason=failure_reason[:1024],
            ip_address=_ip_address(request),
            user_agent=user_agent,
            client_app_used="Browser" if event_type == SignInEvent.EventType.INTERACTIVE_USER else "",
            cross_tenant_access_type=SignInEvent.CrossTenantAccessType.B2B_COLLABORATION
            if user is not None and user.is_guest
            else SignInEvent.CrossTenantAccessType.NONE,
            protocol=protocol,
            sign_in_event_type=event_type,
        )


def delete_expired_sign_in_events(*, now: datetime.datetime | None = None) -> int:
    """Removes sign-in events older than the retention period (SIGN_IN_LOG_RETENTION_DAYS); returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    # QuerySet.delete, not the model's: the model refuses single deletes; retention is the one way out.
    deleted, _ = SignInEvent.objects.filter(created_date_time__lt=cutoff).delete()
    return deleted


# Entra's own application id of My Apps, named in the sign-in log of portal sign-ins.
MY_APPS_APP_ID = "2793995e-0a7d-40d7-bd35-6968ba142197"
MY_APPS = "My Apps"


def _home_user(account: Account) -> DirectoryUser | None:
    users = list(
        DirectoryUser.objects.filter(account=account)
        .exclude(external_user_state=DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE)
        .select_related("tenant")
        .order_by("created_date_time")
    )
    return next((u for u in users if not u.is_guest), users[0] if users else None)


# How the person of this session signed in to the portal: a SignInEvent.Protocol (password or emailOtp),
# and when (an ISO 8601 date and time).
SIGN_IN_METHOD = "signin.method"
SIGN_IN_TIME = "signin.time"


def sign_in_method(request: HttpRequest) -> str:
    """How the signed-in person proved who they are, for the id token's `amr` and SAML's AuthnContext."""
    return request.session.get(SIGN_IN_METHOD, SignInEvent.Protocol.PASSWORD)


def sign_in_time(request: HttpRequest) -> datetime.datetime | None:
    """When the signed-in person signed in to the portal, for the id token's `auth_time`; None if nobody is.

    A session from before the portal remembered it falls back to the account's last sign-in."""
    if not request.user.is_authenticated:
        return None
    stored = request.session.get(SIGN_IN_TIME)
    if stored:
        return datetime.datetime.fromisoformat(stored)
    return request.user.last_login or timezone.now()


def record_portal_sign_in(
    *,
    request: HttpRequest,
    email: str,
    protocol: str = SignInEvent.Protocol.PASSWORD,
    user: DirectoryUser | None = None,
    error: ErrorCode | None = None,
) -> SignInEvent | None:
    """Logs a sign-in to the portal itself (password or one-time passcode), in the person's home tenant;
    after a successful one the session remembers how and when the person signed in (sign_in_method,
    sign_in_time).

    `user` names the directory user when the caller knows it (a guest redeeming an invitation);
    otherwise the account with this email is looked up. Nothing is logged for an address no
    tenant knows: there is no tenant whose log it would belong to.
    """
    if error is None:
        request.session[SIGN_IN_METHOD] = protocol
        request.session[SIGN_IN_TIME] = timezone.now().isoformat()
    if user is None:
        # Account emails are stored in canonical form (a constraint), so the unique index answers.
        account = Account.objects.filter(email=canonical_email(email[:320])).first()
        user = _home_user(account) if account is not None else None
    if user is None:
        return None
    return record_sign_in(
        request=request,
        tenant=user.tenant,
        protocol=protocol,
        status=SignInEvent.Status.FAILURE if error else SignInEvent.Status.SUCCESS,
        user=user,
        app_id=MY_APPS_APP_ID,
        app_display_name=MY_APPS,
        error_code=error.number if error else 0,
        failure_reason=error.format() if error else "",
    )
