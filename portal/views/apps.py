import uuid

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accessportal.links import local_next
from directory.logos import logo_png
from directory.models import Application, SingleSignOnMode
from portal.access_requests import may_launch
from portal.forms import SignInEmailForm, SignInForm
from portal.selectors import user_apps
from portal.tenancy import directory_user_required
from portal.tiles import cached_tiles, render_tiles
from samlidp import signon
from signin import codes
from signin.errors import render_error
from signin.policy import SignInRefused
from signin.services import record_portal_sign_in

MAX_QUERY_LENGTH = 256
VIEWS = ("grid", "list")


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


@directory_user_required
def my_apps(request: HttpRequest) -> HttpResponse:
    user = request.directory_user
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    view = request.GET.get("view", "")
    if query:
        tiles = render_tiles(request, user_apps(user).filter(display_name__icontains=query))
        has_any_app = bool(tiles.count) or bool(cached_tiles(request, user).count)
    else:
        tiles = cached_tiles(request, user)
        has_any_app = bool(tiles.count)
    context = {
        "tiles": tiles,
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
    application = get_object_or_404(user_apps(request.directory_user).select_related("tenant"), pk=app_id)
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
