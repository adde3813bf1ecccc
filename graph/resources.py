"""How a Graph resource is described once: its properties drive serializing, $select, $filter and OpenAPI.

A `Prop` names a Graph property exactly (camelCase), says how to read it from the model
object, and, when the property may appear in $filter, which Django field it maps to.
Nothing outside this whitelist reaches the ORM.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def graph_datetime(value: datetime | None) -> str | None:
    """Graph's DateTimeOffset: UTC with a Z."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Prop:
    name: str
    type: str
    get: Callable[[Any], Any]
    filter_field: str = ""
    # For OpenAPI: the shape of an object or of an array's items.
    schema: dict = field(default_factory=dict)

    def openapi(self) -> dict:
        if self.schema:
            return self.schema
        formats = {"uuid": ("string", "uuid"), "date-time": ("string", "date-time")}
        if self.type in formats:
            kind, fmt = formats[self.type]
            return {"type": kind, "format": fmt, "nullable": True}
        return {"type": self.type, "nullable": True}


@dataclass(frozen=True)
class Resource:
    """One Graph entity type: `user` in the entity set `users`."""

    name: str
    entity_set: str
    props: tuple[Prop, ...]

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.name}"

    @property
    def prop_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.props)

    @property
    def filter_fields(self) -> dict[str, str]:
        return {p.name: p.filter_field for p in self.props if p.filter_field}

    def serialize(self, obj: Any, select: tuple[str, ...] = ()) -> dict:
        props = [p for p in self.props if p.name in select] if select else self.props
        data = {"@odata.type": self.odata_type} if not select else {}
        data.update({p.name: p.get(obj) for p in props})
        if select and "id" not in select:
            data["id"] = self.props[0].get(obj)
        return data

    def openapi_schema(self) -> dict:
        return {
            "type": "object",
            "title": self.name,
            "properties": {p.name: p.openapi() for p in self.props},
        }
