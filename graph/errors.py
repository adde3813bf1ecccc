"""Graph's error body, the one way every failure of the API is answered.

{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}
"""

import uuid

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

BAD_REQUEST = "Request_BadRequest"
NOT_FOUND = "Request_ResourceNotFound"
DENIED = "Authorization_RequestDenied"
INVALID_TOKEN = "InvalidAuthenticationToken"
UNSUPPORTED_QUERY = "Request_UnsupportedQuery"
THROTTLED = "TooManyRequests"


class GraphError(Exception):
    """Raised anywhere below a Graph view; the dispatcher turns it into the error body."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def request_id(request: HttpRequest) -> str:
    """One id per request, echoed in the error body and the request-id header (as Graph does)."""
    if not hasattr(request, "graph_request_id"):
        request.graph_request_id = str(uuid.uuid4())
    return request.graph_request_id


def client_request_id(request: HttpRequest) -> str:
    value = request.headers.get("client-request-id", "")
    # Echo only a GUID: the header is the client's, and it goes back out in a header and a body.
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def error_response(request: HttpRequest, error: GraphError) -> JsonResponse:
    inner = {
        "date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id(request),
        "client-request-id": client_request_id(request),
    }
    response = JsonResponse(
        {"error": {"code": error.code, "message": error.message, "innerError": inner}}, status=error.status
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


def not_found(key: object) -> GraphError:
    return GraphError(
        404,
        NOT_FOUND,
        f"Resource '{str(key)[:80]}' does not exist or one of its queried reference-property objects are not present.",
    )


def bad_request(message: str) -> GraphError:
    return GraphError(400, BAD_REQUEST, message)
