"""Admin center pages of the identity provider: sign-in logs, app registrations and their secrets."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from admincenter.blades import BladeAdmin, Crumb, render_blade
from directory.admin.base import ServiceModelAdmin, adopt
from signin.models import AppRegistration, ClientSecret, SignInEvent
from signin.services import (
    GRAPH_PERMISSION_DESCRIPTIONS,
    add_api_permissions,
    add_client_secret,
    create_app_registration,
    grant_admin_consent,
    remove_api_permission,
    remove_client_secret,
    update_redirect_uris,
)
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

# The sign-in log's Date filter: Azure's presets, then Custom time interval.
DATE_RANGES = (
    ("24h", ("Last 24 hours", datetime.timedelta(hours=24))),
    ("7d", ("Last 7 days", datetime.timedelta(days=7))),
    ("30d", ("Last 30 days", datetime.timedelta(days=30))),
)
DATE_NOT_VALID = "Enter the dates of the custom range as YYYY-MM-DD."
DATE_RANGE_REVERSED = "The end of the custom range is before its start."
MAX_FILTER_LENGTH = 320
NO_PERMISSIONS = "No permissions added. Add a permission, then grant admin consent."


class _FormFilter(admin.ListFilter):
    """A filter typed into a small GET form (its template); the form keeps the list's other filters."""

    parameters: tuple[str, ...] = ()

    def __init__(self, request: HttpRequest, params: dict, model: type, model_admin: admin.ModelAdmin) -> None:
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1].strip()[:MAX_FILTER_LENGTH]

    def value(self, name: str) -> str:
        return self.used_parameters.get(name, "")

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(self.parameters)

    def choices(self, changelist) -> list[dict]:
        self.keep = [(name, value) for name, value in changelist.params.items() if name not in self.parameters]
        self.clear_url = changelist.get_query_string(remove=list(self.parameters))
        return []


class ContainsFilter(_FormFilter):
    """User or Application: the entries whose names contain what was typed."""

    template = "admin/signin/contains_filter.html"
    fields: tuple[str, ...] = ()

    @property
    def parameter(self) -> str:
        return self.parameters[0]

    @property
    def text(self) -> str:
        return self.value(self.parameter)

    def queryset(self, request: HttpRequest, queryset):
        text = self.text
        if not text:
            return queryset
        condition = Q()
        for name in self.fields:
            condition |= Q(**{f"{name}__icontains": text})
        return queryset.filter(condition)


class UserFilter(ContainsFilter):
    title = "user"
    parameters = ("user",)
    fields = ("user_display_name", "user_principal_name")


class ApplicationFilter(ContainsFilter):
    title = "application"
    parameters = ("application",)
    fields = ("app_display_name", "app_id")


class DateRangeFilter(_FormFilter):
    """Date: Last 24 hours, 7 days or 30 days, or a custom range (from–to, whole days in the admin's time zone)."""

    title = "date"
    template = "admin/signin/date_range_filter.html"
    parameters = ("date", "date_from", "date_to")

    def __init__(self, request: HttpRequest, params: dict, model: type, model_admin: admin.ModelAdmin) -> None:
        super().__init__(request, params, model, model_admin)
        self.start, self.end = self._range(request)

    @property
    def date_from(self) -> str:
        return self.value("date_from")

    @property
    def date_to(self) -> str:
        return self.value("date_to")

    @property
    def custom(self) -> bool:
        return self.value("date") == "custom"

    def _day(self, name: str) -> datetime.date | None:
        text = self.value(name)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return None

    def _range(self, request: HttpRequest) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        period = dict(DATE_RANGES).get(self.value("date"))
        if period is not None:
            return timezone.now() - period[1], None
        if self.value("date") != "custom":
            return None, None
        first, last = self._day("date_from"), self._day("date_to")
        if (self.value("date_from") and first is None) or (self.value("date_to") and last is None):
            messages.error(request, DATE_NOT_VALID)
            return None, None
        if first and last and first > last:
            messages.error(request, DATE_RANGE_REVERSED)
            return None, None
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, zone) if first else None
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone) if last else None
        return start, end

    def choices(self, changelist) -> list[dict]:
        super().choices(changelist)
        current = self.value("date")
        links = [("", "All", current == "")]
        links += [(value, label, current == value) for value, (label, _) in DATE_RANGES]
        return [
            {
                "selected": selected,
                "query_string": changelist.get_query_string(
                    {"date": value} if value else {}, remove=list(self.parameters)
                ),
                "display": label,
            }
            for value, label, selected in links
        ]

    def queryset(self, request: HttpRequest, queryset):
        if self.start is not None:
            queryset = queryset.filter(created_date_time__gte=self.start)
        if self.end is not None:
            queryset = queryset.filter(created_date_time__lt=self.end)
        return queryset


