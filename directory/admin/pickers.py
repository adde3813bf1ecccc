"""The picker panels' reads: people and groups matching a search, a page at a time."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from directory.models import DirectoryUser, Group

PICKER_LIMIT = 50


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    detail: str = ""
    checked: bool = False


def uuids(values: Iterable[str]) -> list[uuid.UUID]:
    """The values that are object IDs; anything else a browser sent is ignored."""
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _page(queryset: QuerySet) -> tuple[list, bool]:
    rows = list(queryset[: PICKER_LIMIT + 1])
    return rows[:PICKER_LIMIT], len(rows) > PICKER_LIMIT


def people_matching(queryset: QuerySet[DirectoryUser], q: str) -> tuple[list[DirectoryUser], bool]:
    """Users whose name, email or user principal name contains q; and whether there are more than a page."""
    if q:
        queryset = queryset.filter(
            Q(display_name__icontains=q) | Q(mail__icontains=q) | Q(user_principal_name__icontains=q)
        )
    return _page(queryset.order_by("display_name", "mail"))


def groups_matching(queryset: QuerySet[Group], q: str) -> tuple[list[Group], bool]:
    if q:
        queryset = queryset.filter(Q(display_name__icontains=q) | Q(description__icontains=q))
    return _page(queryset.order_by("display_name"))
