from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from invitations.models import OutboundEmail
from tests.factories import AccountFactory, DirectoryUserFactory, OutboundEmailFactory, TenantFactory
from tests.invitations.redemption_support import invite, latest_email

MAILBOX = "/invitations/mailbox/"


@pytest.fixture
def staff(client, db):
    account = AccountFactory(is_staff=True)
    account.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    client.force_login(account)
    return account


@pytest.fixture
def not_demo(settings):
    settings.DEMO_MODE = False


@pytest.fixture
def demo(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def invitation_email(db):
    tenant = TenantFactory(display_name="Contoso")
    inviter = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan.bowen@contoso.com")
    invite(tenant=tenant, inviter=inviter, email="guest@fabrikam.example", message="<script>alert(1)</script>")
    return latest_email("guest@fabrikam.example", OutboundEmail.Kind.INVITATION)


def test_mailbox_url_is_named():
    assert reverse("invitations:mailbox") == MAILBOX


def test_mailbox_is_hidden_from_anonymous_visitors_outside_demo_mode(client, db, not_demo, invitation_email):
    for url in (
        MAILBOX,
        reverse("invitations:mailbox-email", args=[invitation_email.pk]),
        reverse("invitations:mailbox-email-html", args=[invitation_email.pk]),
    ):
        assert client.get(url).status_code == 404


def test_mailbox_is_hidden_from_signed_in_non_staff_outside_demo_mode(client, db, not_demo):
    client.force_login(DirectoryUserFactory().account)

    assert client.get(MAILBOX).status_code == 404


def test_mailbox_is_hidden_from_staff_without_the_outbound_email_permission(client, db, not_demo, invitation_email):
    client.force_login(AccountFactory(is_staff=True))

    for url in (
        MAILBOX,
        reverse("invitations:mailbox-email", args=[invitation_email.pk]),
        reverse("invitations:mailbox-email-html", args=[invitation_email.pk]),
    ):
        assert client.get(url).status_code == 404


def test_mailbox_opens_for_staff_with_the_outbound_email_permission(client, staff, not_demo, invitation_email):
    response = client.get(MAILBOX)

    assert response.status_code == 200
    assert invitation_email.subject in response.content.decode()


def test_mailbox_is_open_to_everyone_in_demo_mode(client, demo, invitation_email):
    response = client.get(MAILBOX)

    assert response.status_code == 200
    assert invitation_email.subject in response.content.decode()


def test_mailbox_lists_emails_newest_first_with_status_badges(client, staff, not_demo, django_assert_max_num_queries):
    now = timezone.now()
    OutboundEmailFactory(subject="Older", created_date_time=now - timedelta(hours=1), sent=True)
    OutboundEmailFactory(subject="Newer", created_date_time=now, failed=True)
    OutboundEmailFactory.create_batch(10)

    with django_assert_max_num_queries(8):
        response = client.get(MAILBOX)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Newer") < page.index("Older")
    assert "badge--sent" in page
    assert "badge--failed" in page


def test_mailbox_filters_by_recipient_with_a_plain_get(client, staff):
    OutboundEmailFactory(to="lee.gu@fabrikam.com", subject="For Lee")
    OutboundEmailFactory(to="alex@contoso.com", subject="For Alex")

    page = client.get(MAILBOX, {"q": "FABRIKAM"}).content.decode()

    assert "For Lee" in page
    assert "For Alex" not in page


def test_mailbox_live_filter_returns_only_the_results_partial(client, staff):
    OutboundEmailFactory(to="lee.gu@fabrikam.com", subject="For Lee")
    OutboundEmailFactory(to="alex@contoso.com", subject="For Alex")

    response = client.get(MAILBOX, {"q": "lee"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert '<div id="mailbox-results">' in page
    assert '<p id="mailbox-count" hx-swap-oob="innerHTML">1 email to addresses containing lee</p>' in page
    assert "<html" not in page
    assert "For Lee" in page
    assert "For Alex" not in page


def test_email_page_shows_headers_the_plain_text_and_a_sandboxed_frame(client, staff, invitation_email):
    response = client.get(reverse("invitations:mailbox-email", args=[invitation_email.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert invitation_email.subject in page
    assert "megan.bowen@contoso.com" in page  # Reply-To
    assert "guest@fabrikam.example" in page
    assert 'sandbox="allow-top-navigation-by-user-activation allow-popups"' in page
    assert reverse("invitations:mailbox-email-html", args=[invitation_email.pk]) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_email_html_is_served_with_its_own_strict_policy_and_same_origin_framing(client, staff, invitation_email):
    response = client.get(reverse("invitations:mailbox-email-html", args=[invitation_email.pk]))

    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert "style-src 'unsafe-inline'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "sandbox" in csp
    body = response.content.decode()
    assert '<base target="_top">' in body
    assert "Accept invitation" in body
    assert "/invitations/redeem/" in body
    assert "<script>alert(1)</script>" not in body


def test_plain_text_email_is_escaped_in_the_frame(client, staff):
    email = OutboundEmailFactory(body_html="", body_text="<b>plain</b> & simple")

    body = client.get(reverse("invitations:mailbox-email-html", args=[email.pk])).content.decode()

    assert "&lt;b&gt;plain&lt;/b&gt; &amp; simple" in body


def test_unknown_email_is_a_404(client, staff):
    url = reverse("invitations:mailbox-email", args=["00000000-0000-0000-0000-000000000000"])

    assert client.get(url).status_code == 404


def test_top_bar_links_the_mailbox_in_demo_mode_only(client, db, settings):
    settings.DEMO_MODE = True
    assert f'href="{MAILBOX}"' in client.get(reverse("portal:sign-in")).content.decode()

    settings.DEMO_MODE = False
    assert f'href="{MAILBOX}"' not in client.get(reverse("portal:sign-in")).content.decode()
