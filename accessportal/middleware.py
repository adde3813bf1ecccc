"""Request cleaning that every view relies on."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve

from accessportal.links import links_follow

# C0 controls, DEL and C1 controls, except tab, line feed and carriage return, which
# textareas legitimately send. PostgreSQL refuses NUL in text outright (a 500 on any
# search box), and the others have no business in names, searches or messages either.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Query parameters are searches, page numbers and `next` paths: none is meant to be longer. A
# longer search would only be echoed back in full, or refused by SQLite ("LIKE pattern too complex").
MAX_QUERY_VALUE_LENGTH = 1024


def _cleaned(data: QueryDict, *, max_length: int | None = None) -> QueryDict:
    def clean(value: str) -> str:
        return _CONTROL_CHARACTERS.sub("", value)[:max_length]

    if not any(clean(key) != key or any(clean(v) != v for v in values) for key, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(clean(key), [clean(value) for value in values])
    cleaned._mutable = False
    return cleaned


def protocol_endpoint(view: Callable) -> Callable:
    """Marks a view of a protocol (OpenID Connect, SAML, Graph): it receives its parameters as the client
    sent them, because cutting a SAMLRequest, a signature, an id_token_hint or a $filter would corrupt it.
    Such a view refuses over-long values and control characters itself, with the protocol's error."""
    view.protocol_endpoint = True
    return view


def _is_protocol_endpoint(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "protocol_endpoint", False)


def control_characters_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Strip control characters from every query parameter and form field, and cap query parameters' length
    (protocol endpoints excepted: see protocol_endpoint)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if _is_protocol_endpoint(request):
            return get_response(request)
        request.GET = _cleaned(request.GET, max_length=MAX_QUERY_VALUE_LENGTH)
        if request.method == "POST" and request.content_type in _FORM_CONTENT_TYPES:
            request.POST = _cleaned(request.POST)
        return get_response(request)

    return middleware


def demo_links_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """In demo mode, links in the emails a request sends point where the demo is being served."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if not settings.DEMO_MODE:
            return get_response(request)
        with links_follow(request):
            return get_response(request)

    return middleware
