"""Invite a guest and add them to a group with Microsoft's own Graph SDK (msgraph-sdk), against Access Portal.

    .venv/bin/python -m samples.graph_invite guest@fabrikam.example

With `make demo` running this uses the seed's "Graph scripting sample" registration in Contoso.
Settings come from the environment (GRAPH_SAMPLE_PORTAL_URL, _TENANT, _CLIENT_ID, _CLIENT_SECRET,
_GROUP). The README's "Scripting with Microsoft Graph" section walks through it.
"""

import asyncio
import os
import sys
import time
from typing import Any

import httpx
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.invitation import Invitation
from msgraph.generated.models.invited_user_message_info import InvitedUserMessageInfo
from msgraph.generated.models.reference_create import ReferenceCreate

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEMO_PORTAL_URL = "http://127.0.0.1:8000"
DEMO_TENANT = "contoso.onmicrosoft.com"
DEMO_CLIENT_ID = "9a3f4c2e-2026-4000-8000-00000000a9a1"
DEMO_CLIENT_SECRET = "graph-scripting-demo-secret-2026"
DEMO_GROUP = "Marketing"


class PortalCredential:
    """An azure-core AsyncTokenCredential for client credentials at this portal's token endpoint.

    azure-identity's ClientSecretCredential speaks the same protocol but (through MSAL) insists on
    an https:// authority, and the demo is served on plain http://127.0.0.1.
    """

    def __init__(self, *, portal_url: str, tenant: str, client_id: str, client_secret: str) -> None:
        self.token_url = f"{portal_url.rstrip('/')}/{tenant}/oauth2/v2.0/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: AccessToken | None = None

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self._token is None or self._token.expires_on - 60 < time.time():
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    self.token_url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "scope": " ".join(scopes) or GRAPH_SCOPE,
                    },
                )
            response.raise_for_status()
            body = response.json()
            self._token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
        return self._token

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> "PortalCredential":
        return self

    async def __aexit__(self, *args: object) -> None:
        pass


def graph_client(*, portal_url: str, credential: PortalCredential) -> GraphServiceClient:
    """The SDK's own client, its base URL moved from graph.microsoft.com to the portal."""
    client = GraphServiceClient(credential, scopes=[GRAPH_SCOPE])
    client.request_adapter.base_url = f"{portal_url.rstrip('/')}/v1.0"
    return client


async def invite_to_group(client: GraphServiceClient, *, email: str, group_name: str, message: str) -> str:
    """Invites `email` with a personal message, adds the guest to the group; returns the guest's id."""
    query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(filter=f"displayName eq '{group_name}'")
    groups = await client.groups.get(request_configuration=RequestConfiguration(query_parameters=query))
    invitation = await client.invitations.post(
        Invitation(
            invited_user_email_address=email,
            invite_redirect_url="/",
            send_invitation_message=True,
            invited_user_message_info=InvitedUserMessageInfo(customized_message_body=message),
        )
    )
    guest_id = invitation.invited_user.id
    reference = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{guest_id}")
    await client.groups.by_group_id(groups.value[0].id).members.ref.post(reference)
    return guest_id


def main() -> None:
    portal_url = os.environ.get("GRAPH_SAMPLE_PORTAL_URL", DEMO_PORTAL_URL)
    credential = PortalCredential(
        portal_url=portal_url,
        tenant=os.environ.get("GRAPH_SAMPLE_TENANT", DEMO_TENANT),
        client_id=os.environ.get("GRAPH_SAMPLE_CLIENT_ID", DEMO_CLIENT_ID),
        client_secret=os.environ.get("GRAPH_SAMPLE_CLIENT_SECRET", DEMO_CLIENT_SECRET),
    )
    client = graph_client(portal_url=portal_url, credential=credential)
    email = sys.argv[1] if len(sys.argv) > 1 else "new.guest@fabrikam.example"
    group = os.environ.get("GRAPH_SAMPLE_GROUP", DEMO_GROUP)
    guest_id = asyncio.run(invite_to_group(client, email=email, group_name=group, message="Welcome to Contoso!"))
    print(f"Invited {email} (user {guest_id}) and added them to {group}.")


if __name__ == "__main__":
    main()
