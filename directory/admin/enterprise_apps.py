"""Enterprise applications: All applications, and an app's Overview, Properties, Owners, Users and groups,
Single sign-on and Self-service blades."""

import base64

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms import HiddenInput, ModelForm, modelform_factory
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from admincenter.blades import Command, PeopleRow, picker_url, refresh_command
from admincenter.forms import SectionedForm
from admincenter.site import current_organization
from directory.admin.base import ServiceModelAdmin, adopt, refusal_of, save_through_service
from directory.admin.pickers import Choice, groups_matching, people_matching, uuids
from directory.admin.single_sign_on import SingleSignOnBlades
from directory.admin_forms import ApplicationForm
from directory.models import Application, AppRole, AppRoleAssignment, DirectoryUser, Group, GroupOwner
from directory.services import (
    APPLICATION_EDITABLE_FIELDS,
    assign_app,
    create_application,
    unassign_app,
    update_application,
)

NOTHING_SELECTED = "Select at least one user or group, then Assign."
SAVED = "Successfully updated {blade} for {app}."


class ApplicationBladeForm(SectionedForm, ApplicationForm):
    # Only the Properties blade uploads a logo.
    logo_upload = None
    remove_logo = None


def application_blade_form(fields: tuple[str, ...], widgets: dict | None = None) -> type[ModelForm]:
    return modelform_factory(Application, form=ApplicationBladeForm, fields=fields, widgets=widgets)


SingleSignOnForm = application_blade_form(
    ("single_sign_on_mode", "sign_on_url"), widgets={"single_sign_on_mode": forms.RadioSelect}
)
# A SAML app's Sign on URL is part of its Basic SAML Configuration.
SingleSignOnModeForm = application_blade_form(
    ("single_sign_on_mode",), widgets={"single_sign_on_mode": forms.RadioSelect}
)
SelfServiceForm = application_blade_form(
    (
        "self_service_enabled",
        "self_service_group",
        "self_service_approval_required",
        "self_service_approvers",
        "self_service_role",
    ),
    widgets={"self_service_approvers": forms.SelectMultiple(attrs={"size": 6})},
)
SelfServiceForm.base_fields[
    "self_service_approvers"
].help_text = "Up to 10 approvers; any one of them can approve a request. Hold Ctrl (or ⌘) to choose several."


def _principal_value(principal: DirectoryUser | Group) -> str:
    return f"{'user' if isinstance(principal, DirectoryUser) else 'group'}:{principal.pk}"


def _assignment_row(assignment: AppRoleAssignment) -> PeopleRow:
    group = assignment.principal_group
    if group is not None:
        url, kind = reverse("admin:directory_group_overview", args=[group.pk]), "Group"
    else:
        url, kind = reverse("admin:directory_directoryuser_overview", args=[assignment.principal_user_id]), "User"
    return PeopleRow(
        assignment.principal.display_name,
        url,
        (kind, assignment.app_role.display_name, assignment.created_date_time),
        str(assignment.pk),
    )


