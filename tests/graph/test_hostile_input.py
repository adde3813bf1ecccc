"""Every Graph operation under hostile input answers in Graph's shape and never with a 500."""

import json

import pytest

from graph import urls
from graph.api import OPERATIONS
from tests.factories import ApplicationFactory, DirectoryUserFactory, GroupFactory

assert urls.RESOURCE_MODULES  # importing the URLconf fills the route table these tests walk

BODIES = [
    "null",
    "1e999",
    '"text"',
    "{}",
    '{"@odata.type": 5}',
    json.dumps({"displayName": None, "id": None, "principalId": "x", "@odata.id": None}),
    json.dumps({"displayName": "\u202e\ud83d\ude00" * 100, "mailEnabled": 1, "accountEnabled": "true"}),
    "[" * 5000 + "]" * 5000,
    json.dumps({"invitedUserEmailAddress": "a@b.example", "inviteRedirectUrl": "/", "invitedUser": {"id": "nope"}}),
    "\x00\x01",
]
IDS = ["00000000-0000-0000-0000-000000000000", "x" * 5000, "%00", "a@b", "'; DROP TABLE"]


@pytest.fixture
def objects(tenant):
    return {
        "user-id": str(DirectoryUserFactory(tenant=tenant).pk),
        "group-id": str(GroupFactory(tenant=tenant).pk),
        "service-principal-id": str(ApplicationFactory(tenant=tenant).pk),
    }


def _url(path: str, ids: dict[str, str], default: str) -> str:
    for name in (
        "user-id",
        "group-id",
        "service-principal-id",
        "member-id",
        "owner-id",
        "app-role-assignment-id",
        "application-id",
    ):
        path = path.replace("{" + name + "}", ids.get(name, default))
    return "/v1.0" + path


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_no_input_makes_an_operation_fail_with_a_500(admin_graph, objects, op):
    query = "?$filter=" + "(" * 300 + "&$top=9" * 3 if op.collection else ""
    urls = [_url(op.path, objects, objects["user-id"])] + [_url(op.path, {}, bad) for bad in IDS]
    for url in urls:
        for body in BODIES if op.body else [""]:
            response = getattr(admin_graph, op.method.lower())(url + query, body, content_type="application/json")
            assert response.status_code < 500, (url[:80], body[:40], response.content[:200])
            if response.status_code >= 400:
                assert response.json()["error"]["code"]
