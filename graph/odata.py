"""OData query options on collections: $top, $skiptoken, $select, $filter, $count, $orderby.

$filter is parsed by odata-query; a transformer first checks every node against what
Graph supports here (eq, ne, in, startswith, and/or/not, and comparisons for dates) and
renames each property through the resource's whitelist, so a query names only fields
the resource chose to expose. The skiptoken is an offset signed with the site's key.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Q, QuerySet, lookups
from django.http import HttpRequest
from odata_query import ast
from odata_query import exceptions as odata_exceptions
from odata_query.django.django_q import AstToDjangoQVisitor
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.visitor import NodeTransformer

from graph.errors import UNSUPPORTED_QUERY, GraphError, bad_request
from graph.resources import Resource

MAX_TOP = 999
DEFAULT_TOP = 100
MAX_FILTER_LENGTH = 2_000
SKIPTOKEN_SALT = "graph.skiptoken"

_ALLOWED_NODES = (
    ast.Identifier,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.In,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Call,
    ast.String,
    ast.Boolean,
    ast.Integer,
    ast.GUID,
    ast.DateTime,
    ast.Date,
    ast.Null,
    ast.List,
)


def unsupported(message: str) -> GraphError:
    return GraphError(400, UNSUPPORTED_QUERY, message)


# Which literals each property type compares with, and with which operators.
_LITERALS = {
    "string": (ast.String,),
    "boolean": (ast.Boolean,),
    "uuid": (ast.GUID,),
    "date-time": (ast.DateTime, ast.Date),
}
_EQUALITY = (ast.Eq, ast.NotEq, ast.In)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class _Whitelist(NodeTransformer):
    """Refuses what this API doesn't support and maps Graph property names to Django fields.

    Each comparison must be `property operator literal` with a literal of the property's type,
    so nothing reaches the database that it would refuse (PostgreSQL compares no timestamp with
    a number).
    """

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.props = {p.name: p for p in resource.props if p.filter_field}

    def visit(self, node: ast._Node) -> ast._Node:
        if not isinstance(node, _ALLOWED_NODES):
            raise unsupported(f"Unsupported query: {type(node).__name__} is not supported in $filter here.")
        return super().visit(node)

    def _prop(self, node: ast._Node):
        if not isinstance(node, ast.Identifier) or node.namespace or node.name not in self.props:
            name = node.full_name() if isinstance(node, ast.Identifier) else type(node).__name__
            raise unsupported(
                f"Unsupported or invalid query filter clause specified for property '{name}' "
                f"of resource '{self.resource.name}'."
            )
        return self.props[node.name]

    def _check_literal(self, prop, node: ast._Node) -> None:
        values = node.val if isinstance(node, ast.List) else [node]
        for value in values:
            if not isinstance(value, _LITERALS.get(prop.type, ()) + (ast.Null,)):
                raise bad_request(f"Invalid filter clause: {prop.name} compares with a {prop.type} value.")

    def visit_Identifier(self, node: ast.Identifier) -> ast._Node:
        return ast.Identifier(self._prop(node).filter_field)

    def visit_Compare(self, node: ast.Compare) -> ast._Node:
        prop = self._prop(node.left)
        allowed = _EQUALITY + _ORDERING if prop.type == "date-time" else _EQUALITY
        if not isinstance(node.comparator, allowed):
            raise unsupported(f"Unsupported query: {prop.name} supports only {', '.join(_names(allowed))}.")
        if isinstance(node.comparator, ast.In) != isinstance(node.right, ast.List):
            raise bad_request("Invalid filter clause: use in with a list, such as mail in ('a@b.com', 'c@d.com').")
        self._check_literal(prop, node.right)
        return ast.Compare(node.comparator, self.visit(node.left), node.right)

    def visit_Call(self, node: ast.Call) -> ast._Node:
        if node.func.full_name() != "startswith" or len(node.args) != 2:
            raise unsupported(f"Unsupported function '{node.func.full_name()}' in $filter; use startswith.")
        prop = self._prop(node.args[0])
        if prop.type != "string" or not isinstance(node.args[1], ast.String):
            raise bad_request("Invalid filter clause: startswith takes a text property and a text value.")
        return ast.Call(node.func, [self.visit(node.args[0]), node.args[1]])


def _names(comparators: tuple) -> list[str]:
    return [
        {"Eq": "eq", "NotEq": "ne", "In": "in", "Lt": "lt", "LtE": "le", "Gt": "gt", "GtE": "ge"}[c.__name__]
        for c in comparators
    ]


class _CaseInsensitiveQ(AstToDjangoQVisitor):
    """Directory queries compare strings ignoring case, as Azure's directory does."""

    def visit_Compare(self, node: ast.Compare) -> lookups.Lookup:
        if isinstance(node.right, ast.String) and isinstance(node.comparator, ast.Eq | ast.NotEq):
            lookup = lookups.IExact(self.visit(node.left), node.right.py_val)
            return lookup if isinstance(node.comparator, ast.Eq) else ~Q(lookup)
        return super().visit_Compare(node)

    def djangofunc_startswith(self, field: ast._Node, substr: ast._Node) -> lookups.Lookup:
        return self._substr_function(field, substr, lookups.IStartsWith)