@admin.register(SignInEvent)
class SignInEventAdmin(BladeAdmin):
    """Sign-in logs: read-only, like the audit log; each entry opens its Activity Details."""

    list_title = "Sign-in logs"
    list_display = (
        "created_date_time",
        "request_id",
        "user_display_name",
        "app_display_name",
        "status",
        "ip_address",
        "client_app_used",
        "cross_tenant_access_type",
        "error_code",
        "failure_reason",
    )
    list_display_links = ("created_date_time",)
    list_filter = (DateRangeFilter, UserFilter, ApplicationFilter, "status", "protocol", "tenant")
    search_fields = ("user_principal_name", "user_display_name", "app_display_name", "app_id", "=request_id")
    list_select_related = ("tenant",)
    actions = None

    def list_crumbs(self, request: HttpRequest) -> list[Crumb]:
        return [
            Crumb("Home", reverse("admin:index")),
            self.organization_crumb(request),
            Crumb("Sign-in logs", self.blade_url("changelist")),
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """Activity Details: Sign-ins. Nothing here can be changed."""
        if request.method != "GET":
            raise PermissionDenied
        event = self.get_blade_object(request, object_id)
        return render_blade(
            request,
            site=self.admin_site,
            template="admin/signin/sign_in_details.html",
            title="Activity Details: Sign-ins",
            breadcrumbs=[*self.list_crumbs(request), Crumb("Activity Details: Sign-ins")],
            opts=self.opts,
            facts=_sign_in_facts(event),
            back_url=self.blade_url("changelist"),
        )


def _sign_in_facts(event: SignInEvent) -> list[tuple[str, list[tuple[str, object]]]]:
    return [
        (
            "Basic info",
            [
                ("Date", event.created_date_time),
                ("Request ID", event.request_id),
                ("Status", event.get_status_display()),
                ("Sign-in error code", event.error_code or "—"),
                ("Failure reason", event.failure_reason or "—"),
                ("User", event.user_display_name or "—"),
                ("Username", event.user_principal_name or "—"),
                ("User ID", event.user_id or "—"),
                ("Application", event.app_display_name or "—"),
                ("Application ID", event.app_id or "—"),
                ("Resource ID", event.resource_id or "—"),
                ("Client app", event.client_app_used or "—"),
                ("Cross tenant access type", event.get_cross_tenant_access_type_display()),
                ("Authentication protocol", event.get_protocol_display() or "—"),
                ("Sign-in type", event.get_sign_in_event_type_display()),
                ("Organization", event.tenant.display_name),
            ],
        ),
        ("Location", [("IP address", event.ip_address or "—")]),
        ("Device info", [("Browser (user agent)", event.user_agent or "—")]),
    ]


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


class AddApiPermissionsForm(forms.Form):
    permissions = forms.MultipleChoiceField(
        label="Application permissions",
        choices=[(name, f"{name}: {text}") for name, text in GRAPH_PERMISSION_DESCRIPTIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Your application runs as a background service or daemon without a signed-in user.",
    )


class NewClientSecretForm(forms.Form):
    description = forms.CharField(max_length=120, required=False)
    expires = forms.TypedChoiceField(choices=SECRET_LIFETIMES, coerce=int, initial=180)


@admin.register(AppRegistration)
class AppRegistrationAdmin(ServiceModelAdmin):
    """App registrations: Overview (client id, endpoints), Authentication (redirect URIs), Certificates & secrets."""

    form = AppRegistrationForm
    new_label = "New registration"
    list_display = ("display_name", "client_id", "application", "tenant", "admin_consent_status", "created_date_time")
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
            ("API permissions", {"fields": ("api_permissions_table",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: AppRegistration | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return (
            "display_name",
            "client_id",
            "id",
            "tenant",
            "application",
            "endpoints",
            "client_secrets_table",
            "api_permissions_table",
        )

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

    @admin.display(description="Admin consent")
    def admin_consent_status(self, obj: AppRegistration) -> str:
        requested = set(obj.requested_graph_permissions)
        if not requested:
            return "No permissions"
        granted = requested & set(obj.graph_application_permissions)
        if granted == requested:
            return f"Granted for {obj.tenant}"
        return f"Not granted for {obj.tenant}" if not granted else f"{len(granted)} of {len(requested)} granted"

    @admin.display(description="Configured permissions")
    def api_permissions_table(self, obj: AppRegistration) -> str:
        granted = set(obj.graph_application_permissions)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>Application</td><td>{}</td><td>Yes</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    name,
                    GRAPH_PERMISSION_DESCRIPTIONS.get(name, ""),
                    f"Granted for {obj.tenant}" if name in granted else f"Not granted for {obj.tenant}",
                    format_html(
                        '<a href="{}">Remove permission</a>',
                        reverse("admin:signin_appregistration_remove_permission", args=[obj.pk, name]),
                    ),
                )
                for name in obj.requested_graph_permissions
            ),
        )
        return format_html(
            '<p><a class="button" href="{}">+ Add a permission</a> <a class="button" href="{}">{}</a></p>'
            "<table><thead><tr><th>API / Permissions name (Microsoft Graph)</th><th>Type</th><th>Description</th>"
            "<th>Admin consent required</th><th>Status</th><th></th></tr></thead><tbody>{}</tbody></table>",
            reverse("admin:signin_appregistration_add_permissions", args=[obj.pk]),
            reverse("admin:signin_appregistration_grant_consent", args=[obj.pk]),
            f"Grant admin consent for {obj.tenant}",
            rows or format_html("<tr><td colspan='6'>{}</td></tr>", NO_PERMISSIONS),
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
            path(
                "<uuid:registration_id>/permissions/add/",
                self.admin_site.admin_view(self.add_permissions_view),
                name="signin_appregistration_add_permissions",
            ),
            path(
                "<uuid:registration_id>/permissions/consent/",
                self.admin_site.admin_view(self.grant_consent_view),
                name="signin_appregistration_grant_consent",
            ),
            path(
                "<uuid:registration_id>/permissions/<str:permission>/remove/",
                self.admin_site.admin_view(self.remove_permission_view),
                name="signin_appregistration_remove_permission",
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

    def _blade(self, request: HttpRequest, registration: AppRegistration, title: str, **extra: object) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "registration": registration,
            "change_url": reverse("admin:signin_appregistration_change", args=[registration.pk]),
            "opts": self.model._meta,
            **extra,
        }

    def add_permissions_view(self, request: HttpRequest, registration_id: object) -> HttpResponse:
        """**Request API permissions** → Microsoft Graph → Application permissions."""
        registration = self._registration(request, registration_id)
        form = AddApiPermissionsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                add_api_permissions(
                    registration=registration, permissions=form.cleaned_data["permissions"], actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, f"Permissions added. Grant admin consent for {registration.tenant} to use them."
                )
                return redirect(reverse("admin:signin_appregistration_change", args=[registration.pk]))
        title = f"Request API permissions: Microsoft Graph ({registration.display_name})"
        context = self._blade(request, registration, title, form=form)
        return TemplateResponse(request, "admin/signin/add_api_permissions.html", context)

    def grant_consent_view(self, request: HttpRequest, registration_id: object) -> HttpResponse:
        """**Grant admin consent for <tenant>**: asks first, as Entra does."""
        registration = self._registration(request, registration_id)
        change_url = reverse("admin:signin_appregistration_change", args=[registration.pk])
        if request.method == "POST":
            grant_admin_consent(registration=registration, actor=request.user)
            messages.success(request, "Successfully granted admin consent for the requested permissions.")
            return redirect(change_url)
        context = self._blade(request, registration, "Grant admin consent confirmation.")
        return TemplateResponse(request, "admin/signin/grant_admin_consent.html", context)

    def remove_permission_view(self, request: HttpRequest, registration_id: object, permission: str) -> HttpResponse:
        registration = self._registration(request, registration_id)
        if permission not in registration.requested_graph_permissions:
            raise Http404("No such permission on this application.")
        change_url = reverse("admin:signin_appregistration_change", args=[registration.pk])
        if request.method == "POST":
            remove_api_permission(registration=registration, permission=permission, actor=request.user)
            messages.success(request, f"{permission} was removed and its admin consent revoked.")
            return redirect(change_url)
        context = self._blade(request, registration, "Remove permission", permission=permission)
        return TemplateResponse(request, "admin/signin/remove_api_permission.html", context)


admin.site.fill_nav_slot(
    "app-registrations", url_name="admin:signin_appregistration_changelist", permission="signin.view_appregistration"
)
admin.site.fill_nav_slot(
    "sign-in-logs", url_name="admin:signin_signinevent_changelist", permission="signin.view_signinevent"
)
