"""The Graph API over plain HTTP: errors in Graph's shape, permissions, tenant isolation, OData options."""

import datetime
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directory.models import AuditEvent, DirectoryUser, Group, GroupMember
from graph.api import OPERATIONS
from invitations.models import OutboundEmail
from signin import keys, tokens
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AppRegistrationFactory,
    AppRoleAssignmentFactory,
    AuditEventFactory,
    ClientSecretFactory,
    DirectoryUserFactory,
    GroupFactory,
    GroupMemberFactory,
    GroupOwnerFactory,
    SignInEventFactory,
    TenantFactory,
)

JSON = "application/json"


def post(client: Client, url: str, body: object) -> object:
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body, content_type=JSON)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "innerError"}
    assert body["error"]["message"]
    assert set(body["error"]["innerError"]) == {"date", "request-id", "client-request-id"}
    return body["error"]


def invitation(**changes) -> dict:
    return {
        "invitedUserEmailAddress": "lee@fabrikam.example",
        "inviteRedirectUrl": "https://myapps.example/",
        **changes,
    }


# Authentication -------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_in_graphs_shape(db):
    client_request_id = str(uuid.uuid4())
    response = Client().get("/v1.0/users", HTTP_CLIENT_REQUEST_ID=client_request_id)

    assert response.status_code == 401
    error = error_of(response)
    assert (error["code"], error["message"]) == ("InvalidAuthenticationToken", "Access token is empty.")
    assert error["innerError"]["client-request-id"] == client_request_id
    assert response["request-id"] == error["innerError"]["request-id"]
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 20_000, "Bearer eyJhbGciOiJub25lIn0.e30."],
)
def test_a_bad_token_is_refused(db, authorization):
    response = Client().get("/v1.0/users", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"


def test_a_token_for_another_audience_or_expired_is_refused(tenant):
    registration = AppRegistrationFactory(tenant=tenant, graph_application_permissions=["User.Read.All"])
    claims = {"iss": tokens.issuer_for(tenant), "tid": str(tenant.pk), "roles": ["User.Read.All"], "ver": "2.0"}
    now = int(datetime.datetime.now(tz=datetime.UTC).timestamp())
    id_token = keys.sign_jwt({**claims, "aud": str(registration.client_id), "iat": now, "exp": now + 600})
    expired = keys.sign_jwt({**claims, "aud": tokens.GRAPH_AUDIENCE, "iat": now - 7200, "exp": now - 3600})
    for token in (id_token, expired):
        response = Client().get("/v1.0/users", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert error_of(response)["code"] == "InvalidAuthenticationToken"


def test_a_token_from_the_token_endpoint_calls_the_api(tenant):
    registration = AppRegistrationFactory(tenant=tenant, graph_application_permissions=["User.Read.All"])
    secret = ClientSecretFactory(registration=registration)
    https = Client(HTTP_X_FORWARDED_PROTO="https")
    for scope in ("https://graph.microsoft.com/.default", "http://testserver/.default"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("django.conf.settings.SITE_URL", "http://testserver")
            token = https.post(
                f"/{tenant.initial_domain}/oauth2/v2.0/token",
                {
                    "grant_type": "client_credentials",
                    "client_id": str(registration.client_id),
                    "client_secret": secret.value,
                    "scope": scope,
                },
            ).json()["access_token"]
            response = Client().get("/v1.0/users", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, response.content


def test_a_session_cookie_is_no_credential_and_needs_no_csrf_token(tenant):
    account = AccountFactory(is_staff=True, is_superuser=True)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account)

    response = post(browser, "/v1.0/invitations", invitation())

    assert response.status_code == 401
    assert not DirectoryUser.objects.filter(mail="lee@fabrikam.example").exists()


# Permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("permission", "method", "path", "body"),
    [
        ("User.Read.All", "post", "/v1.0/invitations", invitation()),
        ("Group.Read.All", "post", "/v1.0/groups/{group}/members/$ref", {"@odata.id": "/directoryObjects/{user}"}),
        ("GroupMember.ReadWrite.All", "delete", "/v1.0/groups/{group}", None),
        ("User.Invite.All", "get", "/v1.0/users", None),
        ("User.Read.All", "patch", "/v1.0/users/{user}", {"jobTitle": "Boss"}),
        ("Application.Read.All", "post", "/v1.0/servicePrincipals/{app}/appRoleAssignedTo", {}),
        ("Group.Read.All", "get", "/v1.0/auditLogs/directoryAudits", None),
        ("Directory.Read.All", "post", "/v1.0/groups", {}),
    ],
)
def test_each_call_needs_its_permission(graph, tenant, permission, method, path, body):
    client = graph(permission)
    group, user, app = (
        GroupFactory(tenant=tenant),
        DirectoryUserFactory(tenant=tenant),
        ApplicationFactory(tenant=tenant),
    )
    url = path.format(group=group.pk, user=user.pk, app=app.pk)
    payload = json.dumps(body).replace("{user}", str(user.pk)) if body is not None else ""

    response = getattr(client, method)(url, payload, content_type=JSON)

    assert response.status_code == 403, response.content
    assert error_of(response)["code"] == "Authorization_RequestDenied"
    assert not GroupMember.objects.exists() and Group.objects.filter(pk=group.pk).exists()


def test_a_token_without_roles_reads_nothing(graph):
    assert graph().get("/v1.0/organization").status_code == 403


def test_group_member_write_alone_adds_a_member(graph, tenant):
    group, user = GroupFactory(tenant=tenant), DirectoryUserFactory(tenant=tenant)
    response = post(
        graph("GroupMember.ReadWrite.All"), f"/v1.0/groups/{group.pk}/members/$ref", {"@odata.id": f"x/users/{user.pk}"}
    )
    assert response.status_code == 204
    assert GroupMember.objects.filter(group=group, user=user).exists()


# Tenant isolation ---------------------------------------------------------------------


def test_one_tenant_never_sees_another_tenants_objects(admin_graph, tenant):
    mine = GroupFactory(tenant=tenant)
    other = TenantFactory()
    stranger, their_group, their_app = (
        DirectoryUserFactory(tenant=other),
        GroupFactory(tenant=other),
        ApplicationFactory(tenant=other),
    )
    AuditEventFactory(tenant=other)
    SignInEventFactory(tenant=other)

    for url in (
        f"/v1.0/users/{stranger.pk}",
        f"/v1.0/users/{stranger.user_principal_name}",
        f"/v1.0/groups/{their_group.pk}",
        f"/v1.0/groups/{their_group.pk}/members",
        f"/v1.0/servicePrincipals/{their_app.pk}",
        f"/v1.0/servicePrincipals/{their_app.pk}/appRoleAssignedTo",
        f"/v1.0/users/{stranger.pk}/appRoleAssignments",
    ):
        response = admin_graph.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert admin_graph.get("/v1.0/users").json()["value"] == []
    own = [str(admin_graph.registration.application_id)]
    assert [a["id"] for a in admin_graph.get("/v1.0/servicePrincipals").json()["value"]] == own
    assert [g["id"] for g in admin_graph.get("/v1.0/groups").json()["value"]] == [str(mine.pk)]
    assert admin_graph.get("/v1.0/auditLogs/signIns").json()["value"] == []
    assert admin_graph.get("/v1.0/organization").json()["value"][0]["id"] == str(tenant.pk)

    response = post(
        admin_graph, f"/v1.0/groups/{mine.pk}/members/$ref", {"@odata.id": f"/directoryObjects/{stranger.pk}"}
    )
    assert response.status_code == 404
    assert admin_graph.delete(f"/v1.0/users/{stranger.pk}").status_code == 404
    assert DirectoryUser.objects.filter(pk=stranger.pk).exists()
    assert not GroupMember.objects.exists()


# Bad input: always 400 in Graph's shape, never 500 ---------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "isn't valid JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps(invitation(favouriteColour="blue")), "Property 'favouriteColour' does not exist"),
        (json.dumps({"inviteRedirectUrl": "https://myapps.example/"}), "'invitedUserEmailAddress' is required"),
        (json.dumps(invitation(sendInvitationMessage="yes")), "sendInvitationMessage"),
        (json.dumps(invitation(invitedUserMessageInfo={"customizedMessageBody": "x" * 1001})), "customizedMessageBody"),
        (
            json.dumps(
                invitation(invitedUserMessageInfo={"ccRecipients": [{"emailAddress": {"address": "a@b.example"}}]})
            ),
            "ccRecipients",
        ),
        (json.dumps(invitation(invitedUserType="Member")), "Member"),
        (json.dumps(invitation(resetRedemption=True)), "invitedUser"),
        (json.dumps(invitation(invitedUserEmailAddress="not an address")), "not a valid email address"),
        (json.dumps(invitation(inviteRedirectUrl="javascript:alert(1)")), "redirect URL"),
        (json.dumps(invitation(invitedUserDisplayName="x" * 300)), "invitedUserDisplayName"),
        ("", "require a JSON body"),
        (json.dumps(invitation(invitedUserDisplayName="x" * 70_000)), "too large"),
    ],
)
def test_bad_invitation_bodies_are_refused(admin_graph, body, message):
    response = admin_graph.post("/v1.0/invitations", body, content_type=JSON)

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "Request_BadRequest"
    assert message in error["message"]
    assert not DirectoryUser.objects.filter(user_type="Guest").exists()


