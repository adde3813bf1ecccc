"""Delegated tokens (an OpenID Connect sign-in's access token, `scp`) call /me, and nothing an app permission guards."""

from azure.core.credentials import AccessToken
from django.test import Client

from samples.graph_invite import graph_client
from signin.tokens import delegated_access_token
from tests.factories import AppRegistrationFactory, DirectoryUserFactory
from tests.graph.sdk_support import run


def _token(user, scope="openid profile User.Read") -> str:
    return delegated_access_token(user, AppRegistrationFactory(tenant=user.tenant), scope)


def test_me_is_the_signed_in_person(member):
    response = Client().get("/v1.0/me", HTTP_AUTHORIZATION=f"Bearer {_token(member)}")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(member.pk)
    assert response.json()["userPrincipalName"] == member.user_principal_name


def test_a_delegated_token_holds_no_application_permission(member):
    bearer = f"Bearer {_token(member)}"
    assert Client().get("/v1.0/users", HTTP_AUTHORIZATION=bearer).status_code == 403
    assert Client().get("/v1.0/me", HTTP_AUTHORIZATION=f"Bearer {_token(member, 'openid')}").status_code == 403


def test_a_disabled_or_deleted_person_is_refused(tenant):
    person = DirectoryUserFactory(tenant=tenant)
    token = _token(person)
    person.account_enabled = False
    person.save()

    response = Client().get("/v1.0/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_an_app_token_has_no_me(graph):
    response = graph("User.Read.All").get("/v1.0/me")
    assert response.status_code == 400
    assert "delegated" in response.json()["error"]["message"]


class _SignedIn:
    """The access token an OpenID Connect sign-in gave the app, as an azure-core credential."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, 2**31)


def test_the_sdk_reads_me(transactional_db, live_server):
    person = DirectoryUserFactory()
    client = graph_client(portal_url=live_server.url, credential=_SignedIn(_token(person)))

    me = run(client.me.get())

    assert (me.id, me.display_name) == (str(person.pk), person.display_name)
