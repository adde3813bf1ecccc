"""The little WSGI plumbing the sample apps share: pages, redirects and a session cookie.

The samples stand in for third-party applications, so they share no code with the portal.
"""

import html
from http.cookies import SimpleCookie
from urllib.parse import parse_qs


def query(environ) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}


def cookie_value(environ, name: str) -> str:
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    return cookie[name].value if name in cookie else ""


def respond(start_response, status: str, body: str, content_type: str = "text/html", headers=()):
    data = body.encode()
    start_response(
        status,
        [
            ("Content-Type", f"{content_type}; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            *headers,
        ],
    )
    return [data]


def redirect(start_response, location: str, headers=()):
    start_response("303 See Other", [("Location", location), ("Cache-Control", "no-store"), *headers])
    return [b""]


def page(start_response, status: str, title: str, body: str, headers=()):
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # No favicon request (a 404 would be a console error in the browser tests).
        "<link rel='icon' href='data:,'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return respond(start_response, status, document, headers=headers)
