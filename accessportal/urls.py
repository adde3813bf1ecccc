from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from portal.forms import AdminSignInForm

admin.site.login_form = AdminSignInForm


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    # Pages without a <link rel="icon"> (the admin's) make browsers ask for /favicon.ico;
    # a 404 there is a console error on every admin page. Resolved per request: the
    # static name is hashed in production.
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("invitations/", include("invitations.urls")),
    path("v1.0/", include("graph.urls")),
    path("", include("signin.urls")),
    path("", include("samlidp.urls")),
    path("", include("portal.urls")),
]
