"""The story steps of the training scenarios (directory.demo.SCENARIOS), played through the services.

Each runs on the seeded demo, creates only what is missing (so a scenario seeded twice is
unchanged) and returns how many objects it created. The emails they cause go to the outbox,
so the audience finds them in the mailbox.
"""

from directory.demo import ALEX, CONTOSO, LEE, MARKETING, MEGAN, SALESFORCE, SERVICENOW
from directory.models import Account, Application, DirectoryUser, Group, Tenant
from invitations.models import Invitation
from invitations.redemption import redeem_invitation
from portal import services
from portal.access_requests import request_app_access
from portal.models import AppAccessRequest, GroupJoinRequest

WELCOME_MESSAGE = "Hi Lee, welcome to Contoso's Salesforce: we'll track the Fabrikam partnership there. Megan"
JOIN_JUSTIFICATION = "I'm helping with the spring campaign's logistics."
APP_JUSTIFICATION = "I need to open facilities tickets for the warehouse move."


def _contoso() -> Tenant:
    return Tenant.objects.get(initial_domain=CONTOSO.initial_domain)


def _contoso_user(mail: str) -> DirectoryUser:
    return DirectoryUser.objects.get(tenant=_contoso(), mail=mail)


def invite_lee() -> int:
    """Megan invites Lee Gu to Salesforce from Manage app, with a welcome message."""
    if DirectoryUser.objects.filter(tenant=_contoso(), mail__iexact=LEE).exists():
        return 0
    salesforce = Application.objects.select_related("self_service_group").get(
        tenant=_contoso(), display_name=SALESFORCE
    )
    services.add_members(
        actor=_contoso_user(MEGAN),
        group=salesforce.self_service_group,
        emails=[LEE],
        message=WELCOME_MESSAGE,
        redirect_url=services.app_invite_redirect_url(salesforce),
    )
    return 1


def redeem_lee() -> int:
    """Lee Gu accepts Megan's invitation with his Fabrikam account."""
    created = invite_lee()
    pending = Invitation.objects.filter(
        tenant=_contoso(), invited_user__mail__iexact=LEE, status=Invitation.Status.PENDING_ACCEPTANCE
    ).first()
    if pending is None:
        return created
    redeem_invitation(invitation=pending, account=Account.objects.get(email__iexact=LEE))
    return created + 1


def request_access() -> int:
    """Alex Wilber asks to join Marketing and for ServiceNow; both wait for Adele Vance."""
    alex = _contoso_user(ALEX)
    created = 0
    marketing = Group.objects.get(tenant=_contoso(), display_name=MARKETING)
    if not GroupJoinRequest.objects.filter(group=marketing, requester=alex).exists():
        services.request_to_join_group(actor=alex, group=marketing, justification=JOIN_JUSTIFICATION)
        created += 1
    servicenow = Application.objects.get(tenant=_contoso(), display_name=SERVICENOW)
    if not AppAccessRequest.objects.filter(application=servicenow, requester=alex).exists():
        request_app_access(application=servicenow, requester=alex, justification=APP_JUSTIFICATION)
        created += 1
    return created
