"""Web addresses: Django's URL rules plus single-label intranet host names."""

import pytest
from django.core.exceptions import ValidationError

from accessportal.validators import WebAddressValidator

validate = WebAddressValidator(schemes=["http", "https"])


@pytest.mark.parametrize(
    "address",
    [
        "https://intranet/",
        "http://trainer-laptop:8000/sample-app/1/",
        "https://apps.contoso.com/x?y=1",
        "http://10.0.0.5/",
    ],
)
def test_real_addresses_are_accepted(address):
    validate(address)


@pytest.mark.parametrize(
    "address",
    [
        "intranet",
        "javascript://intranet/",
        "http://bad host/",
        "http://-intranet/",
        "http://intranet:99999999/",
        "https://",
    ],
)
def test_other_text_is_refused(address):
    with pytest.raises(ValidationError):
        validate(address)