def test_a_body_that_isnt_json_is_refused(admin_graph):
    response = admin_graph.post(
        "/v1.0/invitations",
        "invitedUserEmailAddress=lee@fabrikam.example",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "Request_BadRequest"


@pytest.mark.parametrize(
    "url",
    [
        "/v1.0/groups/not-a-guid",
        "/v1.0/users/not-a-guid-or-upn",
        "/v1.0/servicePrincipals/123",
        "/v1.0/groups/{group}/members/nope/$ref",
    ],
)
def test_bad_ids_are_refused(admin_graph, tenant, url):
    url = url.format(group=GroupFactory(tenant=tenant).pk)
    response = admin_graph.delete(url) if url.endswith("$ref") else admin_graph.get(url)
    assert response.status_code == 400
    assert "Invalid object identifier" in error_of(response)["message"]


def test_a_reference_must_name_a_directory_object(admin_graph, tenant):
    group = GroupFactory(tenant=tenant)
    for reference in ("https://graph.microsoft.com/v1.0/groups", "x/directoryObjects/not-a-guid", 5):
        response = post(admin_graph, f"/v1.0/groups/{group.pk}/members/$ref", {"@odata.id": reference})
        assert response.status_code == 400, reference
        assert error_of(response)["code"] == "Request_BadRequest"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("$filter=jobTitle eq 'Boss'", "Request_UnsupportedQuery"),
        ("$filter=displayName eq", "Request_BadRequest"),
        ("$filter=userType eq 'Guest'%00", "Request_BadRequest"),
        ("$top=1000", "Request_BadRequest"),
        ("$top=0", "Request_BadRequest"),
        ("$skiptoken=forged", "Request_BadRequest"),
        ("$select=password", "Request_BadRequest"),
        ("$count=true", "Request_UnsupportedQuery"),
        ("$orderby=mail", "Request_UnsupportedQuery"),
        ("$expand=memberOf", "Request_UnsupportedQuery"),
        ('$search="displayName:a"', "Request_UnsupportedQuery"),
    ],
)
def test_bad_query_options_are_refused(admin_graph, query, code):
    response = admin_graph.get(f"/v1.0/users?{query}")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == code


