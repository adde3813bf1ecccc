"""Web addresses as people type them, intranet names included."""

import re

from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.utils.deconstruct import deconstructible


@deconstructible
class WebAddressValidator(URLValidator):
    """Django's URL rules, except that the host may also be a single-label name.

    Intranet applications live at addresses like `http://intranet/`, and a trainer's laptop is often
    reached as `http://trainer-laptop:8000/`; both are real addresses a link may point to.
    """

    host_re = (
        "("
        + URLValidator.hostname_re
        + URLValidator.domain_re
        + URLValidator.tld_re
        + "|"
        + URLValidator.hostname_re
        + ")"
    )
    regex = re.compile(
        r"^(?:[a-z0-9.+-]*)://"
        r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
        r"(?:" + URLValidator.ipv4_re + "|" + URLValidator.ipv6_re + "|" + host_re + ")"
        r"(?::[0-9]{1,5})?"
        r"(?:[/?#][^\s]*)?"
        r"\Z",
        re.IGNORECASE,
    )


class WebAddressFormField(forms.URLField):
    default_validators = [WebAddressValidator()]


class WebAddressField(models.URLField):
    """A URL column that accepts intranet host names (see WebAddressValidator)."""

    default_validators = [WebAddressValidator()]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebAddressFormField, **kwargs})