def parse_filter(text: str, resource: Resource) -> Q:
    if len(text) > MAX_FILTER_LENGTH:
        raise bad_request("Invalid filter clause: the filter is too long.")
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
    except odata_exceptions.ODataException as exc:
        raise bad_request(f"Invalid filter clause: {exc}") from exc
    if tree is None:
        raise bad_request("Invalid filter clause: the filter is empty.")
    tree = _Whitelist(resource).visit(tree)
    try:
        # The root model matters only to any/all lambdas, which the whitelist refuses.
        q = _CaseInsensitiveQ(None).visit(tree)
    except (odata_exceptions.ODataException, TypeError, ValueError) as exc:
        raise bad_request(f"Invalid filter clause: {exc}") from exc
    return q if isinstance(q, Q) else Q(q)


@dataclass(frozen=True)
class ListQuery:
    top: int
    offset: int
    select: tuple[str, ...]
    filter: Q | None
    count: bool
    descending: bool | None


def _top(request: HttpRequest) -> int:
    value = request.GET.get("$top")
    if value is None:
        return DEFAULT_TOP
    if not value.isdigit() or not 1 <= int(value) <= MAX_TOP:
        raise bad_request(f"Invalid page size specified: '{value[:20]}'. Must be between 1 and {MAX_TOP} inclusive.")
    return int(value)


def _offset(request: HttpRequest) -> int:
    token = request.GET.get("$skiptoken")
    if token is None:
        return 0
    try:
        return int(signing.loads(token, salt=SKIPTOKEN_SALT + request.path))
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise bad_request("The $skiptoken is not valid. Follow @odata.nextLink as returned.") from exc


def parse_select(request: HttpRequest, resource: Resource) -> tuple[str, ...]:
    value = request.GET.get("$select")
    if not value:
        return ()
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in resource.prop_names]
    if unknown:
        raise bad_request(f"Could not find a property named '{unknown[0][:80]}' on type '{resource.odata_type[1:]}'.")
    return names


def _descending(request: HttpRequest, resource: Resource) -> bool | None:
    value = request.GET.get("$orderby")
    if value is None:
        return None
    parts = value.split()
    if (
        "displayName" not in resource.filter_fields
        or not parts
        or parts[0] != "displayName"
        or len(parts) > 2
        or parts[1:] not in ([], ["asc"], ["desc"])
    ):
        raise unsupported("Unsupported query: $orderby supports only displayName, asc or desc.")
    return parts[1:] == ["desc"]


def parse_list_query(request: HttpRequest, resource: Resource) -> ListQuery:
    count = request.GET.get("$count")
    if count not in (None, "true", "false"):
        raise bad_request("$count must be true or false.")
    if count == "true" and request.headers.get("ConsistencyLevel", "").lower() != "eventual":
        raise unsupported("$count=true requires the header ConsistencyLevel: eventual.")
    text = request.GET.get("$filter")
    return ListQuery(
        top=_top(request),
        offset=_offset(request),
        select=parse_select(request, resource),
        filter=parse_filter(text, resource) if text else None,
        count=count == "true",
        descending=_descending(request, resource),
    )


def context_url(request: HttpRequest, fragment: str) -> str:
    return request.build_absolute_uri(f"/v1.0/$metadata#{fragment}")


def page(request: HttpRequest, queryset: QuerySet, resource: Resource, *, context: str) -> dict:
    """One page of a collection in Graph's shape, with @odata.nextLink while more remain."""
    query = parse_list_query(request, resource)
    if query.filter is not None:
        queryset = queryset.filter(query.filter)
    if query.descending is not None:
        queryset = queryset.order_by("-display_name" if query.descending else "display_name", "pk")
    body: dict = {"@odata.context": context_url(request, context)}
    if query.count:
        body["@odata.count"] = queryset.count()
    rows = list(queryset[query.offset : query.offset + query.top + 1])
    more = len(rows) > query.top
    body["value"] = [resource.serialize(row, query.select) for row in rows[: query.top]]
    if more:
        params = {key: value for key, value in request.GET.items() if key != "$skiptoken"}
        params["$skiptoken"] = signing.dumps(query.offset + query.top, salt=SKIPTOKEN_SALT + request.path)
        body["@odata.nextLink"] = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    return body
