"""Microsoft's own Graph SDK (msgraph-sdk) against the live server: the issue's scripting stories."""

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
    DirectoryAuditsRequestBuilder,
)
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from directory.models import AuditEvent, DirectoryUser, GroupMember
from graph.resources import ZERO_GUID
from invitations.models import OutboundEmail
from samples.graph_invite import PortalCredential, graph_client, invite_to_group
from signin.services import GRAPH_APPLICATION_PERMISSIONS
from tests.factories import (
    ApplicationFactory,
    AppRegistrationFactory,
    ClientSecretFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)
from tests.graph.sdk_support import run


@pytest.fixture
def sdk(transactional_db, live_server):
    """A GraphServiceClient for a consented app registration, its token from our token endpoint over HTTP."""
    tenant = TenantFactory()
    registration = AppRegistrationFactory(
        tenant=tenant,
        display_name="Provisioning script",
        graph_application_permissions=list(GRAPH_APPLICATION_PERMISSIONS),
    )
    secret = ClientSecretFactory(registration=registration)
    credential = PortalCredential(
        portal_url=live_server.url,
        tenant=tenant.initial_domain,
        client_id=str(registration.client_id),
        client_secret=secret.value,
    )
    client = graph_client(portal_url=live_server.url, credential=credential)
    client.tenant = tenant
    client.registration = registration
    return client


def test_the_sample_invites_a_guest_with_a_message_into_a_group(sdk):
    group = GroupFactory(tenant=sdk.tenant, display_name="Marketing")

    guest_id = run(invite_to_group(sdk, email="lee@fabrikam.example", group_name="Marketing", message="Welcome!"))

    guest = DirectoryUser.objects.get(pk=guest_id)
    assert (guest.tenant, guest.user_type, guest.external_user_state) == (sdk.tenant, "Guest", "PendingAcceptance")
    assert GroupMember.objects.filter(group=group, user=guest).exists()
    email = OutboundEmail.objects.get(to="lee@fabrikam.example")
    assert "Welcome!" in email.body_text
    invite = AuditEvent.objects.get(tenant=sdk.tenant, activity="Invite external user")
    assert invite.initiated_by == "Provisioning script"
    assert invite.details["initiatedByApp"]["appId"] == str(sdk.registration.client_id)


def test_listing_guests_with_a_filter_follows_paging_to_the_end(sdk):
    DirectoryUserFactory.create_batch(7, tenant=sdk.tenant, guest=True)
    DirectoryUserFactory.create_batch(3, tenant=sdk.tenant)
    DirectoryUserFactory(guest=True)  # another tenant's guest

    async def all_guests() -> list[str]:
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter="userType eq 'Guest'", top=3, select=["id", "displayName", "userType"]
        )
        page = await sdk.users.get(request_configuration=RequestConfiguration(query_parameters=query))
        ids = [user.id for user in page.value]
        while page.odata_next_link:
            page = await sdk.users.with_url(page.odata_next_link).get()
            ids += [user.id for user in page.value]
        return ids

    ids = run(all_guests())

    expected = DirectoryUser.objects.filter(tenant=sdk.tenant, user_type="Guest").values_list("pk", flat=True)
    assert sorted(ids) == sorted(str(pk) for pk in expected)
    assert len(ids) == 7


def test_an_app_assignment_and_the_audit_log(sdk):
    application = ApplicationFactory(tenant=sdk.tenant, display_name="Salesforce")
    guest = DirectoryUserFactory(tenant=sdk.tenant, guest=True)

    async def assign_and_read():
        assignment = await sdk.service_principals.by_service_principal_id(
            str(application.pk)
        ).app_role_assigned_to.post(
            AppRoleAssignment(principal_id=guest.pk, resource_id=application.pk, app_role_id=ZERO_GUID)
        )
        assigned = await sdk.users.by_user_id(str(guest.pk)).app_role_assignments.get()
        query = DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetQueryParameters(
            filter="activityDisplayName eq 'Add app role assignment to service principal'"
        )
        audits = await sdk.audit_logs.directory_audits.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        return assignment, assigned, audits

    assignment, assigned, audits = run(assign_and_read())

    assert str(assignment.resource_id) == str(application.pk)
    assert assignment.principal_type == "User"
    assert [str(a.id) for a in assigned.value] == [str(assignment.id)]
    assert [a.activity_display_name for a in audits.value] == ["Add app role assignment to service principal"]
    assert audits.value[0].initiated_by.app.display_name == "Provisioning script"


def test_a_refusal_reaches_the_sdk_as_graphs_error(sdk):
    sdk.tenant.allow_invites_from = "none"
    sdk.tenant.save()

    async def invite():
        from msgraph.generated.models.invitation import Invitation

        await sdk.invitations.post(
            Invitation(invited_user_email_address="lee@fabrikam.example", invite_redirect_url="https://myapps.example/")
        )

    with pytest.raises(ODataError) as refused:
        run(invite())
    assert refused.value.response_status_code == 400
    assert refused.value.error.code == "Request_BadRequest"
    assert "doesn't allow anyone to invite" in refused.value.error.message
