"""The admin center: the Azure portal's Entra ID blades, with every save going through the services.

A service refusal never becomes a server error: the save is rolled back and the form is
shown again with the service's own sentence (see ServiceModelAdmin).
"""

import base64
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html

from directory.admin_forms import (
    AccountChangeForm,
    AccountCreationForm,
    ApplicationForm,
    AppRoleAssignmentForm,
    AppRoleAssignmentFormSet,
    GroupForm,
    GroupMemberFormSet,
    GroupOwnerFormSet,
    TenantForm,
)
from directory.audit import Activity, record_event
from directory.models import (
    Account,
    Application,
    AppRoleAssignment,
    AuditEvent,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
)
from directory.services import (
    APPLICATION_EDITABLE_FIELDS,
    DOMAIN_LIST_NOT_ALLOWED,
    DOMAIN_LIST_REQUIRED,
    DOMAIN_LIST_TOO_LONG,
    GROUP_EDITABLE_FIELDS,
    TENANT_SETTING_FIELDS,
    USER_EDITABLE_FIELDS,
    add_directory_role,
    add_group_member,
    add_group_owner,
    assign_app,
    create_application,
    create_group,
    create_user,
    delete_group,
    delete_user,
    remove_directory_role,
    remove_group_member,
    remove_group_owner,
    unassign_app,
    update_application,
    update_group,
    update_tenant_settings,
    update_user,
)

# "Groups" in this admin center are directory groups, as in the Azure portal.
admin.site.unregister(AuthGroup)

REFUSAL_ATTRIBUTE = "_directory_admin_refusal"


@dataclass
class Refusal:
    error: ValidationError
    field: str | None = None


def show_refusal(form: ModelForm, refusal: Refusal) -> None:
    """Put a service's refusal on the form: on its field when the form has it, else above the form."""
    error = refusal.error
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(refusal.field if refusal.field in form.fields else None, error)


@dataclass
class Rows:
    """An inline formset split into what the services must do."""

    added: list[ModelForm] = field(default_factory=list)
    changed: list[ModelForm] = field(default_factory=list)
    deleted: list[ModelForm] = field(default_factory=list)

    @classmethod
    def of(cls, formset: BaseInlineFormSet) -> "Rows":
        deleted = {id(form) for form in formset.deleted_forms}
        rows = cls()
        for form in formset.initial_forms:
            if id(form) in deleted:
                rows.deleted.append(form)
            elif form.has_changed():
                rows.changed.append(form)
        rows.added = [form for form in formset.extra_forms if id(form) not in deleted and form.has_changed()]
        return rows

    def stored(self, forms: list[ModelForm]) -> list[Model]:
        """The rows as the database has them (the forms' instances already carry the new values)."""
        return [type(form.instance).objects.get(pk=form.instance.pk) for form in forms]


def record_formset_changes(formset: BaseInlineFormSet, *, new: list[Model], deleted: list[Model]) -> None:
    # The admin's change message reads what formset.save() would have set.
    formset.new_objects = new
    formset.changed_objects = []
    formset.deleted_objects = deleted


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's in-memory object the row a service saved, primary key included."""
    for model_field in saved._meta.concrete_fields:
        setattr(obj, model_field.attname, getattr(saved, model_field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def referring_tenant_id(request: HttpRequest) -> str | None:
    """The organization of the group or application whose change page asked for suggestions.

    Only narrows the autocomplete suggestions; the services refuse other organizations anyway.
    """
    try:
        match = resolve(urlsplit(request.headers.get("Referer", "")).path)
    except Resolver404:
        return None
    models = {"directory_group_change": Group, "directory_application_change": Application}
    model = models.get(match.url_name or "")
    if model is None:
        return None
    try:
        return model.objects.filter(pk=match.kwargs.get("object_id")).values_list("tenant_id", flat=True).first()
    except ValidationError:
        return None


# Accessible names -------------------------------------------------------------
# select2 (the admin's autocomplete) names its box after the chosen option; with none chosen
# Django leaves the placeholder empty, so the box is a nameless combobox to a screen reader,
# and a multiple one's search field has no label (axe: aria-input-field-name, label). A tabular
# inline's cells have only a column header, no <label> (axe: select-name). These give them
# names without touching Django's templates.


class _NamedAutocomplete:
    def __init__(self, *args: object, placeholder: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs: dict, extra_attrs: dict | None = None) -> dict:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = self.placeholder
        return attrs


class NamedAutocompleteSelect(_NamedAutocomplete, AutocompleteSelect):
    pass


class NamedAutocompleteSelectMultiple(_NamedAutocomplete, AutocompleteSelectMultiple):
    pass


class NamedAutocompleteMixin:
    """Autocompletes show "Search users" (or groups, accounts…) until something is chosen."""

    def _search_placeholder(self, db_field: object) -> str:
        return f"Search {db_field.related_model._meta.verbose_name_plural}"

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: object):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using"), placeholder=self._search_placeholder(db_field)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: object):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using"), placeholder=self._search_placeholder(db_field)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class NamedTabularInline(NamedAutocompleteMixin, admin.TabularInline):
    """A tabular inline whose fields are named after their column, as a <label> would."""

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs: object):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.widget.attrs.setdefault("aria-label", str(formfield.label))
        return formfield


