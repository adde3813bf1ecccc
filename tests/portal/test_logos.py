"""App logos: a content-hashed URL cached forever and read once per process; initials drawn in CSS without one."""

import pytest
from django.urls import reverse

from directory.logos import app_logo_png
from directory.models import Application, logo_version
from directory.services import update_application
from tests.factories import ApplicationFactory, AppRoleAssignmentFactory

LOGO = app_logo_png(name="Contoso Expenses", colour="#107c10")
OTHER_LOGO = app_logo_png(name="Workday", colour="#b4490f")


@pytest.fixture
def app(tenant):
    return ApplicationFactory(tenant=tenant, display_name="Contoso Expenses", logo=LOGO)


def logo_url(app):
    return reverse("portal:app-logo", args=[app.pk, app.logo_hash])


def test_the_logo_version_is_its_content_hash_and_follows_a_new_logo(app):
    assert app.logo_hash == logo_version(LOGO) != ""
    update_application(application=app, actor=None, logo=OTHER_LOGO)
    assert Application.objects.get(pk=app.pk).logo_hash == logo_version(OTHER_LOGO)
    update_application(application=app, actor=None, logo=b"")
    assert Application.objects.get(pk=app.pk).logo_hash == ""


def test_saving_an_app_read_without_its_logo_keeps_the_version(app):
    loaded = Application.objects.defer("logo").get(pk=app.pk)
    loaded.display_name = "Renamed"
    loaded.save()
    assert Application.objects.get(pk=app.pk).logo_hash == logo_version(LOGO)


def test_a_logo_is_served_publicly_cached_forever_and_read_once_per_process(client, app, django_assert_num_queries):
    response = client.get(logo_url(app))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == LOGO
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"

    with django_assert_num_queries(0):
        again = client.get(logo_url(app))
        revalidated = client.get(logo_url(app), headers={"if-none-match": response["ETag"]})
    assert again.content == LOGO
    assert revalidated.status_code == 304


def test_an_old_or_unknown_version_is_404(client, app):
    stale = reverse("portal:app-logo", args=[app.pk, logo_version(OTHER_LOGO)])
    assert client.get(stale).status_code == 404
    assert client.get(reverse("portal:app-logo", args=[ApplicationFactory().pk, app.logo_hash])).status_code == 404


def test_an_app_without_a_logo_draws_its_initials_and_asks_for_no_image(client, tenant, member):
    app = ApplicationFactory(tenant=tenant, display_name="Contoso Expenses")
    AppRoleAssignmentFactory(application=app, principal_user=member)
    client.force_login(member.account)

    html = client.get(reverse("portal:my-apps")).text
    details = client.get(reverse("portal:app-details", args=[app.pk])).text

    for page in (html, details):
        assert f'app-initials app-initials--{app.initials_colour}" aria-hidden="true">CE</span>' in page
        assert "/logo/" not in page
