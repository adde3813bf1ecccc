"""The sample OpenID Connect app (authlib's client) signs a person in against a live Access Portal."""

import re

import pytest

from samples.oidc_expenses.app import SampleRelyingParty
from signin.models import SignInEvent
from tests.factories import (
    AppRegistrationFactory,
    AppRoleAssignmentFactory,
    ClientSecretFactory,
    DirectoryUserFactory,
    TenantFactory,
)
from tests.samples.support import signed_in_browser


@pytest.fixture
def wired(transactional_db, settings, live_server, serve_sample):
    """A tenant with an OIDC app whose registration points at a running sample relying party."""
    settings.SITE_URL = live_server.url
    tenant = TenantFactory()
    registration = AppRegistrationFactory(tenant=tenant, redirect_uris="")
    secret = ClientSecretFactory(registration=registration)

    def make_app(base_url: str) -> SampleRelyingParty:
        return SampleRelyingParty(
            discovery_url=f"{live_server.url}/{tenant.initial_domain}/v2.0/.well-known/openid-configuration",
            client_id=str(registration.client_id),
            client_secret=secret.value,
            base_url=base_url,
        )

    sample_url = serve_sample(make_app)
    registration.redirect_uris = f"{sample_url}/callback"
    registration.save()
    return registration, sample_url


def test_sample_app_signs_in_an_assigned_person_through_code_flow_and_pkce(wired, live_server):
    registration, sample_url = wired
    person = DirectoryUserFactory(tenant=registration.tenant)
    AppRoleAssignmentFactory(application=registration.application, principal_user=person)
    browser = signed_in_browser(live_server, person)

    page = browser.get(f"{sample_url}/", timeout=20)

    assert page.status_code == 200, page.text
    assert page.url == f"{sample_url}/"
    assert re.search(rf"data-testid='name'>{re.escape(person.display_name)}<", page.text)
    assert f"<th scope='row'>oid</th><td>{person.pk}</td>" in page.text
    assert f"<th scope='row'>tid</th><td>{registration.tenant_id}</td>" in page.text
    assert f"<th scope='row'>iss</th><td>{live_server.url}/{registration.tenant_id}/v2.0</td>" in page.text
    assert SignInEvent.objects.filter(status="success", protocol="oidc", user_id=person.pk).count() == 1

    # Signing out of the sample signs out of the portal too (RP-initiated logout with id_token_hint).
    signed_out = browser.get(f"{sample_url}/logout", timeout=20)
    assert "signed out" in signed_out.text
    assert browser.get(f"{live_server.url}/", timeout=10, allow_redirects=False).status_code == 302


def test_sample_app_shows_the_refusal_of_an_unassigned_person(wired, live_server):
    registration, sample_url = wired
    stranger = DirectoryUserFactory(tenant=registration.tenant)
    browser = signed_in_browser(live_server, stranger)

    page = browser.get(f"{sample_url}/", timeout=20)

    assert page.status_code == 403
    assert "AADSTS50105" in page.text
    assert page.url.startswith(live_server.url)
    assert SignInEvent.objects.get(user_id=stranger.pk, protocol="oidc").error_code == 50105
