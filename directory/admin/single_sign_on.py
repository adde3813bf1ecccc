"""The Single sign-on blade of an enterprise application: "Set up Single Sign-On with SAML" (Basic SAML
Configuration, Attributes & Claims, SAML Signing Certificate, Set up <app>) and, for OpenID Connect, the app
registration that signs people in. Every save goes through samlidp.services."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import slugify

from admincenter.blades import Command, refresh_command
from admincenter.forms import SectionedForm
from directory.admin.base import refusal_of, save_through_service
from directory.models import Application
from samlidp import certificates, idp
from samlidp.idp import SamlRequestError
from samlidp.models import CLAIMS_NAMESPACE, NameIdFormat, SamlClaim, SamlConfiguration, SamlSigningCertificate
from samlidp.models import SourceAttribute as Source
from samlidp.services import (
    DEFAULT_CLAIMS,
    NOT_CONFIGURED,
    activate_saml_certificate,
    add_saml_claim,
    configure_saml,
    create_saml_certificate,
    remove_saml_claim,
    update_name_identifier,
    update_saml_claim,
)
from signin.models import AppRegistration
from signin.tokens import endpoints_for, issuer_for

SAML_SAVED = "Saved the {part} of {app}."
CERTIFICATE_CREATED = (
    "Added a new certificate to {app}. It is inactive: the current one keeps signing until you make the new one active."
)
CERTIFICATE_ACTIVATED = "The certificate {thumbprint} now signs the SAML tokens of {app}."
CLAIM_REMOVED = "Removed the claim {claim} from {app}."
# The certificate downloads, Azure's names with the URL's encoding.
CERTIFICATE_ENCODINGS = (("Base64", "base64"), ("Raw", "raw"))


class BasicSamlForm(SectionedForm, forms.Form):
    # Not required here: configure_saml says what is missing in its own words.
    entity_id = forms.CharField(
        label="Identifier (Entity ID)",
        required=False,
        help_text="The unique ID that identifies the application to Access Portal; the application sends it as "
        "the Issuer of its requests.",
    )
    reply_url = forms.CharField(
        label="Reply URL (Assertion Consumer Service URL)",
        required=False,
        help_text="Where the application expects to receive the SAML token.",
    )
    sign_on_url = forms.CharField(
        label="Sign on URL (Optional)",
        required=False,
        help_text="The application's sign-in page: the tile in My Apps opens it to start a service provider "
        "initiated sign-in. Leave it empty to sign in from the tile directly (identity provider initiated).",
    )
    relay_state = forms.CharField(
        label="Relay State (Optional)",
        required=False,
        help_text="Where the application sends people after an identity provider initiated sign-in.",
    )
    logout_url = forms.CharField(
        label="Logout Url (Optional)", required=False, help_text="Where the SAML logout response is sent."
    )
    verification_certificate = forms.CharField(
        label="Verification certificate (Optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The application's public certificate (PEM) that signs its authentication requests.",
    )
    require_verification_certificates = forms.BooleanField(
        label="Require verification certificates",
        required=False,
        help_text="Refuse authentication requests that aren't signed with the verification certificate.",
    )

    sections = (
        (None, ("entity_id", "reply_url", "sign_on_url", "relay_state", "logout_url")),
        ("Verification certificates (optional)", ("verification_certificate", "require_verification_certificates")),
    )


# The service names the setting a refusal is about; the form puts it on that field.
_REFUSAL_FIELDS = (
    ("Identifier", "entity_id"),
    ("identifier", "entity_id"),
    ("Reply URL", "reply_url"),
    ("Sign on URL", "sign_on_url"),
    ("Relay State", "relay_state"),
    ("Logout Url", "logout_url"),
    ("verification certificate", "verification_certificate"),
)


def _basic_field(error: ValidationError) -> str | None:
    message = " ".join(error.messages)
    return next((name for words, name in _REFUSAL_FIELDS if words in message), None)


class NameIdForm(forms.Form):
    name_id_format = forms.ChoiceField(label="Name identifier format", choices=NameIdFormat.choices)
    source_attribute = forms.ChoiceField(label="Source attribute", choices=Source.choices)


class ClaimForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    namespace = forms.CharField(label="Namespace", required=False, initial=CLAIMS_NAMESPACE)
    source_attribute = forms.ChoiceField(label="Source attribute", choices=Source.choices)


def _claim_field(error: ValidationError) -> str | None:
    return "name"


@dataclass(frozen=True)
class Fact:
    """One line of a card: a label and its value; `copy_id` gives it a copy button."""

    label: str
    value: str
    copy_id: str = ""
    placeholder: str = ""


def _oidc_facts(registration: AppRegistration) -> list[Fact]:
    endpoints = endpoints_for(registration.tenant)
    discovery = f"{issuer_for(registration.tenant)}/.well-known/openid-configuration"
    return [
        Fact("Application (client) ID", str(registration.client_id), "oidc-client-id"),
        Fact("OpenID Connect metadata document", discovery, "oidc-discovery"),
        Fact("OAuth 2.0 authorization endpoint (v2)", endpoints["authorization_endpoint"], "oidc-authorize"),
        Fact("OAuth 2.0 token endpoint (v2)", endpoints["token_endpoint"], "oidc-token"),
        Fact("Signing keys (JWKS)", endpoints["jwks_uri"], "oidc-keys"),
        Fact("Sign-out endpoint", endpoints["end_session_endpoint"], "oidc-logout"),
    ]


def _number(value: str | None) -> int | None:
    """A row number a browser sent, or None for anything else."""
    return int(value) if value and value.isdigit() else None


def _filename(application: Application, extension: str) -> str:
    return f"{slugify(application.display_name) or 'application'}.{extension}"


def _attachment(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class SingleSignOnBlades:
    """The Single sign-on blade and its SAML pages; mixed into ApplicationAdmin (a BladeAdmin)."""

    def single_sign_on_urls(self) -> list:
        saml = "<path:object_id>/single-sign-on/saml"
        return [
            self.blade_path(f"{saml}/basic/", self.saml_basic_view, "saml_basic"),
            self.blade_path(f"{saml}/claims/", self.saml_claims_view, "saml_claims"),
            self.blade_path(f"{saml}/claims/name-id/", self.saml_name_id_view, "saml_name_id"),
            self.blade_path(f"{saml}/claims/new/", self.saml_claim_view, "saml_new_claim"),
            self.blade_path(f"{saml}/claims/<int:claim_id>/", self.saml_claim_view, "saml_claim"),
            self.blade_path(f"{saml}/certificates/", self.saml_certificates_view, "saml_certificates"),
            self.blade_path(
                f"{saml}/certificates/<int:certificate_id>/<str:encoding>/",
                self.saml_certificate_download,
                "saml_certificate_download",
            ),
            self.blade_path(f"{saml}/federation-metadata/", self.saml_metadata_download, "saml_metadata"),
        ]

    def _saml_url(self, blade: str, application: Application, *args: object) -> str:
        return reverse(f"admin:{self.url_name(blade)}", args=[application.pk, *args])

    def _certificate_downloads(
        self, application: Application, certificate: SamlSigningCertificate, label: str
    ) -> list[tuple[str, str]]:
        """The certificate's download links, one per encoding, each labelled `label` filled with the encoding."""
        return [
            (label.format(name), self._saml_url("saml_certificate_download", application, certificate.pk, encoding))
            for name, encoding in CERTIFICATE_ENCODINGS
        ]

    # What the Single sign-on blade shows for the mode --------------------------------------

    def single_sign_on_context(self, request: HttpRequest, application: Application, can_change: bool) -> dict:
        if application.single_sign_on_mode == Application.SingleSignOnMode.SAML:
            return self._saml_context(application, can_change)
        if application.single_sign_on_mode == Application.SingleSignOnMode.OIDC:
            registration = AppRegistration.objects.select_related("tenant").filter(application=application).first()
            return {
                "registration": registration,
                "oidc_facts": _oidc_facts(registration) if registration else [],
                "can_view_registrations": request.user.has_perm("signin.view_appregistration"),
                "can_add_registration": request.user.has_perm("signin.add_appregistration"),
            }
        return {}

    def _saml_context(self, application: Application, can_change: bool) -> dict:
        configuration = SamlConfiguration.objects.filter(application=application).first()
        tenant = application.tenant
        setup = [
            Fact("Login URL", idp.sign_in_url(tenant), "setup-login-url"),
            Fact("Azure AD Identifier", idp.idp_entity_id(tenant), "setup-identifier"),
            Fact("Logout URL", idp.sign_in_url(tenant), "setup-logout-url"),
        ]
        # Before the first save, an unsaved configuration shows empty settings and the default Name ID.
        shown = configuration or SamlConfiguration()
        basic = [
            Fact("Identifier (Entity ID)", shown.entity_id, placeholder="Required"),
            Fact("Reply URL (Assertion Consumer Service URL)", shown.reply_url, placeholder="Required"),
            Fact("Sign on URL", application.sign_on_url, placeholder="Optional"),
            Fact("Relay State (Optional)", shown.relay_state, placeholder="Optional"),
            Fact("Logout Url (Optional)", shown.logout_url, placeholder="Optional"),
        ]
        if configuration is None:
            claims = [Fact(name, source) for name, source in DEFAULT_CLAIMS]
        else:
            claims = [Fact(claim.name, claim.source_attribute) for claim in application.saml_claims.all()]
        active = (
            SamlSigningCertificate.objects.filter(application=application, status=SamlSigningCertificate.Status.ACTIVE)
            .only("pk", "status", "thumbprint", "expires")
            .first()
            if configuration
            else None
        )
        return {
            "configuration": configuration,
            "basic_facts": basic,
            "claim_facts": [Fact("Unique User Identifier", shown.name_id_source), *claims],
            "certificate": active,
            "metadata_url": idp.metadata_url(application),
            "setup_facts": setup,
            "edit_basic_url": self._saml_url("saml_basic", application) if can_change else "",
            "edit_claims_url": self._saml_url("saml_claims", application) if configuration else "",
            "edit_certificates_url": self._saml_url("saml_certificates", application) if configuration else "",
            "metadata_download_url": self._saml_url("saml_metadata", application) if active else "",
            "certificate_downloads": self._certificate_downloads(application, active, "Certificate ({})")
            if active
            else [],
        }

    # Basic SAML Configuration ---------------------------------------------------------------

    def _saml_page(
        self, request: HttpRequest, application: Application, *, template: str, cancel_url: str = "", **context: object
    ) -> HttpResponse:
        return self.render_object_blade(
            request,
            application,
            blade="single_sign_on",
            template=template,
            cancel_url=cancel_url or self.blade_url("single_sign_on", application),
            **context,
        )

    def saml_basic_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id, change=True)
        configuration = SamlConfiguration.objects.filter(application=application).first()
        initial = {"sign_on_url": application.sign_on_url}
        if configuration is not None:
            initial |= {
                name: getattr(configuration, name)
                for name in (
                    "entity_id",
                    "reply_url",
                    "relay_state",
                    "logout_url",
                    "verification_certificate",
                    "require_verification_certificates",
                )
            }
        form = BasicSamlForm(request.POST if request.method == "POST" else None, initial=initial)
        if form.is_bound and save_through_service(
            form,
            lambda data: configure_saml(application=application, actor=request.user, **data),
            field_of=_basic_field,
        ):
            return self.redirect_with_message(
                request,
                self.blade_url("single_sign_on", application),
                SAML_SAVED.format(part="Basic SAML Configuration", app=application),
            )
        return self._saml_page(
            request,
            application,
            template="admin/directory/application/saml_form.html",
            form=form,
            panel_title="Basic SAML Configuration",
        )

    # Attributes & Claims ---------------------------------------------------------------------

    def _configuration(self, application: Application) -> SamlConfiguration:
        configuration = SamlConfiguration.objects.filter(application=application).first()
        if configuration is None:
            raise Http404(NOT_CONFIGURED.format(app=application.display_name))
        return configuration

    def saml_claims_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id)
        configuration = self._configuration(application)
        can_change = self.has_change_permission(request, application)
        errors: list[str] = []
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            claim = SamlClaim.objects.filter(application=application, pk=_number(request.POST.get("remove"))).first()
            if claim is not None:
                errors = refusal_of(lambda: remove_saml_claim(claim=claim, actor=request.user))
                if not errors:
                    return self.redirect_with_message(
                        request, request.path, CLAIM_REMOVED.format(claim=claim.claim_type, app=application)
                    )
        commands = []
        if can_change:
            commands.append(Command("Add new claim", self._saml_url("saml_new_claim", application), icon="add"))
        commands.append(refresh_command(request))
        return self.render_object_blade(
            request,
            application,
            blade="single_sign_on",
            template="admin/directory/application/saml_claims.html",
            commands=commands,
            configuration=configuration,
            claims=list(application.saml_claims.all()),
            can_change=can_change,
            errors=errors,
            name_id_url=self._saml_url("saml_name_id", application),
            back_url=self.blade_url("single_sign_on", application),
        )

    def saml_name_id_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id, change=True)
        configuration = self._configuration(application)
        initial = {"source_attribute": configuration.name_id_source, "name_id_format": configuration.name_id_format}
        form = NameIdForm(request.POST if request.method == "POST" else None, initial=initial)
        if form.is_bound and save_through_service(
            form, lambda data: update_name_identifier(application=application, actor=request.user, **data)
        ):
            return self.redirect_with_message(
                request,
                self._saml_url("saml_claims", application),
                SAML_SAVED.format(part="Unique User Identifier (Name ID)", app=application),
            )
        return self._saml_page(
            request,
            application,
            template="admin/directory/application/saml_form.html",
            form=form,
            panel_title="Manage claim: Unique User Identifier (Name ID)",
            cancel_url=self._saml_url("saml_claims", application),
        )

    def saml_claim_view(self, request: HttpRequest, object_id: str, claim_id: int | None = None) -> HttpResponse:
        application = self.get_blade_object(request, object_id, change=True)
        self._configuration(application)
        claim = None
        if claim_id is not None:
            claim = SamlClaim.objects.filter(application=application, pk=claim_id).first()
            if claim is None:
                raise Http404("No claim with that ID.")
        initial = (
            {"name": claim.name, "namespace": claim.namespace, "source_attribute": claim.source_attribute}
            if claim
            else {"namespace": CLAIMS_NAMESPACE}
        )
        form = ClaimForm(request.POST if request.method == "POST" else None, initial=initial)

        def save(data: dict) -> SamlClaim:
            if claim is None:
                return add_saml_claim(application=application, actor=request.user, **data)
            return update_saml_claim(claim=claim, actor=request.user, **data)

        claims_url = self._saml_url("saml_claims", application)
        if form.is_bound and save_through_service(form, save, field_of=_claim_field):
            return self.redirect_with_message(
                request, claims_url, SAML_SAVED.format(part="Attributes & Claims", app=application)
            )
        return self._saml_page(
            request,
            application,
            template="admin/directory/application/saml_form.html",
            form=form,
            panel_title=f"Manage claim: {claim.name}" if claim else "Manage claim",
            cancel_url=claims_url,
        )

    # SAML Signing Certificate ------------------------------------------------------------------

    def saml_certificates_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id)
        self._configuration(application)
        can_change = self.has_change_permission(request, application)
        errors: list[str] = []
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            if "new" in request.POST:
                errors = refusal_of(lambda: create_saml_certificate(application=application, actor=request.user))
                if not errors:
                    return self.redirect_with_message(
                        request, request.path, CERTIFICATE_CREATED.format(app=application)
                    )
            certificate = SamlSigningCertificate.objects.filter(
                application=application, pk=_number(request.POST.get("activate"))
            ).first()
            if certificate is not None:
                errors = refusal_of(lambda: activate_saml_certificate(certificate=certificate, actor=request.user))
                if not errors:
                    message = CERTIFICATE_ACTIVATED.format(thumbprint=certificate.thumbprint, app=application)
                    return self.redirect_with_message(request, request.path, message)
        rows = [
            (certificate, self._certificate_downloads(application, certificate, "{}"))
            for certificate in SamlSigningCertificate.objects.filter(application=application).only(
                "pk", "status", "thumbprint", "expires", "created_date_time"
            )
        ]
        commands = []
        if can_change:
            commands.append(Command("New Certificate", request.path, icon="add", post=True, fields={"new": "1"}))
        commands.append(refresh_command(request))
        return self.render_object_blade(
            request,
            application,
            blade="single_sign_on",
            template="admin/directory/application/saml_certificates.html",
            commands=commands,
            rows=rows,
            can_change=can_change,
            errors=errors,
            back_url=self.blade_url("single_sign_on", application),
        )

    def saml_certificate_download(
        self, request: HttpRequest, object_id: str, certificate_id: int, encoding: str
    ) -> HttpResponse:
        application = self.get_blade_object(request, object_id)
        certificate = SamlSigningCertificate.objects.filter(application=application, pk=certificate_id).first()
        if certificate is None or encoding not in {"base64", "raw"}:
            raise Http404("No certificate with that ID.")
        filename = _filename(application, "cer")
        if encoding == "raw":
            return _attachment(
                certificates.der(certificate.certificate_pem), filename=filename, content_type="application/pkix-cert"
            )
        return _attachment(certificate.certificate_pem, filename=filename, content_type="application/x-pem-file")

    def saml_metadata_download(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Federation Metadata XML: what the App Federation Metadata Url serves, as a file."""
        application = self.get_blade_object(request, object_id)
        configuration = self._configuration(application)
        try:
            metadata = idp.federation_metadata(configuration)
        except SamlRequestError as error:
            messages.error(request, error.reason)
            return HttpResponseRedirect(self.blade_url("single_sign_on", application))
        filename = _filename(application, "xml")
        return _attachment(metadata, filename=filename, content_type="application/samlmetadata+xml")
