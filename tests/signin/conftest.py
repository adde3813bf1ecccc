import pytest
from django.test import Client

from tests.factories import (
    AppRegistrationFactory,
    AppRoleAssignmentFactory,
    ClientSecretFactory,
    DirectoryUserFactory,
)


@pytest.fixture
def https_client() -> Client:
    # authlib refuses OAuth over plain HTTP except on loopback; the test client's host is "testserver",
    # so requests arrive as from the TLS-terminating proxy the production settings trust.
    return Client(HTTP_X_FORWARDED_PROTO="https")


@pytest.fixture
def registration(tenant):
    return AppRegistrationFactory(tenant=tenant, graph_application_permissions=["User.Read.All"])


@pytest.fixture
def secret(registration):
    return ClientSecretFactory(registration=registration)


@pytest.fixture
def assigned_member(registration):
    user = DirectoryUserFactory(tenant=registration.tenant)
    AppRoleAssignmentFactory(application=registration.application, principal_user=user)
    return user
