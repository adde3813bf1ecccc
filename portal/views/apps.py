import uuid

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static

from directory.models import Application
from directory.selectors import apps_for_user
from portal.forms import SignInForm
from portal.tenancy import directory_user_required


class SignInView(auth_views.LoginView):
    template_name = "portal/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@directory_user_required
def my_apps(request: HttpRequest) -> HttpResponse:
    apps = list(apps_for_user(user=request.directory_user))
    return render(request, "portal/my_apps.html", {"apps": apps})


@directory_user_required
def app_logo(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    application = get_object_or_404(Application, pk=app_id, tenant_id=request.directory_user.tenant_id)
    if not application.logo:
        return HttpResponseRedirect(static("img/app-placeholder.svg"))
    response = HttpResponse(bytes(application.logo), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
