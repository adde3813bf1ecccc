"""Organizations and sign-in accounts (under Advanced), and External Identities → External collaboration settings."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelForm, modelform_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from admincenter.blades import Crumb, render_blade
from admincenter.forms import SectionedForm
from admincenter.site import current_organization
from directory.admin.base import ServiceModelAdmin, adopt, save_through_service
from directory.admin_forms import AccountChangeForm, AccountCreationForm, TenantForm
from directory.audit import Activity, record_event
from directory.models import Account, Tenant
from directory.services import (
    DOMAIN_LIST_NOT_ALLOWED,
    DOMAIN_LIST_REQUIRED,
    DOMAIN_LIST_TOO_LONG,
    TENANT_SETTING_FIELDS,
    update_tenant_settings,
)

TENANT_DOMAIN_LIST_ERRORS = {DOMAIN_LIST_NOT_ALLOWED, DOMAIN_LIST_REQUIRED, DOMAIN_LIST_TOO_LONG}
SETTINGS_SAVED = "Successfully updated {settings} for {organization}."


@admin.register(Account)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("display_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "display_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "display_name", "is_staff", "is_superuser", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "display_name")
    ordering = ("email",)
    filter_horizontal = ("user_permissions",)


def domain_list_field(error: ValidationError) -> str | None:
    return "collaboration_domains" if set(error.messages) & TENANT_DOMAIN_LIST_ERRORS else None


class TenantSettingsForm(SectionedForm, TenantForm):
    """A blade's share of the tenant's settings (Groups → General, External collaboration settings)."""


def tenant_settings_form(fields: tuple[str, ...], sections: tuple) -> type[ModelForm]:
    form_class = modelform_factory(Tenant, form=TenantSettingsForm, fields=fields)
    form_class.sections = sections
    return form_class


def tenant_settings_blade(
    request: HttpRequest,
    *,
    site: admin.AdminSite,
    form_class: type[ModelForm],
    title: str,
    breadcrumbs: list[Crumb],
    settings_name: str,
    template: str = "admincenter/form_blade.html",
    **context: object,
) -> HttpResponse:
    """Show and save some of the current organization's settings through update_tenant_settings."""
    if not request.user.has_perm("directory.change_tenant"):
        raise PermissionDenied
    organization = current_organization(request)
    if organization is None:
        raise PermissionDenied
    form = form_class(request.POST or None, instance=organization)
    if request.method == "POST":

        def save(data: dict) -> Tenant:
            return update_tenant_settings(tenant=organization, actor=request.user, **data)

        if save_through_service(form, save, field_of=domain_list_field):
            messages.success(
                request, SETTINGS_SAVED.format(settings=settings_name, organization=organization.display_name)
            )
            return HttpResponseRedirect(request.path)
    return render_blade(
        request, site=site, template=template, title=title, breadcrumbs=breadcrumbs, form=form, **context
    )


EXTERNAL_COLLABORATION_FIELDS = (
    "guest_user_role_id",
    "allow_invites_from",
    "email_otp_enabled",
    "collaboration_restriction",
    "collaboration_domains",
    "invitation_link_lifetime_days",
)
ExternalCollaborationForm = tenant_settings_form(
    EXTERNAL_COLLABORATION_FIELDS,
    (
        ("Guest user access", ("guest_user_role_id",)),
        ("Guest invite settings", ("allow_invites_from",)),
        ("Email one-time passcode for guests", ("email_otp_enabled",)),
        ("Collaboration restrictions", ("collaboration_restriction", "collaboration_domains")),
        ("Invitation links", ("invitation_link_lifetime_days",)),
    ),
)


@admin.register(Tenant)
class TenantAdmin(ServiceModelAdmin):
    """Organizations, under Advanced: their properties; their settings are edited on their blades."""

    form = TenantForm
    list_display = ("display_name", "initial_domain", "allow_invites_from", "collaboration_restriction")
    search_fields = ("display_name", "initial_domain", "verified_domains")
    readonly_fields = ("id", "created_date_time")
    fieldsets = (
        (
            "Properties",
            {
                "fields": (
                    "display_name",
                    "initial_domain",
                    "verified_domains",
                    "privacy_statement_url",
                    "branding_color",
                    "id",
                    "created_date_time",
                )
            },
        ),
    )
    new_label = "New organization"

    def get_urls(self) -> list:
        return [
            self.blade_path("external-collaboration/", self.external_collaboration_view, "external_collaboration"),
            *super().get_urls(),
        ]

    def external_collaboration_view(self, request: HttpRequest) -> HttpResponse:
        home = Crumb("Home", reverse("admin:index"))
        return tenant_settings_blade(
            request,
            site=self.admin_site,
            form_class=ExternalCollaborationForm,
            title="External Identities | External collaboration settings",
            breadcrumbs=[home, self.organization_crumb(request), Crumb("External collaboration settings")],
            settings_name="the external collaboration settings",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> tuple[str, ...]:
        # The initial domain is in every guest's user principal name: it never changes.
        return (*self.readonly_fields, "initial_domain") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        # Deleting an organization would delete its append-only audit log.
        return False

    def refusal_field(self, error: ValidationError) -> str | None:
        return domain_list_field(error)

    def save_model(self, request: HttpRequest, obj: Tenant, form: ModelForm, change: bool) -> None:
        if change:
            settings = {name: value for name, value in form.cleaned_data.items() if name in TENANT_SETTING_FIELDS}
            adopt(obj, update_tenant_settings(tenant=obj, actor=request.user, **settings))
            return
        obj.full_clean()
        obj.save()
        record_event(
            tenant=obj,
            activity=Activity.UPDATE_AUTHORIZATION_POLICY,
            actor=request.user,
            target=obj,
            details={"created": True, "modifiedProperties": sorted(TENANT_SETTING_FIELDS)},
        )
