"""The demo's Graph scripting registration: what samples/graph_invite.py signs in as.

Called by directory.demo.seed_demo through GraphConfig.seed_demo. Idempotent: it creates only
what is missing.
"""

import datetime
import uuid

from django.utils import timezone

from directory.models import DirectoryUser, Tenant
from samples import graph_invite as sample
from signin.models import AppRegistration
from signin.services import (
    MAX_SECRET_LIFETIME,
    add_api_permissions,
    add_client_secret,
    create_app_registration,
    grant_admin_consent,
)

DISPLAY_NAME = "Graph scripting sample"
ADMIN = "admin@contoso.com"
# What a trainer's scripts need: invite, read people and groups, manage memberships and assignments, read logs.
PERMISSIONS = [
    "User.Invite.All",
    "User.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "AuditLog.Read.All",
]


def seed_demo() -> int:
    """Registers the sample with its known client id and secret, consented; returns objects created."""
    tenant = Tenant.objects.filter(initial_domain=sample.DEMO_TENANT).first()
    client_id = uuid.UUID(sample.DEMO_CLIENT_ID)
    if tenant is None or AppRegistration.objects.filter(client_id=client_id).exists():
        return 0
    actor = DirectoryUser.objects.filter(tenant=tenant, mail=ADMIN).first()
    registration = create_app_registration(tenant=tenant, display_name=DISPLAY_NAME, actor=actor, client_id=client_id)
    add_client_secret(
        registration=registration,
        actor=actor,
        description="Graph sample (demo)",
        expires_date_time=timezone.now() + MAX_SECRET_LIFETIME - datetime.timedelta(days=1),
        value=sample.DEMO_CLIENT_SECRET,
    )
    add_api_permissions(registration=registration, permissions=PERMISSIONS, actor=actor)
    grant_admin_consent(registration=registration, actor=actor)
    return 2
