"""The demo's OpenID Connect wiring: Contoso Expenses signs in through the sample relying party.

Called by directory.demo.seed_demo through SigninConfig.seed_demo (the directory imports
nothing from the apps above it). Idempotent: it creates only what is missing.
"""

import datetime
import uuid

from django.utils import timezone

from directory import services as directory_services
from directory.models import Application, DirectoryUser
from samples.oidc_expenses import app as sample
from signin.models import AppRegistration
from signin.services import MAX_SECRET_LIFETIME, add_client_secret, create_app_registration

CONTOSO = "contoso.onmicrosoft.com"
EXPENSES = "Contoso Expenses"
ADMIN = "admin@contoso.com"


def seed_demo() -> int:
    """Registers Contoso Expenses with the sample's client id, redirect URI and secret; returns objects created."""
    application = Application.objects.filter(tenant__initial_domain=CONTOSO, display_name=EXPENSES).first()
    client_id = uuid.UUID(sample.DEMO_CLIENT_ID)
    if application is None or AppRegistration.objects.filter(client_id=client_id).exists():
        return 0
    actor = DirectoryUser.objects.filter(tenant=application.tenant, mail=ADMIN).first()
    directory_services.update_application(application=application, actor=actor, homepage_url=f"{sample.DEMO_BASE_URL}/")
    registration = create_app_registration(
        tenant=application.tenant,
        display_name=EXPENSES,
        actor=actor,
        redirect_uris=[f"{sample.DEMO_BASE_URL}/callback"],
        application=application,
        client_id=client_id,
    )
    add_client_secret(
        registration=registration,
        actor=actor,
        description="Sample app (demo)",
        expires_date_time=timezone.now() + MAX_SECRET_LIFETIME - datetime.timedelta(days=1),
        value=sample.DEMO_CLIENT_SECRET,
    )
    return 3
