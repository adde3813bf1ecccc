"""The Single sign-on blade: Set up Single Sign-On with SAML (its four cards and their Edit pages, the
downloads) and the OpenID Connect view of the app registration."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from saml2 import md
from saml2.mdstore import MetadataStore

from directory.admin.single_sign_on import CERTIFICATE_CREATED
from directory.audit import Activity
from directory.models import Application, AuditEvent
from samlidp import certificates, idp
from samlidp.models import SamlClaim, SamlConfiguration, SamlSigningCertificate
from samlidp.services import CLAIM_EXISTS, CLAIM_NAME_REQUIRED, ENTITY_ID_IN_USE, REPLY_URL_REQUIRED, configure_saml
from tests.directory.test_admin import admin_url
from tests.factories import AccountFactory, ApplicationFactory, AppRegistrationFactory, DirectoryUserFactory

BASIC = {
    "entity_id": "https://salesforce.example/",
    "reply_url": "https://salesforce.example/acs",
    "sign_on_url": "https://salesforce.example/login",
    "relay_state": "/home",
    "logout_url": "https://salesforce.example/logout",
    "verification_certificate": "",
}


@pytest.fixture
def staff_client(client, tenant):
    account = AccountFactory(is_staff=True, is_superuser=True)
    DirectoryUserFactory(tenant=tenant, account=account, display_name="MOD Administrator")
    client.force_login(account)
    return client


@pytest.fixture
def saml_app(tenant):
    return ApplicationFactory(tenant=tenant, display_name="Salesforce", saml=True)


@pytest.fixture
def configured(saml_app):
    configure_saml(application=saml_app, actor=None, entity_id=BASIC["entity_id"], reply_url=BASIC["reply_url"])
    return saml_app


def url(name: str, application: Application, *args: object) -> str:
    return admin_url(Application, name, application.pk, *args)


def test_saml_blade_before_configuration_asks_for_the_basic_saml_configuration(staff_client, saml_app):
    response = staff_client.get(url("single_sign_on", saml_app))

    assert response.status_code == 200
    text = response.text
    assert "Set up Single Sign-On with SAML" in text
    for title in (
        "Basic SAML Configuration",
        "Attributes &amp; Claims",
        "SAML Signing Certificate",
        "Set up Salesforce",
    ):
        assert title in text
    assert "Required" in text
    assert url("saml_basic", saml_app) in text
    assert [fact.label for fact in response.context["claim_facts"]] == [
        "Unique User Identifier",
        "emailaddress",
        "givenname",
        "name",
        "surname",
    ]
    assert response.context["claim_facts"][0].value == "user.userprincipalname"
    # Set up Salesforce: the tenant's endpoints, from samlidp.idp.
    assert idp.sign_in_url(saml_app.tenant) in text
    assert idp.idp_entity_id(saml_app.tenant) in text


def test_saml_blade_does_not_repeat_the_sign_on_url_in_the_mode_form(staff_client, saml_app):
    form = staff_client.get(url("single_sign_on", saml_app)).context["form"]

    assert list(form.fields) == ["single_sign_on_mode"]


def test_basic_saml_configuration_saves_through_configure_saml(staff_client, saml_app):
    response = staff_client.post(url("saml_basic", saml_app), BASIC)

    assert response.status_code == 302
    assert response.url == url("single_sign_on", saml_app)
    configuration = SamlConfiguration.objects.get(application=saml_app)
    assert (configuration.entity_id, configuration.reply_url, configuration.relay_state) == (
        "https://salesforce.example/",
        "https://salesforce.example/acs",
        "/home",
    )
    saml_app.refresh_from_db()
    assert saml_app.sign_on_url == "https://salesforce.example/login"
    assert saml_app.saml_claims.count() == 4
    assert saml_app.saml_certificates.get().status == SamlSigningCertificate.Status.ACTIVE
    assert AuditEvent.objects.filter(activity=Activity.UPDATE_SERVICE_PRINCIPAL, target_id=str(saml_app.pk)).exists()


def test_basic_saml_configuration_edit_starts_from_the_saved_values(staff_client, configured):
    form = staff_client.get(url("saml_basic", configured)).context["form"]

    assert form.initial["entity_id"] == BASIC["entity_id"]
    assert form.initial["reply_url"] == BASIC["reply_url"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reply_url": ""}, "reply_url", REPLY_URL_REQUIRED),
        ({"reply_url": "http://salesforce.example/acs"}, "reply_url", "Reply URL must start with https://"),
        ({"logout_url": "javascript:alert(1)"}, "logout_url", "Logout Url must start with https://"),
    ],
)
def test_basic_saml_configuration_shows_the_services_refusal_on_its_field(
    staff_client, saml_app, changes, field, message
):
    response = staff_client.post(url("saml_basic", saml_app), BASIC | changes)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not SamlConfiguration.objects.exists()
    assert not SamlSigningCertificate.objects.exists()


def test_basic_saml_configuration_refuses_an_identifier_another_app_uses(staff_client, configured, tenant):
    other = ApplicationFactory(tenant=tenant, saml=True)

    response = staff_client.post(url("saml_basic", other), BASIC)

    assert response.context["form"].errors["entity_id"] == [ENTITY_ID_IN_USE.format(entity_id=BASIC["entity_id"])]
    assert not SamlConfiguration.objects.filter(application=other).exists()


def test_configured_saml_blade_shows_the_certificate_and_the_downloads(staff_client, configured):
    certificate = configured.saml_certificates.get()

    response = staff_client.get(url("single_sign_on", configured))

    text = response.text
    assert certificate.thumbprint in text
    assert "Active" in text
    assert idp.metadata_url(configured) in text
    for label in ("Certificate (Base64)", "Certificate (Raw)", "Federation Metadata XML"):
        assert label in text
    assert url("saml_certificate_download", configured, certificate.pk, "base64") in text
    assert url("saml_metadata", configured) in text
    assert BASIC["reply_url"] in text


def test_certificate_downloads_are_the_active_certificate_in_base64_and_raw(staff_client, configured):
    certificate = configured.saml_certificates.get()

    pem = staff_client.get(url("saml_certificate_download", configured, certificate.pk, "base64"))
    raw = staff_client.get(url("saml_certificate_download", configured, certificate.pk, "raw"))

    assert pem["Content-Disposition"] == 'attachment; filename="salesforce.cer"'
    assert pem.content.decode().startswith("-----BEGIN CERTIFICATE-----")
    assert raw.content == certificates.der(certificate.certificate_pem)
    assert certificates.thumbprint(certificates.load(pem.content.decode())) == certificate.thumbprint


def test_certificate_download_of_another_apps_certificate_is_not_found(staff_client, configured, tenant):
    other = ApplicationFactory(tenant=tenant, saml=True)
    configure_saml(application=other, actor=None, entity_id="https://other.example/", reply_url=BASIC["reply_url"])
    foreign = other.saml_certificates.get()

    assert staff_client.get(url("saml_certificate_download", configured, foreign.pk, "raw")).status_code == 404
    own = configured.saml_certificates.get()
    assert staff_client.get(url("saml_certificate_download", configured, own.pk, "pfx")).status_code == 404


def test_federation_metadata_download_is_signed_metadata_with_the_tenants_issuer(staff_client, configured):
    response = staff_client.get(url("saml_metadata", configured))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="salesforce.xml"'
    store = MetadataStore([md], None, None)
    store.load("inline", response.content.decode())
    assert store.identity_providers() == [idp.idp_entity_id(configured.tenant)]
    assert b"Signature" in response.content


def test_downloads_before_configuration_are_not_found(staff_client, saml_app):
    assert staff_client.get(url("saml_metadata", saml_app)).status_code == 404
    assert staff_client.get(url("saml_claims", saml_app)).status_code == 404
    assert staff_client.get(url("saml_certificates", saml_app)).status_code == 404


# Attributes & Claims ----------------------------------------------------------------


def test_attributes_and_claims_lists_the_name_id_and_the_default_claims(staff_client, configured):
    response = staff_client.get(url("saml_claims", configured))

    assert response.status_code == 200
    assert "Unique User Identifier (Name ID)" in response.text
    assert "user.userprincipalname" in response.text
    assert [claim.name for claim in response.context["claims"]] == ["emailaddress", "givenname", "name", "surname"]
    assert "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" in response.text


def test_name_identifier_edit_saves_through_the_service(staff_client, configured):
    response = staff_client.post(
        url("saml_name_id", configured),
        {"source_attribute": "user.mail", "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
    )

    assert response.status_code == 302
    configuration = SamlConfiguration.objects.get(application=configured)
    assert configuration.name_id_source == "user.mail"
    assert configuration.name_id_format.endswith("persistent")


def test_add_claim_saves_through_the_service(staff_client, configured):
    response = staff_client.post(
        url("saml_new_claim", configured),
        {
            "name": "department",
            "namespace": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims",
            "source_attribute": "user.department",
        },
    )

    assert response.status_code == 302
    assert configured.saml_claims.filter(name="department", source_attribute="user.department").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", CLAIM_NAME_REQUIRED),
        (
            "emailaddress",
            CLAIM_EXISTS.format(claim="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"),
        ),
    ],
)
def test_add_claim_shows_the_services_refusal_and_adds_nothing(staff_client, configured, name, message):
    response = staff_client.post(
        url("saml_new_claim", configured),
        {
            "name": name,
            "namespace": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims",
            "source_attribute": "user.mail",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [message]
    assert configured.saml_claims.count() == 4


def test_edit_claim_changes_its_source_attribute(staff_client, configured):
    claim = configured.saml_claims.get(name="name")

    response = staff_client.post(
        url("saml_claim", configured, claim.pk),
        {"name": "name", "namespace": claim.namespace, "source_attribute": "user.displayname"},
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.source_attribute == "user.displayname"


def test_edit_claim_of_another_app_is_not_found(staff_client, configured, tenant):
    other = ApplicationFactory(tenant=tenant, saml=True)
    configure_saml(application=other, actor=None, entity_id="https://other.example/", reply_url=BASIC["reply_url"])
    foreign = other.saml_claims.first()

    assert staff_client.get(url("saml_claim", configured, foreign.pk)).status_code == 404


def test_remove_claim_deletes_it_through_the_service(staff_client, configured):
    claim = configured.saml_claims.get(name="surname")
    before = AuditEvent.objects.count()

    response = staff_client.post(url("saml_claims", configured), {"remove": str(claim.pk)})

    assert response.status_code == 302
    assert not SamlClaim.objects.filter(pk=claim.pk).exists()
    assert AuditEvent.objects.count() == before + 1
    assert staff_client.post(url("saml_claims", configured), {"remove": "junk"}).status_code == 200


def test_saml_pages_query_counts_do_not_grow_with_claims(staff_client, configured, django_assert_max_num_queries):
    pages = [url("saml_claims", configured), url("single_sign_on", configured)]
    counts = []
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            staff_client.get(page)
        counts.append(len(queries))  # now: the captured list is read from the log each request resets
    SamlClaim.objects.bulk_create(
        SamlClaim(application=configured, name=f"extra{n}", source_attribute="user.mail") for n in range(20)
    )

    for page, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            staff_client.get(page)


# SAML Signing Certificate ----------------------------------------------------------------


def test_new_certificate_is_inactive_so_the_old_one_keeps_signing(staff_client, configured):
    old = configured.saml_certificates.get()

    response = staff_client.post(url("saml_certificates", configured), {"new": "1"}, follow=True)

    assert CERTIFICATE_CREATED.format(app=configured) in response.text
    new = configured.saml_certificates.exclude(pk=old.pk).get()
    assert new.status == SamlSigningCertificate.Status.INACTIVE
    old.refresh_from_db()
    assert old.status == SamlSigningCertificate.Status.ACTIVE
    # Both are published, so the application can trust the new one before it signs.
    metadata = staff_client.get(url("saml_metadata", configured)).content.decode()
    assert certificates.base64_body(new.certificate_pem) in metadata
    assert certificates.base64_body(old.certificate_pem) in metadata


def test_make_certificate_active_switches_the_signing_certificate(staff_client, configured):
    old = configured.saml_certificates.get()
    staff_client.post(url("saml_certificates", configured), {"new": "1"})
    new = configured.saml_certificates.exclude(pk=old.pk).get()

    response = staff_client.post(url("saml_certificates", configured), {"activate": str(new.pk)})

    assert response.status_code == 302
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, old.status) == ("Active", "Inactive")
    assert new.thumbprint in staff_client.get(url("single_sign_on", configured)).text


def test_certificates_page_query_count_does_not_grow_with_certificates(
    staff_client, configured, django_assert_max_num_queries
):
    certificates_url = url("saml_certificates", configured)
    with CaptureQueriesContext(connection) as one:
        staff_client.get(certificates_url)
    before = len(one)  # now: the captured list is read from the connection's log, which each request resets
    for _ in range(3):
        staff_client.post(certificates_url, {"new": "1"})

    with django_assert_max_num_queries(before):
        response = staff_client.get(certificates_url)
    assert len(response.context["rows"]) == 4


# Permissions ---------------------------------------------------------------------------------


@pytest.fixture
def app_reader(client, tenant):
    """A staff account that may only view enterprise applications."""
    account = AccountFactory(is_staff=True)
    account.user_permissions.add(
        Permission.objects.get(codename="view_application", content_type__app_label="directory")
    )
    client.force_login(account)
    return client


def test_a_reader_sees_the_saml_blade_and_downloads_but_cannot_edit(app_reader, configured):
    certificate = configured.saml_certificates.get()
    blade = app_reader.get(url("single_sign_on", configured))

    assert blade.status_code == 200
    assert url("saml_basic", configured) not in blade.text
    assert app_reader.get(url("saml_certificate_download", configured, certificate.pk, "raw")).status_code == 200
    assert app_reader.get(url("saml_basic", configured)).status_code == 403
    assert (
        app_reader.post(url("saml_basic", configured), BASIC | {"reply_url": "https://x.example/"}).status_code == 403
    )
    assert app_reader.get(url("saml_new_claim", configured)).status_code == 403
    assert app_reader.post(url("saml_certificates", configured), {"new": "1"}).status_code == 403
    assert configured.saml_certificates.count() == 1
    remove = {"remove": str(configured.saml_claims.first().pk)}
    assert app_reader.post(url("saml_claims", configured), remove).status_code == 403
    assert configured.saml_claims.count() == 4


# OpenID Connect ---------------------------------------------------------------------------------


def test_oidc_blade_shows_the_linked_app_registration(staff_client, tenant):
    registration = AppRegistrationFactory(
        tenant=tenant, application__single_sign_on_mode=Application.SingleSignOnMode.OIDC
    )
    application = registration.application

    response = staff_client.get(url("single_sign_on", application))

    text = response.text
    assert str(registration.client_id) in text
    assert registration.redirect_uri_list[0] in text
    assert f"/{tenant.pk}/v2.0/.well-known/openid-configuration" in text
    assert f"/{tenant.pk}/oauth2/v2.0/authorize" in text
    assert reverse("admin:signin_appregistration_change", args=[registration.pk]) in text


def test_oidc_blade_without_a_registration_offers_to_register_one(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant, single_sign_on_mode=Application.SingleSignOnMode.OIDC)

    response = staff_client.get(url("single_sign_on", application))

    assert "No app registration is linked" in response.text
    assert reverse("admin:signin_appregistration_add") in response.text


def test_federation_metadata_without_an_active_certificate_says_so_instead_of_failing(staff_client, configured):
    SamlSigningCertificate.objects.filter(application=configured).update(status=SamlSigningCertificate.Status.INACTIVE)

    response = staff_client.get(url("saml_metadata", configured), follow=True)

    assert response.redirect_chain == [(url("single_sign_on", configured), 302)]
    assert "has no active SAML signing certificate" in response.text
    assert "has no active signing certificate. Select Edit to make one active." in response.text
