"""Blades: the Azure portal's pages, each a title, breadcrumbs, a command bar and (for an object) a Manage menu.

A blade is a short view added with `ModelAdmin.get_urls` and `admin_site.admin_view`;
BladeAdmin does the wiring, render_blade the page (see /work/wt/notes/ADMIN-BLADES.md).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

BLADE_TEMPLATE = "admincenter/blade.html"


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str = ""


@dataclass(frozen=True)
class Command:
    """A command bar button: a link, or a POST form when `post` (for actions that change something)."""

    label: str
    url: str
    icon: str = ""
    post: bool = False
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class MenuSection:
    heading: str | None
    links: list[MenuLink]


@dataclass(frozen=True)
class Blade:
    title: str
    subtitle: str = ""
    breadcrumbs: Sequence[Crumb] = ()
    menu: Sequence[MenuSection] = ()
    commands: Sequence[Command] = ()


@dataclass(frozen=True)
class PeopleRow:
    """A row of a people table (admincenter/_people_table.html): the name links to its Overview, Remove posts
    `remove`."""

    name: str
    url: str
    cells: Sequence[object]
    remove: str


REFRESH = "Refresh"


def refresh_command(request: HttpRequest) -> Command:
    return Command(REFRESH, request.get_full_path(), icon="refresh")


def render_blade(
    request: HttpRequest,
    *,
    site: admin.AdminSite,
    template: str = BLADE_TEMPLATE,
    title: str,
    subtitle: str = "",
    breadcrumbs: Sequence[Crumb] = (),
    menu: Sequence[MenuSection] = (),
    commands: Sequence[Command] = (),
    status: int = 200,
    **context: object,
) -> TemplateResponse:
    """A page in the admin center's shell; `template` extends admincenter/blade.html and fills `blade_content`."""
    blade = Blade(title, subtitle, breadcrumbs, menu, commands)
    page = {**site.each_context(request), "title": title, "subtitle": subtitle, "blade": blade, **context}
    return TemplateResponse(request, template, page, status=status)


def picker_url(url: str, **params: object) -> str:
    query = urlencode({name: value for name, value in params.items() if value not in (None, "")}, doseq=True)
    return f"{url}?{query}" if query else url


def refusal_sentence(error: ValidationError) -> str:
    return " ".join(error.messages)


