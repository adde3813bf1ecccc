"""Admin center pages of the identity provider: sign-in logs, app registrations and their secrets."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from directory.admin.base import ServiceModelAdmin, adopt
from signin.models import AppRegistration, ClientSecret, SignInEvent
from signin.services import add_client_secret, create_app_registration, remove_client_secret, update_redirect_uris
from signin.tokens import issuer_for

# Azure's choices for a new client secret's lifetime.
SECRET_LIFETIMES = (
    (90, "90 days (3 months)"),
    (180, "180 days (6 months) — recommended"),
    (365, "365 days (12 months)"),
    (545, "545 days (18 months)"),
    (730, "730 days (24 months)"),
)


NO_SECRETS = "No client secrets have been created for this application."


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """Sign-in logs: read-only, like the audit log."""

    list_display = (
        "created_date_time",
        "request_id",
        "user_display_name",
        "user_principal_name",
        "app_display_name",
        "status",
        "error_code",
        "failure_reason",
        "ip_address",
        "client_app_used",
        "cross_tenant_access_type",
        "protocol",
    )
    list_filter = ("tenant", "status", "sign_in_event_type", "protocol", "cross_tenant_access_type", "app_display_name")
    search_fields = ("user_principal_name", "user_display_name", "app_display_name", "app_id", "=request_id")
    date_hierarchy = "created_date_time"
    list_select_related = ("tenant",)
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False


class AppRegistrationForm(ModelForm):
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where sign-in responses may be sent, one URI per line (https://, or http:// for localhost).",
    )

    class Meta:
        model = AppRegistration
        fields = ("tenant", "display_name", "application", "redirect_uris")


class NewClientSecretForm(forms.Form):
    description = forms.CharField(max_length=120, required=False)
    expires = forms.TypedChoiceField(choices=SECRET_LIFETIMES, coerce=int, initial=180)


@admin.register(AppRegistration)
class AppRegistrationAdmin(ServiceModelAdmin):
    """App registrations: Overview (client id, endpoints), Authentication (redirect URIs), Certificates & secrets."""

    form = AppRegistrationForm
    list_display = ("display_name", "client_id", "application", "tenant", "created_date_time")
    list_filter = ("tenant",)
    list_select_related = ("tenant", "application")
    search_fields = ("display_name", "=client_id")
    actions = None

    def get_fieldsets(self, request: HttpRequest, obj: AppRegistration | None = None) -> tuple:
        if obj is None:
            return ((None, {"fields": ("tenant", "display_name", "application", "redirect_uris")}),)
        return (
            ("Overview", {"fields": ("display_name", "client_id", "id", "tenant", "application", "endpoints")}),
            ("Authentication", {"fields": ("redirect_uris",)}),
            ("Certificates & secrets", {"fields": ("client_secrets_table",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: AppRegistration | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("display_name", "client_id", "id", "tenant", "application", "endpoints", "client_secrets_table")

    @admin.display(description="Endpoints")
    def endpoints(self, obj: AppRegistration) -> str:
        discovery = f"{issuer_for(obj.tenant_id)}/.well-known/openid-configuration"
        return format_html("OpenID Connect metadata document: <code>{}</code>", discovery)

    @admin.display(description="Client secrets")
    def client_secrets_table(self, obj: AppRegistration) -> str:
        new = reverse("admin:signin_appregistration_new_secret", args=[obj.pk])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}…</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    s.description or "—",
                    s.expires_date_time.date(),
                    s.hint,
                    s.pk,
                    format_html(
                        '<a href="{}">Delete</a>',
                        reverse("admin:signin_appregistration_remove_secret", args=[obj.pk, s.pk]),
                    ),
                )
                for s in obj.client_secrets.all()
            ),
        )
        return format_html(
            '<p><a class="button" href="{}">+ New client secret</a></p>'
            "<table><thead><tr><th>Description</th><th>Expires</th><th>Value</th><th>Secret ID</th><th></th></tr>"
            "</thead><tbody>{}</tbody></table>",
            new,
            rows or format_html("<tr><td colspan='5'>{}</td></tr>", NO_SECRETS),
        )

    def save_model(self, request: HttpRequest, obj: AppRegistration, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        uris = data.get("redirect_uris", "").splitlines()
        if change:
            adopt(obj, update_redirect_uris(registration=obj, redirect_uris=uris, actor=request.user))
        else:
            registration = create_app_registration(
                tenant=data["tenant"],
                display_name=data["display_name"],
                actor=request.user,
                redirect_uris=uris,
                application=data.get("application"),
            )
            adopt(obj, registration)

    def has_delete_permission(self, request: HttpRequest, obj: AppRegistration | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "<uuid:registration_id>/secrets/new/",
                self.admin_site.admin_view(self.new_secret_view),
                name="signin_appregistration_new_secret",
            ),
            path(
                "<uuid:registration_id>/secrets/<uuid:secret_id>/delete/",
                self.admin_site.admin_view(self.remove_secret_view),
                name="signin_appregistration_remove_secret",
            ),
            *super().get_urls(),
        ]

    def _registration(self, request: HttpRequest, registration_id: object) -> AppRegistration:
        registration = get_object_or_404(AppRegistration.objects.select_related("tenant"), pk=registration_id)
        if not self.has_change_permission(request, registration):
            raise PermissionDenied
        return registration

    def new_secret_view(self, request: HttpRequest, registration_id: object) -> HttpResponse:
        registration = self._registration(request, registration_id)
        form = NewClientSecretForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Add a client secret: {registration.display_name}",
            "registration": registration,
            "form": form,
            "opts": self.model._meta,
        }
        if request.method == "POST" and form.is_valid():
            try:
                created = add_client_secret(
                    registration=registration,
                    actor=request.user,
                    description=form.cleaned_data["description"],
                    expires_date_time=timezone.now() + datetime.timedelta(days=form.cleaned_data["expires"]),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # Shown on this response only: the value is not stored and can't be read again.
                context.update(created=created, title=f"Client secret added: {registration.display_name}")
        return TemplateResponse(request, "admin/signin/new_client_secret.html", context)

    def remove_secret_view(self, request: HttpRequest, registration_id: object, secret_id: object) -> HttpResponse:
        registration = self._registration(request, registration_id)
        secret = get_object_or_404(ClientSecret, pk=secret_id, registration=registration)
        change_url = reverse("admin:signin_appregistration_change", args=[registration.pk])
        if request.method == "POST":
            remove_client_secret(secret=secret, actor=request.user)
            messages.success(request, f"The client secret {secret.description or secret.hint + '…'} was deleted.")
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete client secret",
            "registration": registration,
            "secret": secret,
            "change_url": change_url,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/signin/remove_client_secret.html", context)


admin.site.fill_nav_slot(
    "app-registrations", url_name="admin:signin_appregistration_changelist", permission="signin.view_appregistration"
)
admin.site.fill_nav_slot(
    "sign-in-logs", url_name="admin:signin_signinevent_changelist", permission="signin.view_signinevent"
)
