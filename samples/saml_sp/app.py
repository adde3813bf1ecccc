"""A sample SAML service provider ("Salesforce" in the demo) on pysaml2's SP.

It trusts the identity provider only through the federation metadata it downloads from the
App Federation Metadata Url, sends SP-initiated AuthnRequests (HTTP-Redirect), accepts
IdP-initiated responses from the My Apps tile, and shows who signed in and every attribute
of the signed assertion it validated. Its Sign out is SP-initiated single logout: a
LogoutRequest to the portal, whose signed LogoutResponse it checks at /slo/ (its Logout Url).
A plain WSGI app: no Django, no shared code with the portal.
"""

import datetime as dt
import html
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.response import StatusError
from saml2.saml import NameID
from saml2.sigver import RSACrypto, verify_redirect_signature

from samples.web import cookie_value, page, query, redirect, respond

# The demo's Salesforce (directory/demo.py gives it this application id, SALESFORCE_ID).
DEMO_APP_ID = "5a1e5f0c-0000-4000-8000-00000000a11e"
DEMO_METADATA_URL = (
    "http://127.0.0.1:8000/contoso.onmicrosoft.com/federationmetadata/2007-06/federationmetadata.xml"
    f"?appid={DEMO_APP_ID}"
)
DEMO_BASE_URL = "http://127.0.0.1:8001"
COOKIE = "sample_saml_session"
MAX_FORM_BYTES = 256 * 1024
# The query parameters of an HTTP-Redirect LogoutResponse that its Signature covers, and the Signature.
SIGNED_RESPONSE_PARAMETERS = ("SAMLResponse", "RelayState", "SigAlg", "Signature")


@dataclass
class SignedIn:
    name_id: str
    name_id_format: str
    issuer: str
    attributes: dict[str, list[str]]
    session_not_on_or_after: str