class BladeAdmin(admin.ModelAdmin):
    """A model admin whose list and object pages are blades.

    - `list_title` / `list_menu`: the list blade ("Groups | All groups") and its left menu.
    - `manage_menu`: an object's Manage menu, as (heading, ((label, blade name), ...)) sections;
      "overview" and "properties" are built in (properties is Django's change form).
    - `new_label`: the command bar's "New …" button on the list (Django's add view).
    Register a blade in get_urls with blade_path(); render it with render_object_blade().
    """

    list_title: str = ""
    list_menu: Sequence[tuple[str | None, Sequence[tuple[str, str]]]] = ()
    manage_menu: Sequence[tuple[str | None, Sequence[tuple[str, str]]]] = ()
    new_label: str = ""
    change_form_template = "admincenter/change_form.html"
    change_list_template = "admincenter/change_list.html"
    delete_confirmation_template = "admincenter/delete_confirmation.html"

    # URLs ----------------------------------------------------------------------

    def url_name(self, blade: str) -> str:
        opts = self.opts
        return f"{opts.app_label}_{opts.model_name}_{blade}"

    def blade_path(self, route: str, view: Callable[..., HttpResponse], blade: str) -> URLPattern:
        """A URL of this model's admin (admin/<app>/<model>/<route>) named <app>_<model>_<blade>."""
        return path(route, self.admin_site.admin_view(view), name=self.url_name(blade))

    def blade_url(self, blade: str, obj: Model | None = None) -> str:
        name = "change" if blade == "properties" else blade
        args = [quote(obj.pk)] if obj is not None else []
        return reverse(f"admin:{self.url_name(name)}", args=args, current_app=self.admin_site.name)

    def has_blade(self, blade: str) -> bool:
        return any(name == blade for _, links in self.manage_menu for _, name in links)

    # Objects and permissions ------------------------------------------------------

    def get_blade_object(self, request: HttpRequest, object_id: str, *, change: bool = False) -> Model:
        """The object, if this admin may see it (and change it, when `change`): else 404 or 403."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with that ID.")
        allowed = self.has_change_permission(request, obj) if change else self.has_view_permission(request, obj)
        if not allowed:
            raise PermissionDenied
        return obj

    # Blades ------------------------------------------------------------------------

    def organization_crumb(self, request: HttpRequest) -> Crumb:
        organization = self.admin_site.each_context(request).get("admin_organization")
        return Crumb(organization.display_name if organization else "Directory", reverse("admin:overview"))

    def list_crumbs(self, request: HttpRequest) -> list[Crumb]:
        return [
            Crumb("Home", reverse("admin:index")),
            self.organization_crumb(request),
            Crumb(str(self.opts.verbose_name_plural).capitalize(), self.blade_url("changelist")),
        ]

    def object_crumbs(self, request: HttpRequest, obj: Model) -> list[Crumb]:
        first = "overview" if self.has_blade("overview") else "properties"
        return [*self.list_crumbs(request), Crumb(str(obj), self.blade_url(first, obj))]

    def _menu(self, sections: Sequence, current: str, obj: Model | None) -> list[MenuSection]:
        return [
            MenuSection(heading, [MenuLink(label, self.blade_url(name, obj), name == current) for label, name in links])
            for heading, links in sections
        ]

    def object_menu(self, obj: Model, current: str) -> list[MenuSection]:
        return self._menu(self.manage_menu, current, obj)

    def list_blade_menu(self, current: str) -> list[MenuSection]:
        return self._menu(self.list_menu, current, None)

    def blade_label(self, blade: str) -> str:
        for _, links in (*self.manage_menu, *self.list_menu):
            for label, name in links:
                if name == blade:
                    return label
        return blade.replace("_", " ").capitalize()

    def render_object_blade(
        self,
        request: HttpRequest,
        obj: Model,
        *,
        blade: str,
        template: str = BLADE_TEMPLATE,
        commands: Sequence[Command] = (),
        status: int = 200,
        **context: object,
    ) -> TemplateResponse:
        return render_blade(
            request,
            site=self.admin_site,
            template=template,
            title=f"{obj} | {self.blade_label(blade)}",
            breadcrumbs=self.object_crumbs(request, obj),
            menu=self.object_menu(obj, blade),
            commands=commands,
            status=status,
            opts=self.opts,
            original=obj,
            **context,
        )

    def render_list_blade(
        self,
        request: HttpRequest,
        *,
        blade: str,
        template: str = BLADE_TEMPLATE,
        commands: Sequence[Command] = (),
        crumb: str = "",
        **context: object,
    ) -> TemplateResponse:
        """A blade of the model as a whole (Groups → General), with the list's menu."""
        title = f"{self.opts.verbose_name_plural.capitalize()} | {self.blade_label(blade)}"
        return render_blade(
            request,
            site=self.admin_site,
            template=template,
            title=title,
            breadcrumbs=[*self.list_crumbs(request), Crumb(crumb or self.blade_label(blade))],
            menu=self.list_blade_menu(blade),
            commands=commands,
            opts=self.opts,
            **context,
        )

    def redirect_with_message(self, request: HttpRequest, url: str, message: str) -> HttpResponseRedirect:
        messages.success(request, message)
        return HttpResponseRedirect(url)

    # Django's own pages in the shell ----------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        modeladmin = self

        class BladeChangeList(ChangeList):
            # Opening an object from the list opens its Overview blade, as in the portal.
            def url_for_result(self, result: Model) -> str:
                if modeladmin.has_blade("overview"):
                    return modeladmin.blade_url("overview", result)
                return super().url_for_result(result)

        return BladeChangeList

    def list_commands(self, request: HttpRequest) -> list[Command]:
        commands = []
        if self.new_label and self.has_add_permission(request):
            commands.append(Command(self.new_label, self.blade_url("add"), icon="add"))
        commands.append(refresh_command(request))
        return commands

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        title = self.list_title or str(self.opts.verbose_name_plural).capitalize()
        blade = Blade(
            title,
            breadcrumbs=self.list_crumbs(request),
            menu=self.list_blade_menu("changelist"),
            commands=self.list_commands(request),
        )
        return super().changelist_view(request, {"title": title, "blade": blade, **(extra_context or {})})

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        context = {"show_save_and_add_another": False, "show_save_and_continue": False, **(extra_context or {})}
        obj = self.get_object(request, object_id) if object_id else None
        if obj is not None:
            title = f"{obj} | Properties"
            context["blade"] = Blade(
                title, breadcrumbs=self.object_crumbs(request, obj), menu=self.object_menu(obj, "properties")
            )
        else:
            title = self.new_label or f"New {self.opts.verbose_name}"
            context["blade"] = Blade(title, breadcrumbs=[*self.list_crumbs(request), Crumb(title)])
            context["save_label"] = "Create"
        # Django's subtitle repeats the object's name, which the blade title already has.
        context.update(title=title, subtitle=None)
        return super().changeform_view(request, object_id, form_url, context)

    def response_add(self, request: HttpRequest, obj: Model, post_url_continue: str | None = None) -> HttpResponse:
        if "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return self.redirect_with_message(
            request, self.blade_url("changelist"), f"Successfully created {self.opts.verbose_name} {obj}."
        )

    def response_change(self, request: HttpRequest, obj: Model) -> HttpResponse:
        if "_popup" in request.POST:
            return super().response_change(request, obj)
        return self.redirect_with_message(request, self.blade_url("properties", obj), f"Saved the properties of {obj}.")

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context["blade"] = Blade(f"Delete {obj}", breadcrumbs=self.object_crumbs(request, obj))
        return super().delete_view(request, object_id, context)
