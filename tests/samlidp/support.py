"""Helpers of the SAML tests: hand-written requests, paths, and reading the page that carries a response."""

import base64
import html
import re
import zlib
from urllib.parse import urlsplit

from tests.factories import DEFAULT_PASSWORD


def posted_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the auto-submitted form of samlidp/post_response.html."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" data-saml-auto-submit>', page).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return action, {name: html.unescape(value) for name, value in fields.items()}


SITE = "http://testserver"


def metadata_path(configuration) -> str:
    return f"/{configuration.tenant_id}/federationmetadata/2007-06/federationmetadata.xml?appid={configuration.pk}"


def sign_in(client, user):
    assert client.login(username=user.account.email, password=DEFAULT_PASSWORD)


def redirect_path(info) -> str:
    location = urlsplit(dict(info["headers"])["Location"])
    return f"{location.path}?{location.query}"


def deflated(xml: str) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml.encode()) + compressor.flush()).decode()


XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>&xxe;</saml:Issuer></samlp:AuthnRequest>'
)
