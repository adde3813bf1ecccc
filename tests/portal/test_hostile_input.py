"""Hostile text in every URL that takes text: control characters, `next` values, oversized input.

The URL list is not written here: the portal's comes from the authorization matrix (which
fails when a portal URL has no row), the redemption pages' and the mailbox's from the
`invitations` URLconf, and the admin center's search boxes from the admin site's registry.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, get_resolver, reverse

from tests.factories import AccountFactory, InvitationFactory, OutboundEmailFactory
from tests.invitations.redemption_support import database_snapshot
from tests.portal.test_authorization_matrix import ROWS, World

CONTROL = "a\x00b\x01c\x1bd\x7fe\x85f"
# Parameters any page might read besides those its row names.
COMMON_PARAMETERS = ("q", "next", "email", "page")
HOSTILE_NEXT = ("foo", "portal:my-apps", "//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x")
OVERSIZED = "x" * 100_000 + "@partner.example"


def _actor_for(row, method: str) -> str:
    """The visitor who gets furthest into the page (a 200 or a redirect after the work), for the fuzzing to reach."""
    statuses = row.get if method == "get" else row.post
    for actor in ("owner", "approver", "member"):
        if statuses[actor] in {200, 302}:
            return actor
    return "owner"


def _portal_requests(w: World):
    for name, row in ROWS.items():
        for method in ("get", "post") if row.post is not None else ("get",):
            fields = row.query(w) if method == "get" else row.data(w)
            yield name, method, _actor_for(row, method), reverse(f"portal:{name}", kwargs=row.kwargs(w)), fields


def _sign_in(client, w: World, actor: str) -> None:
    client.logout()
    account = w.accounts[actor]
    if account is not None:
        client.force_login(account)


def _send(client, method: str, url: str, fields: dict):
    return client.get(url, fields) if method == "get" else client.post(url, fields)


def _with(fields: dict, name: str, value: str) -> dict:
    return {**fields, name: [value] if isinstance(fields.get(name), list) else value}


def test_control_characters_in_any_portal_parameter_or_field_are_cleaned(client, world):
    for name, method, actor, url, fields in _portal_requests(world):
        _sign_in(client, world, actor)
        for parameter in {*fields, *COMMON_PARAMETERS}:
            response = _send(client, method, url, _with(fields, parameter, CONTROL))
            label = f"{method.upper()} {name} {parameter}= as {actor}"
            assert response.status_code < 500, label
            body = response.content.decode(errors="replace")
            assert "\x00" not in body and "\x1b" not in body, label


def test_every_next_leads_back_to_this_site_and_bare_words_are_no_500(client, world):
    for name, method, actor, url, fields in _portal_requests(world):
        for hostile in HOSTILE_NEXT:
            _sign_in(client, world, actor)
            response = _send(client, method, url, {**fields, "next": hostile})
            label = f"{method.upper()} {name} next={hostile} as {actor}"
            assert response.status_code < 500, label
            if response.status_code == 302:
                location = response["Location"]
                assert "evil.example" not in location and not location.startswith("javascript"), label
                assert location != hostile, label


def _copies(response) -> int:
    """How many times the oversized value is in the page (a truncated echo counts none)."""
    return response.content.count(OVERSIZED.encode())


def test_oversized_input_is_echoed_at_most_once_and_sentences_truncate_it(client, world):
    # Once is the field or the page address keeping what was typed; every sentence about it truncates.
    for name, method, actor, url, fields in _portal_requests(world):
        _sign_in(client, world, actor)
        for parameter in {*fields, *COMMON_PARAMETERS}:
            response = _send(client, method, url, _with(fields, parameter, OVERSIZED))
            label = f"{method.upper()} {name} {parameter}= as {actor}"
            assert response.status_code < 500, label
            assert _copies(response) <= 1, label


def _invitation_urls(ticket: str, email_id: str, token: str) -> dict[str, str]:
    arguments = {"ticket": ticket, "email_id": email_id, "token": token}
    urls = {}
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "namespace", None) != "invitations":
            continue
        for child in pattern.url_patterns:
            assert isinstance(child, URLPattern)
            kwargs = {key: arguments[key] for key in child.pattern.converters}
            urls[child.name] = reverse(f"invitations:{child.name}", kwargs=kwargs)
    return urls


@pytest.fixture
def redemption_urls(db, settings):
    settings.DEMO_MODE = False
    invitation = InvitationFactory()
    email = OutboundEmailFactory(to=invitation.invited_user_email_address)
    return _invitation_urls(invitation.plain_ticket, str(email.pk), "not-a-token")


def test_control_characters_on_redemption_pages_and_the_mailbox_are_cleaned(client, redemption_urls):
    reader = AccountFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    client.force_login(reader)
    fields = {"email": CONTROL, "code": CONTROL, "q": CONTROL, "action": CONTROL, "next": "foo", "page": CONTROL}
    for name, url in redemption_urls.items():
        for method in ("get", "post"):
            response = _send(client, method, url, fields)
            assert response.status_code < 500, f"{method.upper()} {name}"
            assert b"\x00" not in response.content, f"{method.upper()} {name}"


def test_admin_search_boxes_take_control_characters(client, db):
    client.force_login(AccountFactory(is_staff=True, is_superuser=True))
    searchable = [model_admin for model_admin in admin.site._registry.values() if model_admin.search_fields]
    assert searchable
    for model_admin in searchable:
        opts = model_admin.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url, {"q": CONTROL})
        assert response.status_code == 200, url
        assert b"\x00" not in response.content, url


def test_head_on_every_redemption_page_answers_like_get_and_changes_nothing(client, redemption_urls):
    for name, url in redemption_urls.items():
        expected = client.get(url).status_code
        before = database_snapshot()

        response = client.head(url)

        assert response.status_code == expected, f"HEAD {name}"
        assert database_snapshot() == before, f"HEAD {name} changed data"
