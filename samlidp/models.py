"""SAML-based single sign-on of enterprise applications: the settings of Azure's SAML blade."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.models import Application

CLAIMS_NAMESPACE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
MAX_URL_LENGTH = 1024


class SourceAttribute(models.TextChoices):
    """Directory attributes a claim can carry, named as Azure's claim editor names them."""

    USER_PRINCIPAL_NAME = "user.userprincipalname"
    MAIL = "user.mail"
    GIVEN_NAME = "user.givenname"
    SURNAME = "user.surname"
    DISPLAY_NAME = "user.displayname"
    OBJECT_ID = "user.objectid"
    DEPARTMENT = "user.department"
    JOB_TITLE = "user.jobtitle"


class NameIdFormat(models.TextChoices):
    EMAIL_ADDRESS = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "Email address"
    PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "Persistent"
    UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "Unspecified"


class SamlConfiguration(models.Model):
    """Basic SAML Configuration of one enterprise application (its Sign on URL is Application.sign_on_url)."""

    SourceAttribute = SourceAttribute
    NameIdFormat = NameIdFormat

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, primary_key=True, related_name="saml_configuration"
    )
    # Denormalized from the application so the database can hold "one identifier per tenant".
    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, related_name="+")
    entity_id = models.CharField("Identifier (Entity ID)", max_length=MAX_URL_LENGTH)
    reply_url = models.URLField("Reply URL (Assertion Consumer Service URL)", max_length=MAX_URL_LENGTH)
    relay_state = models.CharField("Relay State (Optional)", max_length=MAX_URL_LENGTH, blank=True)
    logout_url = models.URLField("Logout Url (Optional)", max_length=MAX_URL_LENGTH, blank=True)
    name_id_source = models.CharField(
        "Unique User Identifier (Name ID)",
        max_length=40,
        choices=SourceAttribute.choices,
        default=SourceAttribute.USER_PRINCIPAL_NAME,
    )
    name_id_format = models.CharField(
        "Name identifier format", max_length=80, choices=NameIdFormat.choices, default=NameIdFormat.EMAIL_ADDRESS
    )
    verification_certificate = models.TextField(
        "Verification certificate",
        blank=True,
        help_text="The application's public certificate (PEM) that signs its authentication requests.",
    )
    require_verification_certificates = models.BooleanField(
        "Require verification certificates",
        default=False,
        help_text="Refuse authentication requests that aren't signed with the verification certificate.",
    )

    class Meta:
        verbose_name = "SAML configuration"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entity_id"], name="saml_entity_id_unique_per_tenant"),
            models.CheckConstraint(condition=~Q(entity_id=""), name="saml_entity_id_required"),
            models.CheckConstraint(
                condition=Q(require_verification_certificates=False) | ~Q(verification_certificate=""),
                name="saml_required_verification_has_certificate",
            ),
            models.CheckConstraint(condition=Q(name_id_source__in=SourceAttribute.values), name="saml_nameid_valid"),
            models.CheckConstraint(
                condition=Q(name_id_format__in=NameIdFormat.values), name="saml_nameid_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"SAML configuration of {self.application}"


class SamlClaim(models.Model):
    """One line of Attributes & Claims (Additional claims)."""

    SourceAttribute = SourceAttribute

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="saml_claims")
    name = models.CharField("Name", max_length=256)
    namespace = models.CharField("Namespace", max_length=512, blank=True, default=CLAIMS_NAMESPACE)
    source_attribute = models.CharField("Source attribute", max_length=40, choices=SourceAttribute.choices)

    class Meta:
        verbose_name = "claim"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "namespace", "name"], name="saml_claim_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="saml_claim_name_required"),
            models.CheckConstraint(
                condition=Q(source_attribute__in=SourceAttribute.values), name="saml_claim_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.claim_type

    @property
    def claim_type(self) -> str:
        """The attribute name the assertion carries: namespace/name, as Azure builds it."""
        return f"{self.namespace.rstrip('/')}/{self.name}" if self.namespace else self.name


class CertificateStatus(models.TextChoices):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class SamlSigningCertificate(models.Model):
    """A token signing certificate of one application; its private key lives here, never in the repository."""

    Status = CertificateStatus

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="saml_certificates")
    status = models.CharField(max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.INACTIVE)
    thumbprint = models.CharField("Thumbprint", max_length=40, unique=True)
    certificate_pem = models.TextField()
    private_key_pem = models.TextField()
    not_before = models.DateTimeField()
    expires = models.DateTimeField("Expiration")
    created_date_time = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "SAML signing certificate"
        ordering = ["-created_date_time", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status=CertificateStatus.ACTIVE),
                name="saml_one_active_certificate",
            ),
            models.CheckConstraint(condition=Q(status__in=CertificateStatus.values), name="saml_cert_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.thumbprint} ({self.status})"


class SamlRequestId(models.Model):
    """IDs of authentication requests already answered: a second use of one is a replay."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=256)
    issue_instant = models.DateTimeField()
    received_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "request_id"], name="saml_request_id_unique"),
        ]
        indexes = [models.Index(fields=["received_date_time"])]

    def __str__(self) -> str:
        return self.request_id
