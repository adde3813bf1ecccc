"""The route table of the Graph API and the one dispatcher every request goes through.

Each resource module declares its operations with `@operation(...)`, naming the Graph
path, the permissions any one of which allows the call, the pydantic body it accepts and
the resource it answers with. The dispatcher authenticates, throttles, checks the
permission, parses the body and turns every refusal into Graph's error body, so a view is
only the service call. The same table drives the URLconf and the OpenAPI description.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accessportal.middleware import protocol_endpoint
from graph import auth
from graph.errors import (
    BAD_REQUEST,
    GraphError,
    bad_request,
    client_request_id,
    error_response,
    not_found,
    request_id,
)
from graph.odata import context_url, parse_select, unsupported
from graph.resources import Resource

MAX_BODY_BYTES = 65_536
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
COLLECTION_OPTIONS = frozenset({"$top", "$skiptoken", "$select", "$filter", "$count", "$orderby"})
ENTITY_OPTIONS = frozenset({"$select"})


class GraphBody(BaseModel):
    """A request body: Graph's property names exactly, nothing else, JSON types strictly."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    odata_type: str | None = Field(default=None, alias="@odata.type", max_length=100)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Callable[..., Any]
    permissions: tuple[str, ...]
    body: type[GraphBody] | None
    resource: Resource | None
    collection: bool
    status: int

    @property
    def summary(self) -> str:
        return (self.handler.__doc__ or "").strip().splitlines()[0]


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    path: str,
    *,
    permissions: tuple[str, ...],
    body: type[GraphBody] | None = None,
    resource: Resource | None = None,
    collection: bool = False,
    status: int = 200,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers a handler for `method path`; it returns a dict (the JSON body) or None (204)."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(Operation(method, path, handler, permissions, body, resource, collection, status))
        return handler

    return register


# Request parsing ---------------------------------------------------------------


def _check_query(request: HttpRequest) -> None:
    """Graph is a protocol endpoint (accessportal.middleware.protocol_endpoint): its query arrives as sent,
    since a long $filter cut to search-box length would silently become a different one. A control
    character is refused here; length is checked where each option is parsed."""
    for key, values in request.GET.lists():
        if any(_CONTROL_CHARACTERS.search(v) for v in [key, *values]):
            raise bad_request(f"The query option '{_CONTROL_CHARACTERS.sub('', key)[:40]}' holds control characters.")


def _check_options(request: HttpRequest, op: Operation) -> None:
    allowed = COLLECTION_OPTIONS if op.collection else ENTITY_OPTIONS if op.resource else frozenset()
    for key in request.GET:
        if key.startswith("$") and key not in allowed:
            raise unsupported(f"Query option '{key[:40]}' is not supported on this request.")


def _body_error(error: ValidationError) -> GraphError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
    if first["type"] == "extra_forbidden":
        return bad_request(f"Property '{where[:80]}' does not exist as a declared property or extension property.")
    if first["type"] == "missing":
        return bad_request(f"The property '{where}' is required.")
    if first["type"].startswith("json"):
        return bad_request("The request body isn't valid JSON.")
    if first["type"] == "model_type":
        return bad_request(f"'{where or 'The body'}' must be a JSON object.")
    return bad_request(f"Invalid value for property '{where}': {first['msg']}.")


def _parse_body(request: HttpRequest, model: type[GraphBody]) -> GraphBody:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise bad_request(f"The request body is too large: at most {MAX_BODY_BYTES:,} bytes.")
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise bad_request(f"The request body is too large: at most {MAX_BODY_BYTES:,} bytes.") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise bad_request(f"The request body is too large: at most {MAX_BODY_BYTES:,} bytes.")
    if not raw.strip():
        raise bad_request("Write requests require a JSON body.")
    if request.content_type != "application/json":
        raise GraphError(415, BAD_REQUEST, "Send the body as application/json.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise _body_error(error) from error


def parse_id(value: str) -> uuid.UUID:
    """An object id in a path or a reference: a GUID, else 400."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad_request(f"Invalid object identifier '{value[:80]}'.") from None


# Responses -----------------------------------------------------------------------


def entity(request: HttpRequest, resource: Resource, obj: object, *, context: str) -> dict:
    """One object in Graph's shape with its @odata.context, honouring $select."""
    select = parse_select(request, resource)
    return {"@odata.context": context_url(request, context), **resource.serialize(obj, select)}


def get_or_404(queryset: QuerySet, key: object, **lookup: object) -> Any:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise not_found(key)
    return found


def _respond(request: HttpRequest, op: Operation, result: dict | None) -> HttpResponse:
    if result is None:
        return HttpResponse(status=204)
    return JsonResponse(result, status=op.status, json_dumps_params={"ensure_ascii": False})


def dispatcher(operations: dict[str, Operation]) -> Callable[..., HttpResponse]:
    """The Django view of one path: picks the operation by method and runs it."""

    @protocol_endpoint
    @csrf_exempt
    @never_cache
    def view(request: HttpRequest, **params: str) -> HttpResponse:
        try:
            op = operations.get(request.method or "")
            if op is None:
                allowed = ", ".join(sorted(operations))
                raise GraphError(405, BAD_REQUEST, f"The {request.method} method isn't supported here; use {allowed}.")
            _check_query(request)
            request.caller = auth.authenticate(request)
            auth.throttle(request.caller)
            auth.check_permission(request.caller, op.permissions)
            _check_options(request, op)
            request.data = _parse_body(request, op.body) if op.body else None
            response = _respond(request, op, op.handler(request, **params))
        except GraphError as error:
            response = error_response(request, error)
        except DjangoValidationError as error:
            # The services' refusals (PolicyError) and their models' full_clean: a sentence for the caller.
            response = error_response(request, bad_request(" ".join(error.messages)))
        return _with_request_ids(request, response)

    return view


def _with_request_ids(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Graph's request-id header on every answer, and the client's client-request-id echoed back."""
    response["request-id"] = request_id(request)
    if cid := client_request_id(request):
        response["client-request-id"] = cid
    return response


@csrf_exempt
def unknown_resource(request: HttpRequest, rest: str) -> HttpResponse:
    """A path under /v1.0/ that this subset doesn't serve: Graph's answer rather than an HTML 404 page."""
    segment = rest.strip("/").rsplit("/", 1)[-1]
    response = error_response(request, bad_request(f"Resource not found for the segment '{segment[:80]}'."))
    return _with_request_ids(request, response)
