"""The Graph URLconf, built from the route table (graph.api.OPERATIONS): one view per path."""

import re
from importlib import import_module
from itertools import groupby

from django.urls import URLPattern, path

from graph import api, openapi

# One module per Graph resource; importing it adds its operations to the route table.
RESOURCE_MODULES = ("users", "me", "invitations", "groups", "service_principals", "audit_logs", "organization")
for module in RESOURCE_MODULES:
    import_module(f"graph.{module}")

app_name = "graph"


def _django_path(graph_path: str) -> str:
    # "/users/{user-id}" -> "users/<str:user_id>"
    return re.sub(r"\{([a-z-]+)\}", lambda m: f"<str:{m[1].replace('-', '_')}>", graph_path.lstrip("/"))


def _patterns() -> list[URLPattern]:
    by_path = sorted(api.OPERATIONS, key=lambda op: op.path)
    return [
        path(_django_path(graph_path), api.dispatcher({op.method: op for op in ops}))
        for graph_path, ops in ((p, list(o)) for p, o in groupby(by_path, key=lambda op: op.path))
    ]


urlpatterns = [
    path("$openapi", openapi.openapi_view, name="openapi"),
    *_patterns(),
    path("<path:rest>", api.unknown_resource),
]
