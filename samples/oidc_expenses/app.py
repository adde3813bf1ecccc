"""A sample OpenID Connect relying party ("Contoso Expenses" in the demo) on authlib's client.

It knows the identity provider only by its discovery document, signs in with the
authorization code flow (PKCE S256, client secret, nonce, state), validates the id token
against the published JWKS with authlib's OpenID Connect client, and shows who signed in and
every claim it received. A plain WSGI app: no Django, no shared code with the portal.
"""

import html
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session

from samples.web import cookie_value, page, query, redirect

# The demo's Contoso Expenses registration (directory/demo.py creates it with these values).
DEMO_CLIENT_ID = "c0e5e0a1-2026-4000-8000-00000000e0e5"
DEMO_CLIENT_SECRET = "contoso-expenses-demo-secret-2026"
DEMO_DISCOVERY_URL = "http://127.0.0.1:8000/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
DEMO_BASE_URL = "http://127.0.0.1:8002"
COOKIE = "sample_oidc_session"
TIMEOUT_SECONDS = 10


class _Provider(OpenIDMixin):
    """authlib's id token validation (signature against JWKS, iss, aud, exp, nonce, at_hash) over the discovery."""

    def __init__(self, discovery_url: str, client_id: str) -> None:
        self.discovery_url = discovery_url
        self.client_id = client_id
        self.server_metadata: dict[str, Any] = {}

    def _get_session(self) -> OAuth2Session:
        return OAuth2Session(timeout=TIMEOUT_SECONDS)

    def load_server_metadata(self) -> dict[str, Any]:
        if not self.server_metadata:
            with self._get_session() as session:
                response = session.get(self.discovery_url, withhold_token=True)
                response.raise_for_status()
                self.server_metadata = response.json()
        return self.server_metadata


@dataclass
class Pending:
    state: str
    nonce: str
    code_verifier: str


@dataclass
class SignedIn:
    claims: dict[str, Any]
    id_token: str


@dataclass
class SampleRelyingParty:
    """The WSGI application."""

    discovery_url: str = DEMO_DISCOVERY_URL
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    base_url: str = DEMO_BASE_URL
    title: str = "Contoso Expenses (sample OpenID Connect app)"
    pending: dict[str, Pending] = field(default_factory=dict)
    sessions: dict[str, SignedIn] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/callback"

    def _session(self, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=self.redirect_uri,
            scope="openid profile email",
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            timeout=TIMEOUT_SECONDS,
            **kwargs,
        )

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if environ.get("REQUEST_METHOD", "GET") not in {"GET", "HEAD"}:
            return page(start_response, "405 Method Not Allowed", self.title, "<p>Only GET here.</p>")
        try:
            if path == "/":
                return self._home(environ, start_response)
            if path == "/login":
                return self._login(environ, start_response)
            if path == "/callback":
                return self._callback(environ, start_response)
            if path == "/logout":
                return self._logout(environ, start_response)
            return page(start_response, "404 Not Found", self.title, "<p>There is no such page here.</p>")
        except Exception as exc:  # a sample shows any failure as a page, never a traceback
            return page(
                start_response,
                "502 Bad Gateway",
                self.title,
                f"<p role='alert'>Sign-in failed: {html.escape(str(exc) or type(exc).__name__)}</p>"
                "<p><a href='/login'>Try again</a></p>",
            )

    def _home(self, environ, start_response):
        signed_in = self.sessions.get(cookie_value(environ, COOKIE))
        if signed_in is None:
            # Like most apps, the homepage (where the My Apps tile goes) starts the sign-in.
            return redirect(start_response, "/login")
        claims = signed_in.claims
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(name)}</th><td>{html.escape(str(value))}</td></tr>"
            for name, value in sorted(claims.items())
        )
        body = (
            f"<p>Signed in as <strong data-testid='name'>{html.escape(str(claims.get('name', '')))}</strong> "
            f"(<span data-testid='preferred-username'>{html.escape(str(claims.get('preferred_username', '')))}"
            "</span>)</p>"
            "<p>The id token's signature was checked against the identity provider's published keys.</p>"
            "<h2>Claims in the id token</h2>"
            f"<table><thead><tr><th scope='col'>Claim</th><th scope='col'>Value</th></tr></thead><tbody>{rows}"
            "</tbody></table>"
            "<p><a href='/logout'>Sign out</a></p>"
        )
        return page(start_response, "200 OK", self.title, body)

    def _login(self, environ, start_response):
        metadata = self._provider().load_server_metadata()
        pending = Pending(state=generate_token(24), nonce=generate_token(24), code_verifier=generate_token(64))
        url, _ = self._session().create_authorization_url(
            metadata["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
        key = secrets.token_urlsafe(24)
        with self.lock:
            self.pending[key] = pending
        return redirect(start_response, url, [("Set-Cookie", f"{COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax")])

    def _callback(self, environ, start_response):
        key = cookie_value(environ, COOKIE)
        params = query(environ)
        with self.lock:
            pending = self.pending.pop(key, None)
        if pending is None or params.get("state") != pending.state:
            return page(start_response, "400 Bad Request", self.title, "<p role='alert'>This sign-in expired.</p>")
        if "error" in params:
            message = f"{params['error']}: {params.get('error_description', '')}"
            return page(start_response, "403 Forbidden", self.title, f"<p role='alert'>{html.escape(message)}</p>")
        provider = self._provider()
        token = self._session(state=pending.state).fetch_token(
            provider.load_server_metadata()["token_endpoint"],
            code=params.get("code", ""),
            code_verifier=pending.code_verifier,
        )
        claims = provider.parse_id_token(token, nonce=pending.nonce)
        with self.lock:
            self.sessions[key] = SignedIn(claims=dict(claims), id_token=token["id_token"])
        return redirect(start_response, "/")

    def _logout(self, environ, start_response):
        with self.lock:
            signed_in = self.sessions.pop(cookie_value(environ, COOKIE), None)
        if signed_in is None:
            return page(start_response, "200 OK", self.title, "<p>You're signed out. <a href='/'>Sign in</a></p>")
        end_session = self._provider().load_server_metadata()["end_session_endpoint"]
        url, _ = self._session().create_authorization_url(
            end_session, id_token_hint=signed_in.id_token, post_logout_redirect_uri=f"{self.base_url}/logout"
        )
        return redirect(start_response, url, [("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")])

    def _provider(self) -> _Provider:
        return _Provider(self.discovery_url, self.client_id)


def from_environment() -> SampleRelyingParty:
    return SampleRelyingParty(
        discovery_url=os.environ.get("OIDC_SAMPLE_DISCOVERY_URL", DEMO_DISCOVERY_URL),
        client_id=os.environ.get("OIDC_SAMPLE_CLIENT_ID", DEMO_CLIENT_ID),
        client_secret=os.environ.get("OIDC_SAMPLE_CLIENT_SECRET", DEMO_CLIENT_SECRET),
        base_url=os.environ.get("OIDC_SAMPLE_BASE_URL", DEMO_BASE_URL).rstrip("/"),
    )


application = from_environment()
