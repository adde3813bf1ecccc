"""README's "Scripting with Microsoft Graph": the sample script, run as the README runs it, on a fresh demo."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from directory.demo import ADELE, seed_demo
from directory.models import Account, DirectoryUser, GroupMember
from graph.demo import DISPLAY_NAME
from invitations.models import OutboundEmail
from samples import graph_invite
from signin.models import AppRegistration


@pytest.fixture
def demo(transactional_db, settings, live_server):
    settings.DEMO_MODE = True
    settings.SITE_URL = live_server.url
    seed_demo()


def test_the_sample_script_invites_a_guest_into_marketing_on_the_demo(demo, live_server, client):
    registration = AppRegistration.objects.get(client_id=graph_invite.DEMO_CLIENT_ID)
    assert registration.display_name == DISPLAY_NAME
    assert "User.Invite.All" in registration.graph_application_permissions

    finished = subprocess.run(
        [sys.executable, "-m", "samples.graph_invite", "pat@fabrikam.example"],
        env={**os.environ, "GRAPH_SAMPLE_PORTAL_URL": live_server.url},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    guest = DirectoryUser.objects.get(mail="pat@fabrikam.example", tenant__initial_domain=graph_invite.DEMO_TENANT)
    assert f"Invited pat@fabrikam.example (user {guest.pk}) and added them to Marketing." in finished.stdout
    assert GroupMember.objects.filter(group__display_name=graph_invite.DEMO_GROUP, user=guest).exists()
    email = OutboundEmail.objects.get(to="pat@fabrikam.example")
    assert "Welcome to Contoso!" in email.body_text
    assert "pat@fabrikam.example" in client.get("/invitations/mailbox/").content.decode()
    # Marketing's owner sees the guest among its members in My Apps.
    client.force_login(Account.objects.get(email=ADELE))
    marketing = GroupMember.objects.get(user=guest).group
    assert guest.mail in client.get(reverse("portal:group", args=[marketing.pk])).content.decode()
