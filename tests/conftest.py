import pytest

from tests.factories import DirectoryUserFactory, TenantFactory


@pytest.fixture
def tenant(db):
    return TenantFactory(owners_can_manage_group_membership_requests=True)


@pytest.fixture
def member(tenant):
    return DirectoryUserFactory(tenant=tenant)
