"""$filter through odata-query with a property whitelist, on the real database."""

import pytest

from directory.models import DirectoryUser
from graph.errors import GraphError
from graph.odata import parse_filter
from graph.resources import Prop, Resource
from tests.factories import DirectoryUserFactory

PEOPLE = Resource(
    name="user",
    entity_set="users",
    props=(
        Prop("id", "uuid", lambda u: str(u.pk), "id"),
        Prop("displayName", "string", lambda u: u.display_name, "display_name"),
        Prop("mail", "string", lambda u: u.mail, "mail"),
        Prop("userType", "string", lambda u: u.user_type, "user_type"),
        Prop("accountEnabled", "boolean", lambda u: u.account_enabled, "account_enabled"),
        Prop("createdDateTime", "date-time", lambda u: u.created_date_time, "created_date_time"),
        Prop("jobTitle", "string", lambda u: u.job_title),
    ),
)


@pytest.fixture
def people(tenant):
    return {
        "adele": DirectoryUserFactory(tenant=tenant, display_name="Adele Vance", mail="adele@contoso.example"),
        "alex": DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", account_enabled=False),
        "guest": DirectoryUserFactory(tenant=tenant, guest=True, display_name="Lee Gu", mail="lee@fabrikam.example"),
    }


def names(text: str) -> set[str]:
    return set(DirectoryUser.objects.filter(parse_filter(text, PEOPLE)).values_list("display_name", flat=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userType eq 'Guest'", {"Lee Gu"}),
        ("userType eq 'guest'", {"Lee Gu"}),
        ("userType ne 'Guest'", {"Adele Vance", "Alex Wilber"}),
        ("startswith(displayName,'a')", {"Adele Vance", "Alex Wilber"}),
        ("startswith(displayName,'A') and accountEnabled eq true", {"Adele Vance"}),
        ("userType eq 'Guest' or accountEnabled eq false", {"Lee Gu", "Alex Wilber"}),
        ("mail in ('adele@contoso.example', 'lee@fabrikam.example')", {"Adele Vance", "Lee Gu"}),
        ("not (userType eq 'Member')", {"Lee Gu"}),
        ("createdDateTime ge 2000-01-01T00:00:00Z", {"Adele Vance", "Alex Wilber", "Lee Gu"}),
        ("createdDateTime lt 2000-01-01T00:00:00Z", set()),
        ("startswith(displayName,'%')", set()),
    ],
)
def test_filters_select_what_graph_would(people, text, expected):
    assert names(text) == expected


def test_an_id_filter_takes_a_guid(people):
    assert names(f"id eq {people['adele'].pk}") == {"Adele Vance"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("jobTitle eq 'Boss'", "Request_UnsupportedQuery"),  # a property, but not filterable
        ("tenant_id eq 1", "Request_UnsupportedQuery"),  # a model field that isn't a Graph property
        ("account/email eq 'x'", "Request_UnsupportedQuery"),
        ("contains(displayName,'a')", "Request_UnsupportedQuery"),
        ("length(displayName) eq 3", "Request_UnsupportedQuery"),
        ("displayName eq 'a' add 1", "Request_BadRequest"),
        ("displayName eq", "Request_BadRequest"),
        ("displayName eq 'unterminated", "Request_BadRequest"),
        ("(((", "Request_BadRequest"),
        ("accountEnabled eq 'yes'", "Request_BadRequest"),
        ("createdDateTime ge 5", "Request_BadRequest"),
        ("displayName gt 'A'", "Request_UnsupportedQuery"),
        ("startswith(accountEnabled,'t')", "Request_BadRequest"),
        ("mail in 'a@b.example'", "Request_BadRequest"),
        ("'Guest' eq userType", "Request_UnsupportedQuery"),
        ("displayName eq 'x' " * 200, "Request_BadRequest"),
    ],
)
def test_bad_or_unsupported_filters_are_refused(db, text, code):
    with pytest.raises(GraphError) as refused:
        parse_filter(text, PEOPLE)
    assert refused.value.status == 400
    assert refused.value.code == code
    assert refused.value.message
