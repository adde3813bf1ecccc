"""Graph's `/me`: the signed-in person of a delegated token (an OpenID Connect sign-in with User.Read)."""

from django.http import HttpRequest

from graph.api import entity, operation
from graph.errors import bad_request
from graph.users import USER

APP_ONLY = "/me request is only valid with delegated authentication flow."


@operation("GET", "/me", permissions=("User.Read", "User.Read.All", "User.ReadWrite.All"), resource=USER)
def get_me(request: HttpRequest) -> dict:
    """Get the signed-in user"""
    if request.caller.user is None:
        raise bad_request(APP_ONLY)
    return entity(request, USER, request.caller.user, context="users/$entity")