@dataclass
class SampleServiceProvider:
    """The WSGI application. `idp_metadata_url` is the App Federation Metadata Url of the app."""

    idp_metadata_url: str = DEMO_METADATA_URL
    base_url: str = DEMO_BASE_URL
    title: str = "Salesforce (sample SAML app)"
    outstanding: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, SignedIn] = field(default_factory=dict)
    # LogoutRequests sent, by ID, waiting for their LogoutResponse.
    outstanding_logouts: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata/"

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}/acs/"

    @property
    def logout_url(self) -> str:
        """Where the identity provider sends its LogoutResponse (the app's Logout Url)."""
        return f"{self.base_url}/slo/"

    def config(self, *, with_idp: bool = True) -> SPConfig:
        settings = {
            "entityid": self.entity_id,
            "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            # Azure's claims are named by URI, outside pysaml2's attribute maps.
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(self.acs_url, BINDING_HTTP_POST)],
                        "single_logout_service": [(self.logout_url, BINDING_HTTP_REDIRECT)],
                    },
                    # Trust nothing unsigned: both the response and the assertion must carry valid signatures.
                    "want_response_signed": True,
                    "want_assertions_signed": True,
                    # The My Apps tile signs in without a request first (IdP-initiated).
                    "allow_unsolicited": True,
                    "authn_requests_signed": False,
                    "name_id_format_allow_create": False,
                }
            },
        }
        if with_idp:
            # Downloaded afresh for each sign-in, so a certificate rotation on the portal is picked up.
            settings["metadata"] = {"remote": [{"url": self.idp_metadata_url}]}
        config = SPConfig()
        config.load(settings)
        return config

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/" and method == "GET":
                return self._home(environ, start_response)
            if path == "/login/" and method == "GET":
                return self._login(start_response)
            if path == "/acs/" and method == "POST":
                return self._acs(environ, start_response)
            if path == "/metadata/" and method == "GET":
                body = create_metadata_string(None, config=self.config(with_idp=False)).decode()
                return respond(start_response, "200 OK", body, "application/samlmetadata+xml")
            if path == "/sign-out/" and method == "POST":
                return self._sign_out(environ, start_response)
            if path == "/slo/" and method == "GET":
                return self._logout_response(environ, start_response)
            return page(start_response, "404 Not Found", self.title, "<p>There is no such page here.</p>")
        except Exception as exc:  # a sample shows any failure as a page, never a traceback
            return page(
                start_response,
                "502 Bad Gateway",
                self.title,
                f"<p role='alert'>Sign-in failed: {html.escape(str(exc) or type(exc).__name__)}</p>"
                "<p><a href='/login/'>Try again</a></p>",
            )

    def _home(self, environ, start_response):
        signed_in = self.sessions.get(cookie_value(environ, COOKIE))
        if signed_in is None:
            body = (
                "<p>Nobody is signed in.</p>"
                "<p><a href='/login/'>Sign in with Access Portal</a> (SP-initiated), or open the app from My Apps "
                "(IdP-initiated).</p>"
            )
            return page(start_response, "200 OK", self.title, body)
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(name)}</th><td>{html.escape(', '.join(values))}</td></tr>"
            for name, values in sorted(signed_in.attributes.items())
        )
        body = (
            f"<p>Signed in as <strong data-testid='name-id'>{html.escape(signed_in.name_id)}</strong></p>"
            "<dl>"
            f"<dt>Name ID format</dt><dd>{html.escape(signed_in.name_id_format)}</dd>"
            f"<dt>Issuer</dt><dd>{html.escape(signed_in.issuer)}</dd>"
            f"<dt>Session not on or after</dt><dd>{html.escape(signed_in.session_not_on_or_after)}</dd>"
            "</dl>"
            "<h2>Claims in the signed assertion</h2>"
            f"<table><thead><tr><th scope='col'>Claim</th><th scope='col'>Value</th></tr></thead><tbody>{rows}"
            "</tbody></table>"
            "<form method='post' action='/sign-out/'><button type='submit'>Sign out</button></form>"
        )
        return page(start_response, "200 OK", self.title, body)

    def _login(self, start_response):
        client = Saml2Client(config=self.config())
        request_id, info = client.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
        with self.lock:
            self.outstanding[request_id] = "/"
        location = dict(info["headers"])["Location"]
        return redirect(start_response, location)

    def _bad_request(self, start_response, sentence: str):
        """A message this app can't use: what was wrong, and a way back to its home page (no dead end)."""
        body = (
            f"<p role='alert'>{html.escape(sentence, quote=False)}</p>"
            f"<p><a href='/'>Back to {html.escape(self.title)}</a></p>"
        )
        return page(start_response, "400 Bad Request", self.title, body)

    def _acs(self, environ, start_response):
        form = _form(environ)
        saml_response = form.get("SAMLResponse", "")
        if not saml_response:
            return self._bad_request(start_response, "No SAMLResponse.")
        client = Saml2Client(config=self.config())
        with self.lock:
            outstanding = dict(self.outstanding)
        try:
            response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding)
        except StatusError as exc:
            return page(
                start_response,
                "403 Forbidden",
                self.title,
                f"<p role='alert'>Access Portal said: {html.escape(str(exc))}</p>",
            )
        if response is None:
            return self._bad_request(start_response, "The response was not valid.")
        with self.lock:
            self.outstanding.pop(response.in_response_to or "", None)
        name_id = response.name_id
        signed_in = SignedIn(
            name_id=name_id.text,
            name_id_format=name_id.format or "",
            issuer=response.issuer(),
            attributes={name: [str(v) for v in values] for name, values in response.get_identity().items()},
            session_not_on_or_after=_instant(response.session_info().get("not_on_or_after")),
        )
        key = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[key] = signed_in
        return redirect(
            start_response, "/", headers=[("Set-Cookie", f"{COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax")]
        )

    def _sign_out(self, environ, start_response):
        """SP-initiated single logout: end the session here, then a LogoutRequest (HTTP-Redirect) to the
        identity provider's SingleLogoutService from its metadata, naming who signed in."""
        with self.lock:
            signed_in = self.sessions.pop(cookie_value(environ, COOKIE), None)
        clear = [("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")]
        if signed_in is None:
            return redirect(start_response, "/", headers=clear)
        client = Saml2Client(config=self.config())
        destination = client.metadata.single_logout_service(signed_in.issuer, BINDING_HTTP_REDIRECT, "idpsso")[0][
            "location"
        ]
        request_id, request = client.create_logout_request(
            destination,
            signed_in.issuer,
            name_id=NameID(text=signed_in.name_id, format=signed_in.name_id_format or None),
        )
        info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, sign=False)
        with self.lock:
            self.outstanding_logouts.add(request_id)
        return redirect(start_response, dict(info["headers"])["Location"], headers=clear)

    def _logout_response(self, environ, start_response):
        """The Logout Url: a LogoutResponse to one of our LogoutRequests, signed by the identity provider
        (SigAlg and Signature over the query, checked against the signing certificates of its metadata)."""
        message = query(environ)
        saml_response = message.get("SAMLResponse", "")
        if not saml_response or "Signature" not in message or "SigAlg" not in message:
            return self._bad_request(start_response, "No signed LogoutResponse.")
        client = Saml2Client(config=self.config())
        response = client.parse_logout_request_response(saml_response, BINDING_HTTP_REDIRECT)
        if response is None or not response.verify():
            return self._bad_request(start_response, "The LogoutResponse was not valid.")
        signed = {name: value for name, value in message.items() if name in SIGNED_RESPONSE_PARAMETERS}
        certificates = client.metadata.certs(response.issuer(), "idpsso", "signing")
        if not any(verify_redirect_signature(signed, RSACrypto(None), cert) for _, cert in certificates):
            return self._bad_request(start_response, "The LogoutResponse isn't signed by the identity provider.")
        with self.lock:
            expected = response.in_response_to in self.outstanding_logouts
            self.outstanding_logouts.discard(response.in_response_to)
        if not expected:
            return self._bad_request(start_response, "The LogoutResponse answers no sign-out of this app.")
        body = (
            "<p role='status' data-testid='signed-out'>You're signed out of this app and of Access Portal.</p>"
            "<p><a href='/login/'>Sign in with Access Portal</a></p>"
        )
        return page(start_response, "200 OK", self.title, body)


def _instant(timestamp: int | None) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if timestamp else ""


def _form(environ) -> dict[str, str]:
    length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_FORM_BYTES)
    data = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(data).items()}


def from_environment() -> SampleServiceProvider:
    return SampleServiceProvider(
        idp_metadata_url=os.environ.get("SAML_SP_IDP_METADATA_URL", DEMO_METADATA_URL),
        base_url=os.environ.get("SAML_SP_BASE_URL", DEMO_BASE_URL).rstrip("/"),
    )


application = from_environment()