@admin.register(Application)
class ApplicationAdmin(SingleSignOnBlades, ServiceModelAdmin):
    form = ApplicationForm
    list_title = "Enterprise applications | All applications"
    list_menu = ((None, (("All applications", "changelist"),)),)
    manage_menu = (
        (None, (("Overview", "overview"),)),
        (
            "Manage",
            (
                ("Properties", "properties"),
                ("Owners", "owners"),
                ("Users and groups", "users_and_groups"),
                ("Single sign-on", "single_sign_on"),
                ("Self-service", "self_service"),
            ),
        ),
    )
    new_label = "New application"
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
    readonly_fields = ("id", "logo_preview", "created_date_time")
    fieldsets = (
        (
            None,
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
        ),
    )

    # Properties and New application (Django's form) -------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "tenant") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        organization = current_organization(request)
        return {"tenant": organization.pk if organization else None, **super().get_changeform_initial_data(request)}

    def get_form(self, request: HttpRequest, obj: Application | None = None, change: bool = False, **kwargs: object):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "tenant" in form.base_fields:
            form.base_fields["tenant"].widget = HiddenInput()
        return form

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

    # Blades -------------------------------------------------------------------------------

    def get_urls(self) -> list:
        return [
            self.blade_path("<path:object_id>/overview/", self.overview_view, "overview"),
            self.blade_path("<path:object_id>/owners/", self.owners_view, "owners"),
            self.blade_path("<path:object_id>/users-and-groups/", self.users_and_groups_view, "users_and_groups"),
            self.blade_path("<path:object_id>/users-and-groups/add/", self.add_assignment_view, "add_assignment"),
            self.blade_path(
                "<path:object_id>/users-and-groups/add/select/", self.select_principals_view, "select_principals"
            ),
            self.blade_path("<path:object_id>/single-sign-on/", self.single_sign_on_view, "single_sign_on"),
            self.blade_path("<path:object_id>/self-service/", self.self_service_view, "self_service"),
            *self.single_sign_on_urls(),
            *super().get_urls(),
        ]

    def overview_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        application = self.get_blade_object(request, object_id)
        steps = [
            (
                "Assign users and groups",
                "Provide specific users and groups access to the application.",
                self.blade_url("users_and_groups", application),
            ),
            (
                "Set up single sign on",
                "Enable users to sign into their application using their Azure AD credentials.",
                self.blade_url("single_sign_on", application),
            ),
            ("Provision User Accounts", "Automatic provisioning is not available in Access Portal.", ""),
            ("Conditional Access", "Conditional Access is not available in Access Portal.", ""),
            (
                "Self service",
                "Enable users to request access to the application using their Azure AD credentials.",
                self.blade_url("self_service", application),
            ),
        ]
        return self.render_object_blade(
            request,
            application,
            blade="overview",
            template="admin/directory/application/overview.html",
            commands=[refresh_command(request)],
            application=application,
            steps=steps,
            logo=self.logo_preview(application),
        )

    def owners_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        """Who manages the app's access from My Apps: the owners of its self-service group."""
        application = self.get_blade_object(request, object_id)
        group = application.self_service_group if application.self_service_enabled else None
        owners = (
            GroupOwner.objects.filter(group=group).select_related("user").order_by("user__display_name")
            if group
            else []
        )
        return self.render_object_blade(
            request,
            application,
            blade="owners",
            template="admin/directory/application/owners.html",
            commands=[refresh_command(request)],
            application=application,
            group=group,
            rows=[
                PeopleRow(
                    link.user.display_name,
                    reverse("admin:directory_directoryuser_overview", args=[link.user.pk]),
                    (link.user.mail,),
                    str(link.user.pk),
                )
                for link in owners
            ],
            headers=("Name", "Email"),
            table_label="Owners",
            empty_text=f"{group.display_name} has no owners yet. Add them under the group's Owners." if group else "",
        )

    def users_and_groups_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id)
        can_change = self.has_change_permission(request, application)
        errors: list[str] = []
        if request.method == "POST" and can_change:
            assignment = AppRoleAssignment.objects.filter(
                application=application, pk__in=uuids(request.POST.getlist("remove"))
            ).first()
            if assignment is not None:
                name = assignment.principal.display_name
                errors = refusal_of(lambda: unassign_app(assignment=assignment, actor=request.user))
                if not errors:
                    return self.redirect_with_message(request, request.path, f"Removed {name} from {application}.")
        assignments = (
            AppRoleAssignment.objects.filter(application=application)
            .select_related("principal_user", "principal_group", "app_role")
            .order_by("principal_group__display_name", "principal_user__display_name")
        )
        commands = []
        if can_change:
            commands.append(Command("Add user/group", self.blade_url("add_assignment", application), icon="add"))
        commands.append(refresh_command(request))
        return self.render_object_blade(
            request,
            application,
            blade="users_and_groups",
            template="admincenter/people.html",
            commands=commands,
            rows=[_assignment_row(assignment) for assignment in assignments],
            headers=("Display name", "Object type", "Role assigned", "Assigned"),
            table_label="Assigned users and groups",
            intro=f"The users and groups assigned to {application.display_name}: they see it in My Apps.",
            empty_text="No application assignments found. Select Add user/group to give people access.",
            can_change=can_change,
            errors=errors,
        )

    def _selected(self, application: Application, values: list[str]) -> list[DirectoryUser | Group]:
        def ids(kind: str) -> list:
            return uuids(value.removeprefix(f"{kind}:") for value in values if value.startswith(f"{kind}:"))

        tenant_id = application.tenant_id
        groups = Group.objects.filter(tenant_id=tenant_id, pk__in=ids("group")).order_by("display_name")
        users = DirectoryUser.objects.filter(tenant_id=tenant_id, pk__in=ids("user")).order_by("display_name")
        return [*groups, *users]

    def add_assignment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add Assignment: Users and groups (None Selected → the picker), a role, then Assign."""
        application = self.get_blade_object(request, object_id, change=True)
        values = request.POST.getlist("principal") if request.method == "POST" else request.GET.getlist("principal")
        selected = self._selected(application, values)
        roles = list(AppRole.objects.filter(application=application).order_by("display_name"))
        errors: list[str] = []
        if request.method == "POST":
            role = next((r for r in roles if str(r.pk) == request.POST.get("role")), None)
            if not selected:
                errors = [NOTHING_SELECTED]
            else:

                def assign_all() -> None:
                    with transaction.atomic():
                        for principal in selected:
                            assign_app(application=application, principal=principal, app_role=role, actor=request.user)

                errors = refusal_of(assign_all)
                if not errors:
                    names = ", ".join(principal.display_name for principal in selected)
                    return self.redirect_with_message(
                        request,
                        self.blade_url("users_and_groups", application),
                        f"Assigned {names} to {application}.",
                    )
        default_role = next((r for r in roles if r.display_name == AppRole.DEFAULT_ACCESS), None)
        picked_values = [_principal_value(principal) for principal in selected]
        return self.render_object_blade(
            request,
            application,
            blade="users_and_groups",
            template="admin/directory/application/add_assignment.html",
            selected=selected,
            picked_values=picked_values,
            roles=roles,
            default_role=default_role,
            select_url=picker_url(self.blade_url("select_principals", application), principal=picked_values),
            errors=errors,
            cancel_url=self.blade_url("users_and_groups", application),
            add_assignment_title="Add Assignment",
        )

    def select_principals_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        """The Users and groups picker: search, tick, Select (back to Add Assignment with the selection)."""
        application = self.get_blade_object(request, object_id, change=True)
        q = request.GET.get("q", "").strip()
        values = request.GET.getlist("principal")
        picked = set(values)
        groups, more_groups = groups_matching(Group.objects.filter(tenant_id=application.tenant_id), q)
        people, more_people = people_matching(DirectoryUser.objects.filter(tenant_id=application.tenant_id), q)
        choices = [
            *(Choice(_principal_value(g), g.display_name, "Group", _principal_value(g) in picked) for g in groups),
            *(Choice(_principal_value(u), u.display_name, u.mail, _principal_value(u) in picked) for u in people),
        ]
        add_assignment = self.blade_url("add_assignment", application)
        return self.render_object_blade(
            request,
            application,
            blade="users_and_groups",
            template="admincenter/picker.html",
            picker_title="Users and groups",
            search_url=request.path,
            keep=[("principal", value) for value in values],
            select_url=add_assignment,
            select_method="get",
            q=q,
            choices=choices,
            more=more_groups or more_people,
            choice_name="principal",
            choices_label="Users and groups",
            empty_text="This organization has no users or groups yet.",
            cancel_url=picker_url(add_assignment, principal=values),
        )

    def _settings_blade(
        self,
        request: HttpRequest,
        application: Application,
        *,
        blade: str,
        form_class: type[ModelForm],
        template: str,
        **context: object,
    ) -> HttpResponse:
        can_change = self.has_change_permission(request, application)
        form = form_class(request.POST if request.method == "POST" and can_change else None, instance=application)
        if form.is_bound:
            names = tuple(form_class.base_fields)

            def save(data: dict) -> Application:
                changes = {name: data[name] for name in names if name in data}
                return update_application(application=application, actor=request.user, **changes)

            if save_through_service(form, save):
                label = self.blade_label(blade)
                return self.redirect_with_message(
                    request, request.path, SAVED.format(blade=label.lower(), app=application)
                )
        return self.render_object_blade(
            request,
            application,
            blade=blade,
            template=template,
            form=form,
            can_change=can_change,
            application=application,
            **context,
        )

    def single_sign_on_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_blade_object(request, object_id)
        saml = application.single_sign_on_mode == Application.SingleSignOnMode.SAML
        can_change = self.has_change_permission(request, application)
        commands = []
        if application.single_sign_on_mode in {Application.SingleSignOnMode.SAML, Application.SingleSignOnMode.OIDC}:
            commands.append(Command("Change single sign-on mode", "#sso-method", icon="edit"))
        return self._settings_blade(
            request,
            application,
            blade="single_sign_on",
            commands=[*commands, refresh_command(request)],
            form_class=SingleSignOnModeForm if saml else SingleSignOnForm,
            template="admin/directory/application/single_sign_on.html",
            **self.single_sign_on_context(request, application, can_change),
        )

    def self_service_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._settings_blade(
            request,
            self.get_blade_object(request, object_id),
            blade="self_service",
            form_class=SelfServiceForm,
            template="admin/directory/application/self_service.html",
        )
