import uuid
from collections.abc import Callable

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accessportal.links import local_next
from directory.logos import logo_png
from directory.models import Application, DirectoryUser, GroupOwner, SingleSignOnMode
from directory.selectors import apps_for_user
from portal.access_requests import may_launch
from portal.forms import SignInEmailForm, SignInForm
from portal.tenancy import directory_user_required
from portal.tiles import render_tiles
from samlidp import signon
from signin import codes
from signin.errors import render_error
from signin.policy import SignInRefused
from signin.services import record_portal_sign_in

MAX_QUERY_LENGTH = 256
VIEWS = ("grid", "list")
TILE_FIELDS = ("id", "tenant_id", "display_name", "logo_hash", "self_service_enabled", "self_service_group_id")


class LocalNextMixin:
    """Where to go after signing in or out: Django's check, through the site's one `next` rule."""

    def get_redirect_url(self) -> str:
        return local_next(self.request, "")


class SignInView(LocalNextMixin, auth_views.LoginView):
    """Microsoft's two steps, email address → **Next** → password, as plain form posts (no JavaScript needed).

    Signing in succeeds in form_valid and fails in form_invalid (wrong password, lockout, disabled account).
    """

    template_name = "portal/sign_in.html"
    redirect_authenticated_user = True

    def get_form_class(self) -> type[SignInForm | SignInEmailForm]:
        return SignInForm if "password" in self.request.POST else SignInEmailForm

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        form = self.get_form()
        if not isinstance(form, SignInEmailForm):
            return super().post(request, *args, **kwargs)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        # Whether the address has an account is not revealed: every address is asked for a password.
        password_form = SignInForm(request, initial={"username": form.cleaned_data["username"]})
        return self.render_to_response(self.get_context_data(form=password_form))

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["password_step"] = isinstance(form, SignInForm)
        context["email"] = form.data.get("username", "") if form.is_bound else form.initial.get("username", "")
        return context

    # Every portal sign-in, refused ones included, goes to the sign-in log.
    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        record_portal_sign_in(request=self.request, email=form.get_user().email)
        return response

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        locked = form.has_error(NON_FIELD_ERRORS, code="locked")
        record_portal_sign_in(
            request=self.request,
            email=form.data.get("username", ""),
            error=codes.ACCOUNT_LOCKED if locked else codes.INVALID_CREDENTIALS,
        )
        return super().form_invalid(form)


class SignOutView(LocalNextMixin, auth_views.LogoutView):
    pass


def direct_link(request: HttpRequest, application: Application) -> str:
    """The launch link with the tenant in it, so it works for someone signed in to another organization."""
    return request.build_absolute_uri(reverse("portal:launch", args=[application.pk])) + (
        f"?tenantid={application.tenant_id}"
    )


OBJECT_ID_PLACEHOLDER = str(uuid.UUID(int=0))
VERSION_PLACEHOLDER = "0" * 16


def url_for_each(
    name: str, *, placeholders: tuple[str, ...] = (OBJECT_ID_PLACEHOLDER,), absolute_to: HttpRequest | None = None
) -> Callable[..., str]:
    """The URL named `name` for any arguments, reversed once: a page of tiles then joins strings."""
    url = reverse(name, args=placeholders)
    if absolute_to is not None:
        url = absolute_to.build_absolute_uri(url)
    parts = []
    for placeholder in placeholders:
        before, _, url = url.partition(placeholder)
        parts.append(before)

    def build(*values: object) -> str:
        return "".join(f"{part}{value}" for part, value in zip(parts, values, strict=True)) + url

    return build


def _my_apps(user: DirectoryUser):
    # Manage app is offered on the same terms as portal.selectors.managed_applications grants it.
    owns_group = GroupOwner.objects.filter(group_id=OuterRef("self_service_group_id"), user=user)
    return (
        apps_for_user(user=user)
        .defer("logo", "notes")
        .annotate(is_owner=Exists(owns_group) & Q(self_service_enabled=True))
    )


