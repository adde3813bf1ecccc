"""The project's URLs and the framework floor: the least a signed-in page can cost here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accessportal.urls import urlpatterns as project_urlpatterns


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """Reads request.user through the same middleware as every page, and renders nothing."""
    return HttpResponse(f"Hello {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *project_urlpatterns]
