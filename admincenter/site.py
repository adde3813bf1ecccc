"""The admin center's site: the Entra admin center's shell around Django's admin.

Django's admin stays the engine; this site gives it the portal's left navigation, the
signed-in administrator's organization, the admin's own time zone and a Home page. What an
administrator never needs day to day (Django's own tables) lives under "Advanced".
"""

import uuid
import zoneinfo
from dataclasses import dataclass, field, replace
from functools import wraps

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from admincenter.blades import Crumb, MenuLink, MenuSection, render_blade
from directory.models import Application, DirectoryUser, Group, Tenant

ORGANIZATION_SESSION_KEY = "admincenter.organization"
# Set by static/js/admin-center.js from the browser's own time zone (Intl API).
TIME_ZONE_COOKIE = "admincenter_tz"


@dataclass(frozen=True)
class NavLink:
    """One entry of the left navigation; shown when its URL exists and the admin holds its permission."""

    label: str
    url_name: str | None
    permission: str | None = None
    children: tuple["NavLink", ...] = ()
    # A slot another app fills with fill_nav_slot (its URL name and permission) once it exists.
    slot: str = ""


@dataclass(frozen=True)
class ShownLink:
    label: str
    url: str
    current: bool
    children: list["ShownLink"] = field(default_factory=list)


def _nav() -> tuple[NavLink, ...]:
    return (
        NavLink("Home", "admin:index"),
        NavLink(
            "Azure Active Directory",
            "admin:overview",
            children=(
                NavLink("Overview", "admin:overview"),
                NavLink("Users", "admin:directory_directoryuser_changelist", "directory.view_directoryuser"),
                NavLink("Groups", "admin:directory_group_changelist", "directory.view_group"),
                NavLink(
                    "Enterprise applications", "admin:directory_application_changelist", "directory.view_application"
                ),
                NavLink("App registrations", None, slot="app-registrations"),
                # A heading for its pages: it opens the first of them the admin may use.
                NavLink(
                    "External Identities",
                    None,
                    children=(
                        NavLink(
                            "External collaboration settings",
                            "admin:directory_tenant_external_collaboration",
                            "directory.change_tenant",
                        ),
                        NavLink(
                            "All invitations", "admin:invitations_invitation_changelist", "invitations.view_invitation"
                        ),
                    ),
                ),
                NavLink("Audit logs", "admin:directory_auditevent_changelist", "directory.view_auditevent"),
                NavLink("Sign-in logs", None, slot="sign-in-logs"),
            ),
        ),
        NavLink("Advanced", "admin:advanced"),
    )


def _fill(links: tuple[NavLink, ...], slot: str, url_name: str, permission: str | None) -> tuple[NavLink, ...]:
    return tuple(
        replace(link, url_name=url_name, permission=permission)
        if link.slot == slot
        else replace(link, children=_fill(link.children, slot, url_name, permission))
        for link in links
    )


def _slots(links: tuple[NavLink, ...]) -> set[str]:
    return {link.slot for link in links if link.slot} | {slot for link in links for slot in _slots(link.children)}


def current_organization(request: HttpRequest) -> Tenant | None:
    """The organization the admin works in: chosen in the top bar, else their own directory's, else the first."""
    if not hasattr(request, "_admin_organization"):
        request._admin_organization = _find_organization(request)
    return request._admin_organization


def _find_organization(request: HttpRequest) -> Tenant | None:
    chosen = request.session.get(ORGANIZATION_SESSION_KEY)
    if chosen:
        tenant = Tenant.objects.filter(pk=chosen).first()
        if tenant is not None:
            return tenant
    own = DirectoryUser.objects.filter(account_id=request.user.pk, user_type=DirectoryUser.UserType.MEMBER)
    tenant = Tenant.objects.filter(pk__in=own.values("tenant_id")).order_by("display_name").first()
    return tenant or Tenant.objects.order_by("display_name").first()