def test_a_long_filter_is_read_whole_and_a_too_long_one_refused(admin_graph, tenant):
    # The site's middleware caps query values at 1,024 characters; Graph's $filter is read as sent.
    wanted = DirectoryUserFactory(tenant=tenant, mail="wanted@member.example")
    DirectoryUserFactory(tenant=tenant)
    padding = ", ".join(f"'nobody{n}@member.example'" for n in range(50))
    long_filter = f"mail in ({padding}, 'wanted@member.example')"
    assert 1_024 < len(long_filter) < 2_000

    found = admin_graph.get("/v1.0/users", {"$filter": long_filter})
    refused = admin_graph.get("/v1.0/users", {"$filter": long_filter + " or " + long_filter})

    assert [u["id"] for u in found.json()["value"]] == [str(wanted.pk)]
    assert refused.status_code == 400
    assert "too long" in error_of(refused)["message"]


@pytest.mark.parametrize("url", ["/v1.0/me/messages", "/v1.0/drives", "/v1.0/users/x/memberOf"])
def test_a_path_outside_the_subset_answers_in_graphs_shape(admin_graph, url):
    response = post(admin_graph, url, {})
    assert response.status_code == 400
    assert "Resource not found for the segment" in error_of(response)["message"]


def test_a_path_outside_the_subset_echoes_the_request_ids(admin_graph):
    client_request_id = str(uuid.uuid4())
    response = admin_graph.get("/v1.0/drives", HTTP_CLIENT_REQUEST_ID=client_request_id)

    assert response.status_code == 400
    assert response["client-request-id"] == client_request_id
    assert response["request-id"] == error_of(response)["innerError"]["request-id"]


