"""An application (Graph client credentials) invites through the same service as a person."""

import pytest

from directory.audit import Activity, AppActor
from directory.models import AuditEvent, DirectoryUser, Tenant
from invitations.models import OutboundEmail
from invitations.services import INVITES_DISABLED, InvitationError, invite_guest, reset_redemption
from tests.factories import DirectoryUserFactory

APP = AppActor(app_id="6f0c7e2a-1c1b-4d84-9a3e-0d5b8f6c2a11", display_name="Provisioning script")


def test_an_app_invites_a_guest_and_is_named_as_the_initiator(tenant):
    result = invite_guest(tenant=tenant, inviter=APP, email="john@fabrikam.example", message="Welcome aboard")

    assert result.created and result.email_sent
    assert result.user.invited_by is None
    assert result.invitation.inviter_name == "Provisioning script"
    event = AuditEvent.objects.get(tenant=tenant, activity=Activity.INVITE_EXTERNAL_USER)
    assert event.initiated_by == "Provisioning script"
    assert event.initiated_by_user is None
    assert event.details["initiatedByApp"] == {
        "appId": APP.app_id,
        "displayName": "Provisioning script",
        "servicePrincipalId": "",
    }
    email = OutboundEmail.objects.get(to="john@fabrikam.example")
    assert email.reply_to == ""
    assert "Sender: Provisioning script\n" in email.body_text
    assert "Welcome aboard" in email.body_text


@pytest.mark.parametrize(
    "policy",
    [Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS, Tenant.AllowInvitesFrom.ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS],
)
def test_an_app_invites_as_an_administrator_would(tenant, policy):
    tenant.allow_invites_from = policy
    tenant.save()
    assert invite_guest(tenant=tenant, inviter=APP, email="john@fabrikam.example").created


def test_no_one_may_invite_refuses_an_app_too(tenant):
    tenant.allow_invites_from = Tenant.AllowInvitesFrom.NONE
    tenant.save()
    with pytest.raises(InvitationError, match=INVITES_DISABLED):
        invite_guest(tenant=tenant, inviter=APP, email="john@fabrikam.example")
    assert not DirectoryUser.objects.filter(mail="john@fabrikam.example").exists()


def test_an_app_resets_a_guests_redemption(tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    result = reset_redemption(user=guest, actor=APP)

    guest.refresh_from_db()
    assert guest.is_pending and guest.account is None
    assert result.invitation.reset_redemption
    event = AuditEvent.objects.get(tenant=tenant, activity=Activity.INVITE_EXTERNAL_USER_RESET)
    assert event.initiated_by == "Provisioning script"
