"""Users: All users, a user's Overview (with the B2B invitation), Properties with assigned roles."""

from collections.abc import Callable

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse

from admincenter.blades import Command, refresh_command
from directory.admin.base import NamedTabularInline, Rows, TenantObjectAdmin, adopt, record_formset_changes
from directory.models import DirectoryRoleAssignment, DirectoryUser
from directory.services import (
    USER_EDITABLE_FIELDS,
    add_directory_role,
    create_user,
    delete_user,
    remove_directory_role,
    update_user,
)

# Other apps add commands to the users' blades (invitations: Invite external user, Resend invitation…);
# the directory knows nothing of them. Each takes the request (and the user, on Overview).
ListCommands = Callable[[HttpRequest], list[Command]]
OverviewCommands = Callable[[HttpRequest, DirectoryUser], list[Command]]


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
    list_title = "Users | All users"
    list_menu = ((None, (("All users", "changelist"),)),)
    manage_menu = ((None, (("Overview", "overview"),)), ("Manage", (("Properties", "properties"),)))
    new_label = "New user"
    list_commands_from: list[ListCommands] = []
    overview_commands_from: list[OverviewCommands] = []
    list_display = (
        "display_name",
        "user_principal_name",
        "user_type",
        "creation_type",
        "external_user_state",
        "invitation_accepted",
        "account_enabled",
        "tenant",
    )
    list_filter = ("tenant", "user_type", "creation_type", "external_user_state", "account_enabled")
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

    def list_commands(self, request: HttpRequest) -> list[Command]:
        *commands, refresh = super().list_commands(request)
        return [*commands, *(command for hook in self.list_commands_from for command in hook(request)), refresh]

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

    # Blades -------------------------------------------------------------------------------

    def get_urls(self) -> list:
        return [self.blade_path("<path:object_id>/overview/", self.overview_view, "overview"), *super().get_urls()]

    def overview_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        user = self.get_blade_object(request, object_id)
        user = DirectoryUser.objects.select_related("tenant", "invited_by").get(pk=user.pk)
        commands = [command for hook in self.overview_commands_from for command in hook(request, user)]
        if self.has_delete_permission(request, user):
            commands.append(Command("Delete", self.blade_url("delete", user), icon="delete"))
        commands.append(refresh_command(request))
        return self.render_object_blade(
            request,
            user,
            blade="overview",
            template="admin/directory/directoryuser/overview.html",
            commands=commands,
            person=user,
            roles=list(user.role_assignments.values_list("role", flat=True)),
        )