class ServiceModelAdmin(NamedAutocompleteMixin, admin.ModelAdmin):
    """A model admin whose writes go through directory services.

    A ValidationError (PolicyError included) raised while saving rolls the whole save back
    (the admin wraps it in a transaction); the same POST is then validated again with the
    error added to the form, so the person sees the message and everything they typed.
    """

    actions = ["delete_selected"]

    def refusal_field(self, error: ValidationError) -> str | None:
        return None

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if hasattr(request, REFUSAL_ATTRIBUTE):
                raise
            setattr(request, REFUSAL_ATTRIBUTE, Refusal(error, self.refusal_field(error)))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: object):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form

        class RefusedForm(form):
            def clean(self) -> dict[str, object]:
                cleaned_data = super().clean()
                show_refusal(self, refusal)
                return cleaned_data

        RefusedForm.__name__ = form.__name__
        return RefusedForm

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list, change: bool) -> None:
        # No form.save_m2m(): many-to-many values go through the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} has an inline but no service to save it.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None


# Sign-in accounts ------------------------------------------------------------


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


# Organizations ---------------------------------------------------------------

TENANT_DOMAIN_LIST_ERRORS = {DOMAIN_LIST_NOT_ALLOWED, DOMAIN_LIST_REQUIRED, DOMAIN_LIST_TOO_LONG}


class TenantObjectAdmin(ServiceModelAdmin):
    """Users and groups: the tenant is fixed once created, and autocomplete offers the edited object's tenant only."""

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "tenant") if obj else self.readonly_fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            tenant_id = referring_tenant_id(request)
            if tenant_id:
                queryset = queryset.filter(tenant_id=tenant_id)
        return queryset, may_have_duplicates


