"""The OpenAPI description of this Graph subset, generated from the route table and the schemas.

Paths and methods come from graph.api.OPERATIONS, response shapes from each Resource's
properties, request bodies from the pydantic models the dispatcher validates with: the
description can't drift from what the server does.
"""

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from graph.api import OPERATIONS, Operation
from graph.resources import Resource

COLLECTION_PARAMETERS = [
    {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 999}},
    {"name": "$skiptoken", "in": "query", "schema": {"type": "string"}},
    {"name": "$select", "in": "query", "schema": {"type": "string"}},
    {"name": "$filter", "in": "query", "schema": {"type": "string"}},
    {"name": "$count", "in": "query", "schema": {"type": "boolean"}},
    {"name": "$orderby", "in": "query", "schema": {"type": "string", "enum": ["displayName", "displayName desc"]}},
    {"name": "ConsistencyLevel", "in": "header", "schema": {"type": "string", "enum": ["eventual"]}},
]
ERROR = {"$ref": "#/components/responses/error"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "innerError": {"type": "object"},
            },
        }
    },
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _responses(op: Operation) -> dict:
    errors = {str(status): ERROR for status in (400, 401, 403, 404, 429)}
    if op.resource is None:
        return {"204": {"description": "Success, no content."}, **errors}
    schema = _ref(op.resource.name)
    if op.collection:
        schema = {
            "type": "object",
            "properties": {
                "@odata.context": {"type": "string"},
                "@odata.count": {"type": "integer"},
                "@odata.nextLink": {"type": "string"},
                "value": {"type": "array", "items": schema},
            },
        }
    content = {"application/json": {"schema": schema}}
    return {str(op.status): {"description": op.summary, "content": content}, **errors}


def _operation(op: Operation) -> dict:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{([a-z-]+)\}", op.path)
    ]
    if op.collection:
        parameters += COLLECTION_PARAMETERS
    elif op.resource is not None:
        parameters.append(COLLECTION_PARAMETERS[2])
    described = {
        "summary": op.summary,
        "operationId": op.handler.__name__,
        "parameters": parameters,
        "security": [{"bearer": []}],
        "x-permissions": list(op.permissions),
        "responses": _responses(op),
    }
    if op.body is not None:
        schema = _ref(op.body.__name__)
        described["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return described


def description(server_url: str) -> dict:
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    resources: dict[str, Resource] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
        if op.resource is not None:
            resources[op.resource.name] = op.resource
        if op.body is not None:
            body = op.body.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            schemas.update(body.pop("$defs", {}))
            schemas[op.body.__name__] = body
    schemas.update({name: resource.openapi_schema() for name, resource in resources.items()})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Access Portal: Microsoft Graph v1.0 subset",
            "version": "v1.0",
            "description": "The part of Microsoft Graph v1.0 this server answers, for msgraph-sdk and scripts.",
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted({**schemas, "error": ERROR_SCHEMA}.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "responses": {
                "error": {
                    "description": "Graph's error body.",
                    "content": {"application/json": {"schema": _ref("error")}},
                }
            },
        },
    }


@require_GET
def openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(description(request.build_absolute_uri("/v1.0")), json_dumps_params={"ensure_ascii": False})
