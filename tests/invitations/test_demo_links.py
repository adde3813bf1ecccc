"""Links inside emails: where the demo is served in demo mode, ACCESSPORTAL_SITE_URL otherwise."""

import pytest
from django.urls import reverse

from invitations.models import OutboundEmail
from tests.factories import DirectoryUserFactory, GroupFactory

GUEST = "sam@partner.example"


@pytest.fixture
def owner_client(client, tenant, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "training-room.example"]
    settings.SITE_URL = "https://portal.example.com"
    owner = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner])
    client.force_login(owner.account)
    return client, reverse("portal:group-add-members", args=[group.pk])


def _invitation_text() -> str:
    return OutboundEmail.objects.get(to=GUEST, kind=OutboundEmail.Kind.INVITATION).body_text


def test_in_demo_mode_emailed_links_follow_the_address_the_demo_is_served_on(owner_client, settings):
    settings.DEMO_MODE = True
    client, url = owner_client

    client.post(url, {"email": [GUEST]}, HTTP_HOST="training-room.example:8080")

    assert "http://training-room.example:8080/invitations/redeem/" in _invitation_text()
    assert "portal.example.com" not in _invitation_text()


def test_outside_demo_mode_emailed_links_use_the_site_url(owner_client, settings):
    settings.DEMO_MODE = False
    client, url = owner_client

    client.post(url, {"email": [GUEST]}, HTTP_HOST="training-room.example:8080")

    assert "https://portal.example.com/invitations/redeem/" in _invitation_text()
    assert "training-room.example" not in _invitation_text()