def test_an_unsupported_method_is_refused(admin_graph):
    response = admin_graph.put("/v1.0/users", "{}", content_type=JSON)
    assert response.status_code == 405
    assert error_of(response)["code"] == "Request_BadRequest"


# OData options ----------------------------------------------------------------------------


def test_filters_select_count_and_orderby_on_users(admin_graph, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Adele Vance")
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", account_enabled=False)
    DirectoryUserFactory(tenant=tenant, display_name="Lee Gu", guest=True)
    DirectoryUserFactory(tenant=tenant, display_name="Pat Pending", pending=True, guest=True)

    def names(params: dict, **headers) -> list[str]:
        response = admin_graph.get("/v1.0/users", params, **headers)
        assert response.status_code == 200, response.content
        return [u["displayName"] for u in response.json()["value"]]

    assert names({"$filter": "userType eq 'Guest'"}) == ["Lee Gu", "Pat Pending"]
    assert names({"$filter": "externalUserState eq 'PendingAcceptance'"}) == ["Pat Pending"]
    assert names({"$filter": "startswith(displayName,'a') and accountEnabled eq true"}) == ["Adele Vance"]
    assert names(
        {"$filter": "userType ne 'Guest' or displayName in ('Lee Gu', 'Nobody')", "$orderby": "displayName desc"}
    ) == [
        "Lee Gu",
        "Alex Wilber",
        "Adele Vance",
    ]
    counted = admin_graph.get(
        "/v1.0/users",
        {"$count": "true", "$filter": "userType eq 'Guest'", "$top": "1"},
        HTTP_CONSISTENCYLEVEL="eventual",
    ).json()
    assert counted["@odata.count"] == 2 and len(counted["value"]) == 1 and "@odata.nextLink" in counted
    selected = admin_graph.get("/v1.0/users", {"$select": "displayName,mail", "$top": "1"}).json()["value"][0]
    assert set(selected) == {"id", "displayName", "mail"}


def test_audit_log_filters_on_date_and_activity(admin_graph, tenant):
    AuditEventFactory(
        tenant=tenant, activity="Add user", activity_date_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    AuditEventFactory(tenant=tenant, activity="Add user")
    AuditEventFactory(tenant=tenant, activity="Delete user")

    def activities(text: str) -> list[str]:
        return [
            e["activityDisplayName"]
            for e in admin_graph.get("/v1.0/auditLogs/directoryAudits", {"$filter": text}).json()["value"]
        ]

    assert activities("activityDateTime ge 2021-01-01T00:00:00Z") == ["Delete user", "Add user"]
    assert activities("activityDisplayName eq 'Add user' and activityDateTime lt 2021-01-01") == ["Add user"]


# Throttling -------------------------------------------------------------------------------


def test_an_app_is_throttled_with_retry_after(graph, settings):
    settings.GRAPH_THROTTLE_LIMIT = 2
    client, other = graph("User.Read.All"), graph("User.Read.All")
    assert [client.get("/v1.0/users").status_code for _ in range(2)] == [200, 200]

    response = client.get("/v1.0/users")

    assert response.status_code == 429
    assert error_of(response)["code"] == "TooManyRequests"
    assert 1 <= int(response["Retry-After"]) <= settings.GRAPH_THROTTLE_PERIOD_SECONDS
    assert other.get("/v1.0/users").status_code == 200


# Writes through the services ------------------------------------------------------------


def test_an_invitation_is_the_same_guest_email_and_audit_as_from_my_apps(admin_graph, tenant):
    response = post(
        admin_graph,
        "/v1.0/invitations",
        invitation(
            sendInvitationMessage=True,
            invitedUserDisplayName="Lee Gu",
            invitedUserMessageInfo={"customizedMessageBody": "Hello"},
        ),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "PendingAcceptance" and body["inviteRedeemUrl"].startswith("http")
    assert body["invitedUser"]["userType"] == "Guest"
    guest = DirectoryUser.objects.get(pk=body["invitedUser"]["id"], tenant=tenant)
    assert guest.user_principal_name == f"lee_fabrikam.example#EXT#@{tenant.initial_domain}"
    assert "Hello" in OutboundEmail.objects.get(to="lee@fabrikam.example").body_text
    event = AuditEvent.objects.get(activity="Invite external user")
    assert event.initiated_by == "Provisioning script"


def test_a_blocked_domain_is_refused_as_in_my_apps(admin_graph, tenant):
    tenant.collaboration_restriction = "denyListed"
    tenant.collaboration_domains = "fabrikam.example"
    tenant.save()
    response = post(admin_graph, "/v1.0/invitations", invitation())
    assert response.status_code == 400
    assert "blocked by your organization's invitation policy" in error_of(response)["message"]


def test_reset_redemption_reinvites_the_same_guest(admin_graph, tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True, mail="lee@fabrikam.example")
    body = invitation(resetRedemption=True, invitedUser={"id": str(guest.pk)})

    response = post(admin_graph, "/v1.0/invitations", body)

    assert response.status_code == 201, response.content
    assert response.json()["invitedUser"]["id"] == str(guest.pk) and response.json()["resetRedemption"] is True
    guest.refresh_from_db()
    assert guest.is_pending and guest.account is None


def test_users_are_created_updated_and_deleted(admin_graph, tenant):
    created = post(
        admin_graph,
        "/v1.0/users",
        {
            "accountEnabled": True,
            "displayName": "Megan Bowen",
            "mailNickname": "megan",
            "userPrincipalName": f"megan@{tenant.primary_domain}",
            "passwordProfile": {"password": "Pa55word!", "forceChangePasswordNextSignIn": True},
        },
    )
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    wrong_domain = post(
        admin_graph,
        "/v1.0/users",
        {"accountEnabled": True, "displayName": "X", "mailNickname": "x", "userPrincipalName": "x@elsewhere.example"},
    )
    assert wrong_domain.status_code == 400

    patched = admin_graph.patch(
        f"/v1.0/users/{user_id}", json.dumps({"jobTitle": "Marketing Manager"}), content_type=JSON
    )
    assert patched.status_code == 204
    by_upn = admin_graph.get(f"/v1.0/users/MEGAN@{tenant.primary_domain}").json()
    assert by_upn["jobTitle"] == "Marketing Manager"
    assert admin_graph.patch(f"/v1.0/users/{user_id}", '{"displayName": null}', content_type=JSON).status_code == 400

    assert admin_graph.delete(f"/v1.0/users/{user_id}").status_code == 204
    assert admin_graph.get(f"/v1.0/users/{user_id}").status_code == 404
    assert list(AuditEvent.objects.values_list("activity", flat=True).order_by("pk")) == [
        "Add user",
        "Update user",
        "Delete user",
    ]


def test_groups_with_members_and_owners_by_reference(admin_graph, tenant):
    adele, lee = DirectoryUserFactory(tenant=tenant), DirectoryUserFactory(tenant=tenant, guest=True)
    created = post(
        admin_graph,
        "/v1.0/groups",
        {
            "displayName": "Partners",
            "mailEnabled": False,
            "mailNickname": "partners",
            "securityEnabled": True,
            "owners@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{adele.pk}"],
        },
    )
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{lee.pk}"}

    assert post(admin_graph, f"/v1.0/groups/{group_id}/members/$ref", ref).status_code == 204
    again = post(admin_graph, f"/v1.0/groups/{group_id}/members/$ref", ref)
    assert again.status_code == 400 and "already a member" in error_of(again)["message"]
    assert [m["id"] for m in admin_graph.get(f"/v1.0/groups/{group_id}/members").json()["value"]] == [str(lee.pk)]
    assert post(admin_graph, f"/v1.0/groups/{group_id}/owners/$ref", ref).status_code == 204
    assert admin_graph.delete(f"/v1.0/groups/{group_id}/owners/{adele.pk}/$ref").status_code == 204
    last = admin_graph.delete(f"/v1.0/groups/{group_id}/owners/{lee.pk}/$ref")
    assert last.status_code == 400 and "at least one owner" in error_of(last)["message"]
    assert admin_graph.delete(f"/v1.0/groups/{group_id}/members/{lee.pk}/$ref").status_code == 204
    assert admin_graph.delete(f"/v1.0/groups/{group_id}/members/{lee.pk}/$ref").status_code == 404

    patched = admin_graph.patch(
        f"/v1.0/groups/{group_id}", json.dumps({"description": "Our partners"}), content_type=JSON
    )
    assert patched.status_code == 204
    assert admin_graph.get(f"/v1.0/groups/{group_id}?$select=description").json()["description"] == "Our partners"
    assert admin_graph.delete(f"/v1.0/groups/{group_id}").status_code == 204
    assert not Group.objects.filter(pk=group_id).exists()


def test_a_guest_cant_join_a_dynamic_group_by_api_either(admin_graph, tenant):
    group, guest = GroupFactory(tenant=tenant, dynamic=True), DirectoryUserFactory(tenant=tenant, guest=True)
    response = post(
        admin_graph, f"/v1.0/groups/{group.pk}/members/$ref", {"@odata.id": f"/directoryObjects/{guest.pk}"}
    )
    assert response.status_code == 400
    assert "dynamic group" in error_of(response)["message"]


def test_app_role_assignments_are_added_listed_and_removed(admin_graph, tenant):
    application, group = ApplicationFactory(tenant=tenant), GroupFactory(tenant=tenant)
    url = f"/v1.0/servicePrincipals/{application.pk}/appRoleAssignedTo"
    body = {
        "principalId": str(group.pk),
        "resourceId": str(application.pk),
        "appRoleId": "00000000-0000-0000-0000-000000000000",
    }

    created = post(admin_graph, url, body)
    mismatch = post(admin_graph, url, {**body, "resourceId": str(uuid.uuid4())})

    assert created.status_code == 201, created.content
    assert created.json()["principalType"] == "Group"
    assert mismatch.status_code == 400
    assert [a["id"] for a in admin_graph.get(url).json()["value"]] == [created.json()["id"]]
    assert admin_graph.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert admin_graph.get(url).json()["value"] == []


# Query counts: constant for every list ------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture
def shared(tenant):
    """One group, application, user and registration that _grow gives more rows to."""
    group = GroupFactory(tenant=tenant)
    application = ApplicationFactory(tenant=tenant)
    user = DirectoryUserFactory(tenant=tenant)
    registration = AppRegistrationFactory(tenant=tenant, application=None, display_name="Registered")
    return {"group": group, "app": application, "user": user, "registration": registration}


def _grow(tenant, shared: dict, n: int) -> None:
    for _ in range(n):
        member = GroupMemberFactory(group=shared["group"]).user
        GroupOwnerFactory(group=shared["group"], user=member)
        AppRoleAssignmentFactory(application=shared["app"], principal_user=member)
        AppRoleAssignmentFactory(application__tenant=tenant, principal_user=shared["user"])
        DirectoryUserFactory(tenant=tenant, guest=True)
        AuditEventFactory(tenant=tenant)
        SignInEventFactory(tenant=tenant)
        ClientSecretFactory(registration=shared["registration"])
        AppRegistrationFactory(tenant=tenant)


@pytest.mark.parametrize(
    "url",
    [
        "/v1.0/users",
        "/v1.0/groups",
        "/v1.0/groups/{group}/members",
        "/v1.0/groups/{group}/owners",
        "/v1.0/servicePrincipals",
        "/v1.0/servicePrincipals/{app}/appRoleAssignedTo",
        "/v1.0/users/{user}/appRoleAssignments",
        "/v1.0/applications",
        "/v1.0/auditLogs/directoryAudits",
        "/v1.0/auditLogs/signIns",
        "/v1.0/organization",
    ],
)
def test_list_endpoints_take_the_same_queries_for_few_and_many_rows(admin_graph, tenant, shared, url):
    url = url.format(group=shared["group"].pk, app=shared["app"].pk, user=shared["user"].pk)
    _grow(tenant, shared, 2)
    few = _queries(admin_graph, url)
    _grow(tenant, shared, 10)
    assert _queries(admin_graph, url) == few


def test_openapi_describes_every_operation_from_the_route_table(db):
    response = Client().get("/v1.0/$openapi")

    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    assert described == {(op.path, op.method) for op in OPERATIONS}
    invite = spec["paths"]["/invitations"]["post"]
    body = spec["components"]["schemas"][invite["requestBody"]["content"][JSON]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"invitedUserEmailAddress", "inviteRedirectUrl", "invitedUserMessageInfo"} <= set(body["properties"])
    assert body["additionalProperties"] is False
    assert invite["x-permissions"] == ["User.Invite.All", "User.ReadWrite.All"]
    assert "userPrincipalName" in spec["components"]["schemas"]["user"]["properties"]


def test_a_user_is_found_by_user_principal_name_in_any_case(admin_graph, tenant):
    user = DirectoryUserFactory(tenant=tenant)

    response = admin_graph.get(f"/v1.0/users/{user.user_principal_name.upper()}")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(user.pk)
