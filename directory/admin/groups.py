"""Groups: All groups, New group, a group's Overview, Properties, Members and Owners, and Settings → General."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms import HiddenInput, ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from admincenter.blades import Command, Crumb, PeopleRow, refresh_command
from admincenter.site import current_organization
from directory.admin.base import TenantObjectAdmin, adopt, refusal_of
from directory.admin.organizations import tenant_settings_blade, tenant_settings_form
from directory.admin.pickers import Choice, people_matching, uuids
from directory.admin_forms import GroupForm
from directory.models import DirectoryUser, Group, GroupMember, GroupOwner
from directory.services import (
    GROUP_EDITABLE_FIELDS,
    add_group_member,
    add_group_owner,
    create_group,
    delete_group,
    remove_group_member,
    remove_group_owner,
    update_group,
)

NOTHING_PICKED = "Select at least one user."

GroupsGeneralForm = tenant_settings_form(
    (
        "owners_can_manage_group_membership_requests",
        "restrict_access_panel_groups",
        "users_can_create_security_groups",
        "users_can_create_m365_groups",
    ),
    (
        (
            "Self Service Group Management",
            ("owners_can_manage_group_membership_requests", "restrict_access_panel_groups"),
        ),
        ("Security Groups", ("users_can_create_security_groups",)),
        ("Microsoft 365 Groups", ("users_can_create_m365_groups",)),
    ),
)


def _read_only_membership(group: Group) -> str:
    if group.on_premises_sync_enabled:
        return "This group is synced from on-premises Active Directory: manage its members there."
    return "This is a dynamic group: its membership rule decides who is a member."


@admin.register(Group)
class GroupAdmin(TenantObjectAdmin):
    form = GroupForm
    list_title = "Groups | All groups"
    list_menu = ((None, (("All groups", "changelist"),)), ("Settings", (("General", "settings_general"),)))
    manage_menu = (
        (None, (("Overview", "overview"),)),
        ("Manage", (("Properties", "properties"), ("Members", "members"), ("Owners", "owners"))),
    )
    new_label = "New group"
    list_display = (
        "display_name",
        "group_type",
        "membership_type",
        "source",
        "join_policy",
        "member_count",
        "tenant",
    )
    list_filter = ("tenant", "group_type", "membership_type", "join_policy", "on_premises_sync_enabled")
    list_select_related = ("tenant",)
    search_fields = ("display_name", "description")
    readonly_fields = ("id", "created_date_time")
    new_fieldsets = (
        (
            None,
            {"fields": ("tenant", "group_type", "display_name", "description", "membership_type", "membership_rule")},
        ),
    )
    fieldsets = (
        (None, {"fields": ("tenant", "group_type", "display_name", "description", "id", "created_date_time")}),
        ("Membership", {"fields": ("membership_type", "membership_rule", "join_policy", "on_premises_sync_enabled")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("member_links"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Group) -> int:
        return obj.member_count

    @admin.display(description="Source")
    def source(self, obj: Group) -> str:
        return "Windows Server AD" if obj.on_premises_sync_enabled else "Cloud"

    # New group and Properties (Django's form) -------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Group | None = None) -> tuple:
        return self.fieldsets if obj else self.new_fieldsets

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        organization = current_organization(request)
        return {"tenant": organization.pk if organization else None, **super().get_changeform_initial_data(request)}

    def get_form(self, request: HttpRequest, obj: Group | None = None, change: bool = False, **kwargs: object):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "tenant" in form.base_fields:
            # A new group belongs to the organization in the top bar, as in the portal.
            form.base_fields["tenant"].widget = HiddenInput()
        return form

    def save_model(self, request: HttpRequest, obj: Group, form: ModelForm, change: bool) -> None:
        properties = {name: value for name, value in form.cleaned_data.items() if name in GROUP_EDITABLE_FIELDS}
        if change:
            adopt(obj, update_group(group=obj, actor=request.user, **properties))
        else:
            adopt(obj, create_group(tenant=form.cleaned_data["tenant"], actor=request.user, **properties))

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        delete_group(group=obj, actor=request.user)

    # Blades -------------------------------------------------------------------------------

    def get_urls(self) -> list:
        return [
            self.blade_path("settings/general/", self.settings_general_view, "settings_general"),
            self.blade_path("<path:object_id>/overview/", self.overview_view, "overview"),
            self.blade_path("<path:object_id>/members/", self.members_view, "members"),
            self.blade_path("<path:object_id>/members/add/", self.add_members_view, "add_members"),
            self.blade_path("<path:object_id>/owners/", self.owners_view, "owners"),
            self.blade_path("<path:object_id>/owners/add/", self.add_owners_view, "add_owners"),
            *super().get_urls(),
        ]

    def settings_general_view(self, request: HttpRequest) -> HttpResponse:
        return tenant_settings_blade(
            request,
            site=self.admin_site,
            form_class=GroupsGeneralForm,
            title="Groups | General",
            breadcrumbs=[*self.list_crumbs(request), Crumb("General")],
            settings_name="the group settings",
            menu=self.list_blade_menu("settings_general"),
        )

    def overview_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        group = self.get_blade_object(request, object_id)
        counts = Group.objects.filter(pk=group.pk).aggregate(
            members=Count("member_links", distinct=True), owners=Count("owner_links", distinct=True)
        )
        commands = [refresh_command(request)]
        if self.has_delete_permission(request, group):
            commands.append(Command("Delete", self.blade_url("delete", group), icon="delete"))
        return self.render_object_blade(
            request,
            group,
            blade="overview",
            template="admin/directory/group/overview.html",
            commands=commands,
            group=group,
            counts=counts,
            source=self.source(group),
        )

    def _people_blade(self, request: HttpRequest, object_id: str, *, owners: bool) -> TemplateResponse | HttpResponse:
        group = self.get_blade_object(request, object_id)
        blade = "owners" if owners else "members"
        remove = remove_group_owner if owners else remove_group_member
        link_model = GroupOwner if owners else GroupMember
        errors: list[str] = []
        if request.method == "POST":
            if not self.has_change_permission(request, group):
                raise PermissionDenied
            user = DirectoryUser.objects.filter(
                tenant_id=group.tenant_id, pk__in=uuids(request.POST.getlist("remove"))
            ).first()
            if user is not None:
                errors = refusal_of(lambda: remove(group=group, user=user, actor=request.user))
                if not errors:
                    return self.redirect_with_message(
                        request, request.path, f"Removed {user.display_name} from the {blade} of {group}."
                    )
        links = link_model.objects.filter(group=group).select_related("user").order_by("user__display_name")
        can_change = self.has_change_permission(request, group)
        add_label = "Add owners" if owners else "Add members"
        commands = []
        if can_change and (owners or group.accepts_manual_members):
            commands.append(Command(add_label, self.blade_url(f"add_{blade}", group), icon="add"))
        commands.append(refresh_command(request))
        if owners:
            empty = "No owners found." + (" Select Add owners to choose who manages this group." if can_change else "")
        else:
            can_add = can_change and group.accepts_manual_members
            empty = "No members found." + (" Select Add members to add people to this group." if can_add else "")
        return self.render_object_blade(
            request,
            group,
            blade=blade,
            template="admincenter/people.html",
            commands=commands,
            rows=[
                PeopleRow(
                    link.user.display_name,
                    reverse("admin:directory_directoryuser_overview", args=[link.user.pk]),
                    (link.user.mail, link.user.get_user_type_display(), link.added_date_time),
                    str(link.user.pk),
                )
                for link in links
            ],
            headers=("Name", "Email", "User type", "Added"),
            table_label="Owners" if owners else "Members",
            empty_text=empty,
            help="" if owners or group.accepts_manual_members else _read_only_membership(group),
            errors=errors,
            can_change=can_change,
            group=group,
        )

    def members_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._people_blade(request, object_id, owners=False)

    def owners_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._people_blade(request, object_id, owners=True)

    def _add_people(self, request: HttpRequest, object_id: str, *, owners: bool) -> HttpResponse:
        """Add owners / Add members: a picker with a search box; Select adds everyone ticked, or no one."""
        group = self.get_blade_object(request, object_id, change=True)
        blade = "owners" if owners else "members"
        add = add_group_owner if owners else add_group_member
        errors: list[str] = []
        q = request.GET.get("q", "").strip()
        if request.method == "POST":
            picked = list(
                DirectoryUser.objects.filter(tenant_id=group.tenant_id, pk__in=uuids(request.POST.getlist("user")))
            )
            if not picked:
                errors = [NOTHING_PICKED]
            else:

                def add_all() -> None:
                    with transaction.atomic():
                        for user in picked:
                            add(group=group, user=user, actor=request.user)

                errors = refusal_of(add_all)
                if not errors:
                    names = ", ".join(user.display_name for user in picked)
                    return self.redirect_with_message(
                        request, self.blade_url(blade, group), f"Added {names} to the {blade} of {group}."
                    )
        existing = (GroupOwner if owners else GroupMember).objects.filter(group=group).values("user_id")
        people, more = people_matching(
            DirectoryUser.objects.filter(tenant_id=group.tenant_id).exclude(pk__in=existing), q
        )
        return self.render_object_blade(
            request,
            group,
            blade=blade,
            template="admincenter/picker.html",
            picker_title="Add owners" if owners else "Add members",
            search_url=request.path,
            select_url=request.get_full_path(),
            q=q,
            choices=[Choice(str(user.pk), user.display_name, user.mail) for user in people],
            more=more,
            choice_name="user",
            choices_label="Users",
            empty_text="Everyone in the organization is already listed.",
            errors=errors,
            cancel_url=self.blade_url(blade, group),
        )

    def add_members_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._add_people(request, object_id, owners=False)

    def add_owners_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._add_people(request, object_id, owners=True)