@directory_user_required
def my_apps(request: HttpRequest) -> HttpResponse:
    user = request.directory_user
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    view = request.GET.get("view", "")
    apps_qs = _my_apps(user)
    if query:
        apps_qs = apps_qs.filter(display_name__icontains=query)
    # Only what a tile shows: 100 full rows cost more to read than the page costs to render.
    apps = list(apps_qs.only(*TILE_FIELDS))
    launch_url = url_for_each("portal:launch")
    absolute_launch_url = url_for_each("portal:launch", absolute_to=request)
    details_url = url_for_each("portal:app-details")
    logo_url = url_for_each("portal:app-logo", placeholders=(OBJECT_ID_PLACEHOLDER, VERSION_PLACEHOLDER))
    manage_url = url_for_each("portal:manage-app")
    for app in apps:
        app.tile_url = launch_url(app.pk)
        app.details_url = details_url(app.pk)
        app.logo_url = logo_url(app.pk, app.logo_hash) if app.logo_hash else ""
        app.direct_link = f"{absolute_launch_url(app.pk)}?tenantid={app.tenant_id}"
        app.manage_url = manage_url(app.pk) if app.is_owner else ""
    has_any_app = bool(apps) or (bool(query) and _my_apps(user).exists())
    context = {
        "apps": apps,
        "tiles": render_tiles(apps),
        "query": query,
        "view": view if view in VIEWS else "grid",
        "view_explicit": view in VIEWS,
        "has_any_app": has_any_app,
    }
    return render(request, "portal/my_apps.html", context)


def _refusal(request: HttpRequest, application: Application, *, status: int = 403) -> HttpResponse:
    return render(request, "portal/access_denied.html", {"application": application}, status=status)


def _launchable(request: HttpRequest, app_id: uuid.UUID) -> tuple[Application, bool]:
    application = get_object_or_404(
        Application.objects.defer("logo").select_related("tenant"),
        pk=app_id,
        tenant_id=request.directory_user.tenant_id,
    )
    return application, may_launch(user=request.directory_user, application=application)


@directory_user_required
def launch(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    application, allowed = _launchable(request, app_id)
    if not allowed:
        return _refusal(request, application)
    if application.single_sign_on_mode in {SingleSignOnMode.DISABLED, SingleSignOnMode.PASSWORD}:
        # Nothing signs the person in, so the tile says so instead of pretending it did.
        return render(request, "portal/launch_unavailable.html", {"application": application}, status=409)
    if application.single_sign_on_mode == SingleSignOnMode.SAML and not application.sign_on_url:
        # As Entra: with a Sign on URL the tile goes there (SP-initiated, launch_url below); without one
        # it is IdP-initiated, an unsolicited signed response posted to the Reply URL.
        try:
            response = signon.idp_initiated(request, application=application, account=request.user)
        except SignInRefused as refused:
            return render_error(request, refused)
        if response is not None:
            return response
    url = application.launch_url
    if not url:
        return render(request, "portal/access_denied.html", {"application": application, "no_url": True})
    return redirect(url)


@directory_user_required
def sample_app(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    application, allowed = _launchable(request, app_id)
    if not allowed:
        return _refusal(request, application)
    return render(request, "portal/sample_app.html", {"application": application})


@directory_user_required
def app_details(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    application = get_object_or_404(_my_apps(request.directory_user).select_related("tenant"), pk=app_id)
    context = {
        "application": application,
        "direct_link": direct_link(request, application),
        "manage_url": reverse("portal:manage-app", args=[application.pk]) if application.is_owner else "",
    }
    return render(request, "portal/app_details.html", context)


@require_GET
def app_logo(request: HttpRequest, app_id: uuid.UUID, version: str) -> HttpResponse:
    """An app's logo at its content-hashed URL, public and cached forever like a static file.

    No sign-in, as Azure serves logos from a public CDN: the URL holds the app's random object ID
    and the logo's hash, and a logo is no secret. Read once per process (directory.logos.logo_png).
    """
    etag = f'"{version}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    png = logo_png(app_id=app_id, version=version)
    if png is None:
        raise Http404("This app has no such logo.")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["ETag"] = etag
    return response