@admin.register(Tenant)
class TenantAdmin(ServiceModelAdmin):
    form = TenantForm
    list_display = ("display_name", "initial_domain", "allow_invites_from", "collaboration_restriction")
    search_fields = ("display_name", "initial_domain", "verified_domains")
    radio_fields = {
        "guest_user_role_id": admin.VERTICAL,
        "allow_invites_from": admin.VERTICAL,
        "collaboration_restriction": admin.VERTICAL,
    }
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
        (
            "Groups – General",
            {
                "fields": (
                    "owners_can_manage_group_membership_requests",
                    "restrict_access_panel_groups",
                    "users_can_create_security_groups",
                    "users_can_create_m365_groups",
                )
            },
        ),
        (
            "External collaboration settings",
            {
                "fields": (
                    "guest_user_role_id",
                    "allow_invites_from",
                    "email_otp_enabled",
                    "collaboration_restriction",
                    "collaboration_domains",
                    "invitation_link_lifetime_days",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> tuple[str, ...]:
        # The initial domain is in every guest's user principal name: it never changes.
        return (*self.readonly_fields, "initial_domain") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        # Deleting an organization would delete its append-only audit log.
        return False

    def refusal_field(self, error: ValidationError) -> str | None:
        return "collaboration_domains" if set(error.messages) & TENANT_DOMAIN_LIST_ERRORS else None

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


# Users -----------------------------------------------------------------------


class DirectoryRoleAssignmentInline(NamedTabularInline):
    model = DirectoryRoleAssignment
    fields = ("role", "assigned")
    readonly_fields = ("assigned",)
    extra = 1
    verbose_name = "assigned role"
    verbose_name_plural = "Assigned roles"

    @admin.display(description="Assigned")
    def assigned(self, obj: DirectoryRoleAssignment) -> object:
        return "" if obj._state.adding else obj.created_date_time


@admin.register(DirectoryUser)
class DirectoryUserAdmin(TenantObjectAdmin):
    list_display = (
        "display_name",
        "user_principal_name",
        "user_type",
        "external_user_state",
        "invitation_accepted",
        "creation_type",
        "account_enabled",
        "tenant",
    )
    list_filter = ("tenant", "user_type", "external_user_state", "creation_type")
    list_select_related = ("tenant",)
    search_fields = ("display_name", "mail", "user_principal_name")
    autocomplete_fields = ("account",)
    inlines = (DirectoryRoleAssignmentInline,)
    readonly_fields = (
        "id",
        "external_user_state",
        "external_user_state_change_date_time",
        "creation_type",
        "invited_by",
        "created_date_time",
    )
    fieldsets = (
        ("Identity", {"fields": ("tenant", "display_name", "user_principal_name", "mail", "id", "user_type")}),
        ("Job information", {"fields": ("job_title", "department")}),
        ("Settings", {"fields": ("account_enabled", "account", "on_premises_sync_enabled", "created_date_time")}),
        (
            "B2B invitation",
            {
                "fields": (
                    "creation_type",
                    "external_user_state",
                    "external_user_state_change_date_time",
                    "invited_by",
                )
            },
        ),
    )

    @admin.display(description="Invitation accepted")
    def invitation_accepted(self, obj: DirectoryUser) -> str:
        if not obj.external_user_state:
            return ""
        return "Yes" if obj.invitation_accepted else "No"

    def save_model(self, request: HttpRequest, obj: DirectoryUser, form: ModelForm, change: bool) -> None:
        properties = {name: value for name, value in form.cleaned_data.items() if name in USER_EDITABLE_FIELDS}
        if change:
            adopt(obj, update_user(user=obj, actor=request.user, **properties))
        else:
            adopt(obj, create_user(tenant=form.cleaned_data["tenant"], actor=request.user, **properties))

    def delete_model(self, request: HttpRequest, obj: DirectoryUser) -> None:
        delete_user(user=obj, actor=request.user)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        user, actor, rows = form.instance, request.user, Rows.of(formset)
        removed = rows.stored(rows.deleted + rows.changed)
        for assignment in removed:
            remove_directory_role(assignment=assignment, actor=actor)
        added = [
            add_directory_role(user=user, role=row.cleaned_data["role"], actor=actor)
            for row in rows.changed + rows.added
        ]
        record_formset_changes(formset, new=added, deleted=removed)


# Groups ----------------------------------------------------------------------


class GroupOwnerInline(NamedTabularInline):
    model = GroupOwner
    formset = GroupOwnerFormSet
    fk_name = "group"
    fields = ("user", "added_by", "added")
    readonly_fields = ("added_by", "added")
    autocomplete_fields = ("user",)
    extra = 1
    verbose_name_plural = "Owners"

    @admin.display(description="Added")
    def added(self, obj: GroupOwner | GroupMember) -> object:
        return "" if obj._state.adding else obj.added_date_time

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "added_by")


class GroupMemberInline(GroupOwnerInline):
    model = GroupMember
    formset = GroupMemberFormSet
    verbose_name_plural = "Members"


@admin.register(Group)
class GroupAdmin(TenantObjectAdmin):
    form = GroupForm
    list_display = (
        "display_name",
        "group_type",
        "membership_type",
        "join_policy",
        "on_premises_sync_enabled",
        "member_count",
        "tenant",
    )
    list_filter = ("tenant", "group_type", "membership_type", "join_policy", "on_premises_sync_enabled")
    list_select_related = ("tenant",)
    search_fields = ("display_name", "description")
    inlines = (GroupOwnerInline, GroupMemberInline)
    readonly_fields = ("id", "created_date_time")
    fieldsets = (
        (None, {"fields": ("tenant", "group_type", "display_name", "description", "id", "created_date_time")}),
        ("Membership", {"fields": ("membership_type", "membership_rule", "join_policy", "on_premises_sync_enabled")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("member_links"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Group) -> int:
        return obj.member_count

    def save_model(self, request: HttpRequest, obj: Group, form: ModelForm, change: bool) -> None:
        properties = {name: value for name, value in form.cleaned_data.items() if name in GROUP_EDITABLE_FIELDS}
        if change:
            adopt(obj, update_group(group=obj, actor=request.user, **properties))
        else:
            adopt(obj, create_group(tenant=form.cleaned_data["tenant"], actor=request.user, **properties))

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        delete_group(group=obj, actor=request.user)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        group, actor, rows = form.instance, request.user, Rows.of(formset)
        if formset.model is GroupOwner:
            add, remove = add_group_owner, remove_group_owner
        else:
            add, remove = add_group_member, remove_group_member
        removed = rows.stored(rows.deleted + rows.changed)
        # Additions first, so that replacing the only owner never leaves the group without one.
        added = [add(group=group, user=row.cleaned_data["user"], actor=actor) for row in rows.added + rows.changed]
        for link in removed:
            remove(group=group, user=link.user, actor=actor)
        record_formset_changes(formset, new=added, deleted=removed)


# Enterprise applications -----------------------------------------------------


class AppRoleAssignmentInline(NamedTabularInline):
    model = AppRoleAssignment
    form = AppRoleAssignmentForm
    formset = AppRoleAssignmentFormSet
    fields = ("principal_user", "principal_group", "app_role", "assigned")
    readonly_fields = ("assigned",)
    autocomplete_fields = ("principal_user", "principal_group")
    extra = 1
    verbose_name = "assignment"
    verbose_name_plural = "Users and groups"

    @admin.display(description="Assigned")
    def assigned(self, obj: AppRoleAssignment) -> object:
        return "" if obj._state.adding else obj.created_date_time

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("principal_user", "principal_group", "app_role")


@admin.register(Application)
class ApplicationAdmin(ServiceModelAdmin):
    form = ApplicationForm
    list_display = (
        "display_name",
        "single_sign_on_mode",
        "account_enabled",
        "visible_to_users",
        "app_role_assignment_required",
        "self_service_enabled",
        "tenant",
    )
    list_filter = ("tenant", "single_sign_on_mode", "account_enabled", "visible_to_users", "self_service_enabled")
    list_select_related = ("tenant",)
    search_fields = ("display_name", "homepage_url")
    autocomplete_fields = ("self_service_approvers",)
    readonly_fields = ("id", "logo_preview", "created_date_time")
    properties = (
        "Properties",
        {
            "fields": (
                "tenant",
                "display_name",
                "account_enabled",
                "app_role_assignment_required",
                "visible_to_users",
                "homepage_url",
                "logo_preview",
                "logo_upload",
                "remove_logo",
                "notes",
                "id",
                "created_date_time",
            )
        },
    )
    single_sign_on = ("Single sign-on", {"fields": ("single_sign_on_mode", "sign_on_url")})
    self_service = (
        "Self-service",
        {
            "fields": (
                "self_service_enabled",
                "self_service_group",
                "self_service_approval_required",
                "self_service_approvers",
                "self_service_role",
            ),
            "description": "Up to 10 approvers; any one of them can approve a request.",
        },
    )

    def get_fieldsets(self, request: HttpRequest, obj: Application | None = None) -> tuple:
        # Self-service needs the application's own groups and roles, so it comes after creation.
        if obj is None:
            return (self.properties, self.single_sign_on)
        return (self.properties, self.single_sign_on, self.self_service)

    def get_inlines(self, request: HttpRequest, obj: Application | None) -> tuple:
        return (AppRoleAssignmentInline,) if obj else ()

    def get_readonly_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "tenant") if obj else self.readonly_fields

    @admin.display(description="Logo preview")
    def logo_preview(self, obj: Application) -> str:
        if not obj.logo:
            return "No logo"
        # A data: URL keeps the preview inside the CSP (img-src 'self' data:) without a view.
        return format_html(
            '<img src="data:image/png;base64,{}" alt="{} logo" width="64" height="64">',
            base64.b64encode(bytes(obj.logo)).decode("ascii"),
            obj.display_name,
        )

    def save_model(self, request: HttpRequest, obj: Application, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        properties = {name: value for name, value in data.items() if name in APPLICATION_EDITABLE_FIELDS}
        if data.get("logo_upload"):
            properties["logo"] = data["logo_upload"]
        elif data.get("remove_logo"):
            properties["logo"] = b""
        if change:
            adopt(obj, update_application(application=obj, actor=request.user, **properties))
        else:
            adopt(obj, create_application(tenant=data["tenant"], actor=request.user, **properties))

    def has_delete_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        # There is no audited service for deleting an application yet; disable it instead.
        return False

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        application, actor, rows = form.instance, request.user, Rows.of(formset)
        removed = rows.stored(rows.deleted + rows.changed)
        for assignment in removed:
            unassign_app(assignment=assignment, actor=actor)
        added = [
            assign_app(
                application=application,
                principal=row.cleaned_data.get("principal_user") or row.cleaned_data["principal_group"],
                app_role=row.cleaned_data.get("app_role"),
                actor=actor,
            )
            for row in rows.changed + rows.added
        ]
        record_formset_changes(formset, new=added, deleted=removed)


# Audit logs ------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("activity_date_time", "activity", "category", "initiated_by", "target", "result", "tenant")
    list_filter = ("tenant", "category", "activity", "result")
    list_select_related = ("tenant",)
    date_hierarchy = "activity_date_time"
    search_fields = ("activity", "initiated_by", "target", "target_id")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
