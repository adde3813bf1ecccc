"""The sign-in error page, as Entra shows it: the code, its text, the request id and the time."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from signin.policy import SignInRefused


def render_error(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    context = {
        "refused": refused,
        "application": refused.application,
        "timestamp": refused.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return render(request, "signin/error.html", context, status=refused.status)
