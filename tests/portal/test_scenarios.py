"""**Scenarios** (demo mode): reset the demo to a training scenario from the top bar."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from directory.demo import ADELE, LEE, MEGAN, SCENARIOS, seed_demo
from directory.models import Account, Application, DirectoryUser, Tenant
from invitations.models import OutboundEmail
from portal.views.scenarios import UNKNOWN_SCENARIO

pytestmark = pytest.mark.django_db

URL = reverse("portal:scenarios")


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


def test_scenarios_do_not_exist_outside_demo_mode(client, settings):
    settings.DEMO_MODE = False
    seed_demo()

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"scenario": "invited"}).status_code == 404
    assert not DirectoryUser.objects.filter(mail=LEE, tenant__initial_domain="contoso.onmicrosoft.com").exists()


def test_the_top_bar_links_scenarios_in_demo_mode_only(client, settings):
    settings.DEMO_MODE = True
    assert URL in client.get(reverse("portal:sign-in")).content.decode()
    settings.DEMO_MODE = False
    assert URL not in client.get(reverse("portal:sign-in")).content.decode()


def test_the_page_lists_every_scenario_with_what_the_audience_sees(client, demo_mode):
    body = client.get(URL).content.decode()

    for scenario in SCENARIOS.values():
        assert scenario.title in body
        assert html.escape(scenario.audience_sees) in body
        assert f'name="scenario" value="{scenario.name}"' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_resetting_needs_the_csrf_token(demo_mode):
    response = Client(enforce_csrf_checks=True).post(URL, {"scenario": "invited"})

    assert response.status_code == 403
    assert not Tenant.objects.exists()


def test_resetting_to_a_scenario_signs_out_and_says_what_the_audience_sees(client, demo_mode):
    seed_demo()
    client.force_login(Account.objects.get(email=MEGAN))
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.ONE_TIME_CODE,
        to="old@example.com",
        from_email="a@b.example",
        subject="Old",
        body_text="x",
    )

    # As `make demo` serves it: in demo mode the seeded apps' URLs follow the served address.
    response = client.post(URL, {"scenario": "requests"}, follow=True, HTTP_HOST="127.0.0.1:8000")

    assert response.redirect_chain == [(URL, 302)]
    body = response.content.decode()
    assert f"The demo now starts at “{SCENARIOS['requests'].title}”." in body
    assert not response.context["user"].is_authenticated
    assert not OutboundEmail.objects.filter(to="old@example.com").exists()
    assert OutboundEmail.objects.filter(to=ADELE).count() == 2


def test_resetting_to_an_unknown_scenario_changes_nothing(client, demo_mode):
    seed_demo()
    accounts = set(Account.objects.values_list("pk", flat=True))

    response = client.post(URL, {"scenario": "nonsense"}, follow=True)

    assert UNKNOWN_SCENARIO in response.content.decode()
    assert set(Account.objects.values_list("pk", flat=True)) == accounts


def test_a_demo_served_on_an_intranet_host_name_resets_and_links_to_it(client, demo_mode, settings):
    # A trainer's laptop is often reached by a single-label name; links follow the request's host.
    settings.ALLOWED_HOSTS = ["trainer-laptop"]

    response = client.post(URL, {"scenario": "invited"}, HTTP_HOST="trainer-laptop:8000")

    assert response.status_code == 302
    sample_pages = Application.objects.filter(homepage_url__contains="/sample-app/")
    assert sample_pages.exists()
    assert all(app.homepage_url.startswith("http://trainer-laptop:8000/") for app in sample_pages)
