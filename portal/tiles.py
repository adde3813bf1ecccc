"""The My Apps tiles: formatted as strings, and kept per process under the tenant's apps version.

Through the template engine a tile costs about a hundred microseconds (a dozen variable nodes,
each resolved and escaped), which made 100 tiles most of the page's time. The same markup as
one format string, every value escaped as Django's `escape` does (html.escape), costs a few microseconds.

Reading and formatting 100 tiles still costs several milliseconds a page, so a user's tiles are
kept in this process, keyed by the user, the tenant's apps version (directory.models.AppsChange,
read with the directory user) and the address the page was asked for. Any committed change to an
app, an assignment, a membership or a group owner in the tenant changes the version, so a
cached list is never shown after what it shows has changed, in this process or any other.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from cachetools import LRUCache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from directory.models import Application, DirectoryUser
from portal.selectors import user_apps

# Only what a tile shows: 100 full rows cost more to read than the page costs to render.
TILE_FIELDS = ("id", "tenant_id", "display_name", "logo_hash", "self_service_enabled", "self_service_group_id")
# About 1 KB a tile: a few thousand people's pages per worker.
CACHE_BYTES = 32 * 1024 * 1024

_TILE = (
    '<li class="tile" data-app-name="{search_name}">'
    '<a class="tile__link" href="{tile_url}">{logo}<span class="tile__name">{name}</span></a>'
    '<div class="menu" data-menu>'
    '<button type="button" class="tile__more" aria-haspopup="menu" aria-expanded="false" '
    'aria-controls="menu-{pk}" id="menu-button-{pk}">'
    '<span aria-hidden="true">…</span><span class="visually-hidden">More options for {name}</span></button>'
    '<ul class="menu__list" role="menu" id="menu-{pk}" aria-labelledby="menu-button-{pk}" hidden>'
    "{manage}"
    '<li role="none"><button type="button" role="menuitem" tabindex="-1" data-copy-link="{direct_link}">'
    "Copy link</button></li>"
    '<li role="none"><a role="menuitem" tabindex="-1" href="{details_url}">App details</a></li>'
    "</ul></div></li>"
)
_MANAGE = '<li role="none"><a role="menuitem" tabindex="-1" href="{manage_url}">Manage app</a></li>'
_LOGO = '<img class="tile__logo" src="{logo_url}" alt="" width="48" height="48" loading="lazy">'
_INITIALS = '<span class="tile__logo app-initials app-initials--{colour}" aria-hidden="true">{initials}</span>'

OBJECT_ID_PLACEHOLDER = str(uuid.UUID(int=0))
VERSION_PLACEHOLDER = "0" * 16


@dataclass(frozen=True)
class Tiles:
    count: int
    html: SafeString


_cache: LRUCache[tuple, Tiles] = LRUCache(maxsize=CACHE_BYTES, getsizeof=lambda tiles: len(tiles.html) + 100)
_cache_lock = threading.Lock()


def cached_tiles(request: HttpRequest, user: DirectoryUser) -> Tiles:
    """All the user's tiles, from this process's cache while the tenant's apps version holds."""
    key = (user.pk, user.apps_version, request.scheme, request.get_host())
    with _cache_lock:
        tiles = _cache.get(key)
    if tiles is None:
        tiles = render_tiles(request, user_apps(user))
        with _cache_lock:
            _cache[key] = tiles
    return tiles


def url_for_each(
    name: str, *, placeholders: tuple[str, ...] = (OBJECT_ID_PLACEHOLDER,), absolute_to: HttpRequest | None = None
) -> Callable[..., str]:
    """The URL named `name` for any arguments, reversed once: a page of tiles then joins strings."""
    url = reverse(name, args=placeholders)
    if absolute_to is not None:
        url = absolute_to.build_absolute_uri(url)
    parts = []
    for placeholder in placeholders:
        before, _, url = url.partition(placeholder)
        parts.append(before)

    def build(*values: object) -> str:
        return "".join(f"{part}{value}" for part, value in zip(parts, values, strict=True)) + url

    return build


def render_tiles(request: HttpRequest, apps: QuerySet[Application]) -> Tiles:
    """The `<li>` of each of user_apps' `apps`, its links built for this request's address."""
    launch_url = url_for_each("portal:launch")
    absolute_launch_url = url_for_each("portal:launch", absolute_to=request)
    details_url = url_for_each("portal:app-details")
    logo_url = url_for_each("portal:app-logo", placeholders=(OBJECT_ID_PLACEHOLDER, VERSION_PLACEHOLDER))
    manage_url = url_for_each("portal:manage-app")
    esc = escape
    tiles = []
    for app in apps.only(*TILE_FIELDS):
        pk = str(app.pk)
        if app.logo_hash:
            logo = _LOGO.format(logo_url=esc(logo_url(pk, app.logo_hash)))
        else:
            logo = _INITIALS.format(colour=app.initials_colour, initials=esc(app.initials))
        tiles.append(
            _TILE.format(
                search_name=esc(app.display_name.lower()),
                tile_url=esc(launch_url(pk)),
                logo=logo,
                name=esc(app.display_name),
                pk=pk,
                manage=_MANAGE.format(manage_url=esc(manage_url(pk))) if app.is_owner else "",
                direct_link=esc(f"{absolute_launch_url(pk)}?tenantid={app.tenant_id}"),
                details_url=esc(details_url(pk)),
            )
        )
    return Tiles(count=len(tiles), html=mark_safe("".join(tiles)))  # noqa: S308 (every value above is escaped)
