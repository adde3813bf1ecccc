"""Graph `invitation`: POST /invitations, through invitations.services like an invitation from My Apps."""

import uuid
from typing import Literal

from django.http import HttpRequest
from pydantic import Field

from graph.api import GraphBody, entity, operation
from graph.auth import check_permission
from graph.errors import bad_request
from graph.resources import Prop, Resource
from graph.users import USER, find_user
from invitations.models import MAX_MESSAGE_LENGTH
from invitations.services import InviteResult, invite_guest, my_apps_url, reset_redemption

INVITE = ("User.Invite.All", "User.ReadWrite.All")
RESET = ("User.ReadWrite.All",)
CC_UNSUPPORTED = "ccRecipients isn't supported here: the invitation goes to the invited address only."
MEMBER_UNSUPPORTED = "invitedUserType Member isn't supported here: invite a Guest, or create a member with POST /users."
RESET_NEEDS_USER = "resetRedemption needs invitedUser with the id of the guest to re-invite."


def _status(result: InviteResult) -> str:
    return "PendingAcceptance" if result.invitation is not None else "Completed"


def _message_info(result: InviteResult) -> dict:
    invitation = result.invitation
    return {
        "customizedMessageBody": invitation.customized_message_body or None if invitation else None,
        "messageLanguage": invitation.message_language if invitation else "en-US",
        "ccRecipients": [],
    }


INVITATION = Resource(
    name="invitation",
    entity_set="invitations",
    props=(
        Prop("id", "uuid", lambda r: str(r.invitation.pk if r.invitation else r.user.pk)),
        Prop("invitedUserEmailAddress", "string", lambda r: r.user.mail),
        Prop("invitedUserDisplayName", "string", lambda r: r.user.display_name),
        Prop("invitedUserType", "string", lambda r: r.user.user_type),
        Prop("inviteRedirectUrl", "string", lambda r: r.invitation.invite_redirect_url if r.invitation else None),
        Prop("inviteRedeemUrl", "string", lambda r: r.invite_redeem_url or my_apps_url(r.user.tenant)),
        Prop("sendInvitationMessage", "boolean", lambda r: bool(r.invitation and r.invitation.send_invitation_message)),
        Prop("invitedUserMessageInfo", "object", _message_info, schema={"type": "object"}),
        Prop("resetRedemption", "boolean", lambda r: bool(r.invitation and r.invitation.reset_redemption)),
        Prop("status", "string", _status),
        Prop("invitedUser", "object", lambda r: USER.serialize(r.user), schema={"$ref": "#/components/schemas/user"}),
    ),
)


class EmailAddress(GraphBody):
    address: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=256)


class Recipient(GraphBody):
    emailAddress: EmailAddress


class InvitedUserMessageInfo(GraphBody):
    customizedMessageBody: str | None = Field(default=None, max_length=MAX_MESSAGE_LENGTH)
    messageLanguage: str | None = Field(default=None, max_length=10)
    ccRecipients: list[Recipient] = Field(default_factory=list, max_length=1)


class InvitedUserRef(GraphBody):
    id: uuid.UUID


class NewInvitation(GraphBody):
    invitedUserEmailAddress: str = Field(max_length=254)
    inviteRedirectUrl: str = Field(max_length=2048)
    invitedUserDisplayName: str | None = Field(default=None, max_length=256)
    sendInvitationMessage: bool = False
    invitedUserMessageInfo: InvitedUserMessageInfo | None = None
    invitedUserType: Literal["Guest", "Member"] = "Guest"
    resetRedemption: bool = False
    invitedUser: InvitedUserRef | None = None


@operation("POST", "/invitations", permissions=INVITE, body=NewInvitation, resource=INVITATION, status=201)
def create_invitation(request: HttpRequest) -> dict:
    """Invite a guest user"""
    body: NewInvitation = request.data
    info = body.invitedUserMessageInfo or InvitedUserMessageInfo()
    if info.ccRecipients:
        raise bad_request(CC_UNSUPPORTED)
    if body.invitedUserType == "Member":
        raise bad_request(MEMBER_UNSUPPORTED)
    caller = request.caller
    if body.resetRedemption:
        check_permission(caller, RESET)
        if body.invitedUser is None:
            raise bad_request(RESET_NEEDS_USER)
        result = reset_redemption(
            user=find_user(request, str(body.invitedUser.id)),
            actor=caller.app,
            email=body.invitedUserEmailAddress,
            redirect_url=body.inviteRedirectUrl,
            send_invitation_message=body.sendInvitationMessage,
        )
    else:
        result = invite_guest(
            tenant=caller.tenant,
            inviter=caller.app,
            email=body.invitedUserEmailAddress,
            display_name=body.invitedUserDisplayName or "",
            message=info.customizedMessageBody or "",
            redirect_url=body.inviteRedirectUrl,
            message_language=info.messageLanguage or "en-US",
            send_invitation_message=body.sendInvitationMessage,
        )
    return entity(request, INVITATION, result, context="invitations/$entity")
