"""The identity provider's records: signing keys, app registrations and their secrets,
authorization codes, and the sign-in log.

The sign-in log is append-only like the audit log (a database trigger refuses updates);
it names users and applications by id and name rather than by foreign key, as Entra's
does, so deleting a user or an app keeps the history readable.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.models import Application, DirectoryUser, Tenant

MAX_REDIRECT_URIS = 256
MAX_URI_LENGTH = 2048


class KeyStatus(models.TextChoices):
    NEXT = "next", "Next"
    CURRENT = "current", "Current"
    PREVIOUS = "previous", "Previous"
    RETIRED = "retired", "Retired"


class SigningKey(models.Model):
    """An RSA key that signs tokens. JWKS publishes the next, current and previous ones."""

    Status = KeyStatus

    kid = models.CharField("key ID", max_length=64, unique=True)
    private_key_pem = models.TextField()
    status = models.CharField(max_length=10, choices=KeyStatus.choices)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=KeyStatus.values), name="signing_key_status_valid"),
            # One current and one next key at a time: rotation moves them under a lock.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status__in=["next", "current"]), name="signing_key_one_per_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.status})"


class AppRegistration(models.Model):
    """An app registration (Graph `application`): the client that asks for tokens."""

    id = models.UUIDField("object ID", primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="app_registrations")
    display_name = models.CharField("name", max_length=256)
    client_id = models.UUIDField("Application (client) ID", unique=True, default=uuid.uuid4, editable=False)
    redirect_uris = models.TextField(
        "Redirect URIs", blank=True, help_text="Where sign-in responses may be sent, one URI per line."
    )
    application = models.OneToOneField(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="app_registration",
        verbose_name="enterprise application",
        help_text="The enterprise application whose assignment and properties decide who may sign in.",
    )
    # Microsoft Graph application permissions: configured on API permissions (requested), then
    # granted with admin consent (what tokens carry as `roles`). Names such as User.Read.All.
    requested_graph_permissions = models.JSONField(default=list, blank=True)
    graph_application_permissions = models.JSONField(default=list, blank=True)
    admin_consent_date_time = models.DateTimeField(null=True, blank=True)
    admin_consent_by = models.CharField(max_length=320, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "app registration"
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri.strip() for uri in self.redirect_uris.splitlines() if uri.strip()]


class ClientSecret(models.Model):
    """A client secret: only its SHA-256 hash and its first characters are kept."""

    id = models.UUIDField("secret ID", primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="client_secrets")
    description = models.CharField(max_length=120, blank=True)
    hint = models.CharField(max_length=3)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)
    expires_date_time = models.DateTimeField("expires")

    class Meta:
        verbose_name = "client secret"
        ordering = ["-created_date_time"]

    def __str__(self) -> str:
        return f"{self.description or 'Client secret'} ({self.hint}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_date_time <= timezone.now()


class AuthorizationCode(models.Model):
    """An OAuth 2.0 authorization code, stored hashed, redeemable once within minutes."""

    code_hash = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(AppRegistration, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=MAX_URI_LENGTH)
    scope = models.CharField(max_length=1024)
    nonce = models.CharField(max_length=512, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    auth_time = models.DateTimeField()
    # How the person signed in (a SignInProtocol value): the id token's `amr`.
    authentication_method = models.CharField(max_length=20, default="password")
    expires_date_time = models.DateTimeField()
    redeemed_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_date_time"])]

    def __str__(self) -> str:
        return f"Authorization code for {self.registration}"


class SignInStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    INTERRUPTED = "interrupted", "Interrupted"


class CrossTenantAccessType(models.TextChoices):
    NONE = "none", "None"
    B2B_COLLABORATION = "b2bCollaboration", "B2B collaboration"


class SignInProtocol(models.TextChoices):
    PASSWORD = "password", "Password"
    ONE_TIME_PASSCODE = "emailOtp", "Email one-time passcode"
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml20", "SAML 2.0"
    OAUTH_CLIENT_CREDENTIALS = "clientCredentials", "Client credentials"


class SignInEventType(models.TextChoices):
    INTERACTIVE_USER = "interactiveUser", "Interactive user"
    NON_INTERACTIVE_USER = "nonInteractiveUser", "Non-interactive user"
    SERVICE_PRINCIPAL = "servicePrincipal", "Service principal"


class SignInEvent(models.Model):
    """One line of the sign-in log (Graph `signIn`). Append-only: a database trigger refuses updates."""

    Status = SignInStatus
    Protocol = SignInProtocol
    EventType = SignInEventType
    CrossTenantAccessType = CrossTenantAccessType

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sign_in_events")
    created_date_time = models.DateTimeField("date", default=timezone.now, db_index=True)
    request_id = models.UUIDField("request ID")
    user_id = models.UUIDField("user ID", null=True, blank=True)
    user_display_name = models.CharField("user", max_length=256, blank=True)
    user_principal_name = models.CharField("username", max_length=320, blank=True)
    app_id = models.CharField("application ID", max_length=64, blank=True)
    app_display_name = models.CharField("application", max_length=256, blank=True)
    resource_id = models.UUIDField("enterprise application ID", null=True, blank=True)
    status = models.CharField(max_length=12, choices=SignInStatus.choices)
    error_code = models.PositiveIntegerField("sign-in error code", default=0)
    failure_reason = models.CharField("failure reason", max_length=1024, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField("user agent", max_length=512, blank=True)
    client_app_used = models.CharField("client app", max_length=64, blank=True)
    cross_tenant_access_type = models.CharField(
        "cross tenant access type", max_length=20, choices=CrossTenantAccessType.choices, default="none"
    )
    protocol = models.CharField("authentication protocol", max_length=20, choices=SignInProtocol.choices)
    sign_in_event_type = models.CharField(
        "sign-in type", max_length=20, choices=SignInEventType.choices, default=SignInEventType.INTERACTIVE_USER
    )

    class Meta:
        verbose_name = "sign-in log entry"
        verbose_name_plural = "sign-in logs"
        ordering = ["-created_date_time", "-request_id"]
        indexes = [models.Index(fields=["tenant", "-created_date_time"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SignInStatus.values), name="sign_in_status_valid"),
            models.CheckConstraint(
                condition=Q(status="success", error_code=0) | (~Q(status="success") & ~Q(error_code=0)),
                name="sign_in_error_code_iff_not_success",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_principal_name or self.app_display_name}: {self.get_status_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Sign-in events are append-only and can't be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Sign-in events are append-only; the retention cleanup removes old ones.")
