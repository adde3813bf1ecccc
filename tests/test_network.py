"""The client's address, directly or behind trusted reverse proxies."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from accessportal.network import client_address
from accessportal.settings import env_count


def _request(forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request("203.0.113.7")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("proxies", "header", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.66, 203.0.113.7", "203.0.113.7"),  # the left entry was written by the client
        (2, "198.51.100.66, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1"),  # fewer hops than proxies: not through the proxies
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, " 2001:DB8::1 ", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_client_is_that_many_hops_from_the_right(settings, proxies, header, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(_request(header)) == expected


def test_the_proxy_count_must_be_a_whole_number(monkeypatch):
    monkeypatch.setenv("ACCESSPORTAL_TRUSTED_PROXIES", "two")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_count("ACCESSPORTAL_TRUSTED_PROXIES", 0)
    monkeypatch.setenv("ACCESSPORTAL_TRUSTED_PROXIES", "2")
    assert env_count("ACCESSPORTAL_TRUSTED_PROXIES", 0) == 2
