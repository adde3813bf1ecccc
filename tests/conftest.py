import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from samples.serve import ThreadingServer
from tests.factories import DirectoryUserFactory, TenantFactory


@pytest.fixture
def tenant(db):
    return TenantFactory(owners_can_manage_group_membership_requests=True)


@pytest.fixture
def member(tenant):
    return DirectoryUserFactory(tenant=tenant)


# The sample relying parties served for a test, each on a free loopback port in a thread of this
# process. They call the live server (discovery, keys, token) over HTTP like the real thing; the
# live server never calls them back, so nothing waits on itself.
class _SilentHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve_sample() -> Iterator[Callable[[Callable[[str], object]], str]]:
    """serve_sample(make_app) starts the WSGI app make_app(base_url) and returns base_url."""
    servers = []

    def serve(make_app: Callable[[str], object]) -> str:
        holder: dict[str, object] = {}

        def application(environ, start_response):
            return holder["app"](environ, start_response)

        server = make_server("127.0.0.1", 0, application, server_class=ThreadingServer, handler_class=_SilentHandler)
        base_url = f"http://127.0.0.1:{server.server_port}"
        holder["app"] = make_app(base_url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return base_url

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
