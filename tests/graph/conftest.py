from collections.abc import Callable

import pytest
from django.test import Client

from signin.services import GRAPH_APPLICATION_PERMISSIONS
from signin.tokens import application_access_token
from tests.factories import AppRegistrationFactory

ALL = list(GRAPH_APPLICATION_PERMISSIONS)


@pytest.fixture
def graph(tenant) -> Callable[..., Client]:
    """graph(*permissions, tenant=...) is a client carrying an app token with those consented permissions."""

    def client_for(*permissions: str, tenant=tenant) -> Client:
        registration = AppRegistrationFactory(
            tenant=tenant, display_name="Provisioning script", graph_application_permissions=list(permissions)
        )
        client = Client(HTTP_AUTHORIZATION=f"Bearer {application_access_token(registration)}")
        client.registration = registration
        return client

    return client_for


@pytest.fixture
def admin_graph(graph) -> Client:
    return graph(*ALL)