def _time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class AdminCenterSite(admin.AdminSite):
    site_header = "Access Portal admin center"
    site_title = "Access Portal admin center"
    index_title = "Home"
    index_template = "admincenter/home.html"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.nav = _nav()

    def fill_nav_slot(self, slot: str, *, url_name: str, permission: str | None) -> None:
        """Put a page in an empty place of the navigation (App registrations, Sign-in logs)."""
        if slot not in _slots(self.nav):
            raise ValueError(f"The navigation has no slot {slot!r}.")
        self.nav = _fill(self.nav, slot, url_name, permission)

    # Dates in the admin's own time zone -------------------------------------------------

    def admin_view(self, view, cacheable: bool = False):
        protected = super().admin_view(view, cacheable)

        @wraps(view)
        def in_admin_time_zone(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            time_zone = _time_zone(request)
            if time_zone is None:
                return protected(request, *args, **kwargs)
            with timezone.override(time_zone):
                response = protected(request, *args, **kwargs)
                # A TemplateResponse renders after the view returns: render it while the zone is active.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return in_admin_time_zone

    # The shell -----------------------------------------------------------------------

    def _shown(self, request: HttpRequest, links: tuple[NavLink, ...]) -> list[ShownLink]:
        shown = []
        for link in links:
            if link.permission and not request.user.has_perm(link.permission):
                continue
            children = self._shown(request, link.children)
            if link.children and not children:
                continue
            if link.url_name is None and not children:
                continue
            try:
                url = reverse(link.url_name) if link.url_name else children[0].url
            except NoReverseMatch:
                continue
            shown.append(ShownLink(link.label, url, False, children))
        return shown

    def navigation(self, request: HttpRequest) -> list[ShownLink]:
        """The navigation this admin may use, the page's own entry marked current (longest matching URL)."""
        shown = self._shown(request, self.nav)
        flat = [
            link for top in shown for link in (top, *top.children, *(c for ch in top.children for c in ch.children))
        ]
        home = reverse("admin:index")
        matches = [
            link for link in flat if request.path.startswith(link.url) and (link.url != home or request.path == home)
        ]
        # Deepest first, so a heading that opens its first page leaves the mark to that page.
        best = max(reversed(matches), key=lambda link: len(link.url), default=None)

        def mark(links: list[ShownLink]) -> list[ShownLink]:
            return [replace(link, current=link is best, children=mark(link.children)) for link in links]

        return mark(shown)

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        if not getattr(request.user, "is_staff", False):
            return context
        organization = current_organization(request)
        context.update(
            admin_navigation=self.navigation(request),
            admin_organization=organization,
            admin_organizations=Tenant.objects.order_by("display_name") if request.user.is_superuser else (),
        )
        return context

    # Pages of the site itself -----------------------------------------------------------

    def get_urls(self) -> list:
        return [
            path("overview/", self.admin_view(self.overview_view), name="overview"),
            path("advanced/", self.admin_view(self.advanced_view), name="advanced"),
            path("organization/", self.admin_view(require_POST(self.switch_organization_view)), name="organization"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        organization = current_organization(request)
        shortcuts = [link for top in self.navigation(request) for link in top.children if link.label != "Overview"]
        context = {
            "breadcrumbs": [Crumb("Home")],
            "shortcuts": shortcuts,
            "organization": organization,
            **(extra_context or {}),
        }
        return render_blade(request, site=self, template=self.index_template, title="Home", **context)

    def overview_menu(self, request: HttpRequest) -> list[MenuSection]:
        """The directory's own Manage menu: the Azure Active Directory entries of the navigation."""
        entries = next((top.children for top in self.navigation(request) if top.label == "Azure Active Directory"), [])
        return [MenuSection(None, [MenuLink(link.label, link.url, link.current) for link in entries])]

    def overview_view(self, request: HttpRequest) -> TemplateResponse:
        organization = current_organization(request)
        counts = {}
        if organization is not None:
            counts = {
                "Users": DirectoryUser.objects.filter(tenant=organization).count(),
                "Groups": Group.objects.filter(tenant=organization).count(),
                "Enterprise applications": Application.objects.filter(tenant=organization).count(),
            }
        return render_blade(
            request,
            site=self,
            template="admincenter/overview.html",
            title=f"{organization.display_name if organization else 'Directory'} | Overview",
            breadcrumbs=[
                Crumb("Home", reverse("admin:index")),
                Crumb(organization.display_name if organization else ""),
            ],
            menu=self.overview_menu(request),
            organization=organization,
            counts=counts,
        )

    def advanced_view(self, request: HttpRequest) -> TemplateResponse:
        """Django's own list of every table the admin may open: sign-in accounts, task results, organizations."""
        return render_blade(
            request,
            site=self,
            template="admincenter/advanced.html",
            title="Advanced",
            subtitle="Internal data of Access Portal, for troubleshooting",
            breadcrumbs=[Crumb("Home", reverse("admin:index")), Crumb("Advanced")],
            app_list=self.get_app_list(request),
        )

    def switch_organization_view(self, request: HttpRequest) -> HttpResponse:
        try:
            tenant = Tenant.objects.filter(pk=uuid.UUID(request.POST.get("organization", ""))).first()
        except ValueError:
            tenant = None
        if tenant is None or not request.user.is_superuser:
            messages.error(request, "Choose one of the organizations in the list.")
        else:
            request.session[ORGANIZATION_SESSION_KEY] = str(tenant.pk)
            messages.success(request, f"Switched to {tenant.display_name}.")
        return HttpResponseRedirect(reverse("admin:index"))
