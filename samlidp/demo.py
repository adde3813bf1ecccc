"""The demo's SAML wiring: Salesforce signs in to the sample SAML app (samples/saml_sp) through a signed assertion.

Called by directory.demo.seed_demo through SamlIdpConfig.seed_demo (the directory imports
nothing from the apps above it). Idempotent: it creates only what is missing. In the
"Prerequisites not done" scenario Salesforce has no single sign-on yet, and nothing is wired.
"""

from directory import services as directory_services
from directory.demo import ADMIN, SALESFORCE_ID
from directory.models import Application, DirectoryUser, SingleSignOnMode
from samlidp.models import SamlConfiguration
from samlidp.services import configure_saml
from samples.saml_sp import app as sample


def seed_demo() -> int:
    """Salesforce's Basic SAML Configuration points at the sample SP; returns how many objects it created."""
    application = Application.objects.filter(pk=SALESFORCE_ID, single_sign_on_mode=SingleSignOnMode.SAML).first()
    if application is None or SamlConfiguration.objects.filter(application=application).exists():
        return 0
    actor = DirectoryUser.objects.filter(tenant=application.tenant, mail=ADMIN).first()
    directory_services.update_application(application=application, actor=actor, homepage_url=f"{sample.DEMO_BASE_URL}/")
    service_provider = sample.SampleServiceProvider()
    # No Sign on URL: the tile signs in IdP-initiated; the sample's own "Sign in" link is SP-initiated.
    configure_saml(
        application=application,
        actor=actor,
        entity_id=service_provider.entity_id,
        reply_url=service_provider.acs_url,
        logout_url=service_provider.logout_url,
    )
    return 1
