from django.urls import reverse

from invitations.models import BlockedAddress, OutboundEmail
from invitations.services import invite_guest
from invitations.tickets import block_link_token
from tests.factories import DirectoryUserFactory, TenantFactory
from tests.invitations.redemption_support import database_snapshot

ADDRESS = "guest@fabrikam.example"


def block_url(token: str) -> str:
    return reverse("invitations:block", args=[token])


def test_block_link_shows_a_confirmation_and_changes_nothing(client, db):
    before = database_snapshot()

    response = client.get(block_url(block_link_token(ADDRESS)))

    page = response.content.decode()
    assert response.status_code == 200
    assert ADDRESS in page
    assert 'method="post"' in page
    assert "Block future invitations" in page
    assert database_snapshot() == before
    assert not BlockedAddress.objects.exists()


def test_confirming_blocks_the_address_and_later_invitations_send_no_email(client, db):
    response = client.post(block_url(block_link_token(ADDRESS)))

    assert response.status_code == 200
    assert "won't get invitation emails" in response.content.decode()
    assert BlockedAddress.objects.filter(email=ADDRESS).exists()
    tenant = TenantFactory()
    result = invite_guest(tenant=tenant, inviter=DirectoryUserFactory(tenant=tenant), email=ADDRESS)
    assert result.user.is_pending
    assert not result.email_sent
    assert not OutboundEmail.objects.filter(to=ADDRESS).exists()


def test_confirming_twice_is_harmless(client, db):
    url = block_url(block_link_token(ADDRESS))

    client.post(url)
    response = client.post(url)

    assert response.status_code == 200
    assert BlockedAddress.objects.count() == 1


def test_tampered_block_link_is_a_clear_404(client, db):
    token = block_link_token(ADDRESS)

    for bad in (token[:-2] + "xx", "garbage", "x" * 3000):
        response = client.get(block_url(bad))
        assert response.status_code == 404
        assert "This link isn't valid" in response.content.decode()
    assert client.post(block_url("garbage")).status_code == 404
    assert not BlockedAddress.objects.exists()
