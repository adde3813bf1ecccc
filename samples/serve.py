"""Serves every sample app for `make demo`, each on its own port, in this one small process.

The samples are separate from the portal's process on purpose: a sample calling the portal
(discovery, keys, token) while the portal waits on nothing of the sample's can't deadlock,
even under a single-threaded server. Each sample reads its settings from the environment
(see its module's from_environment).
"""

import importlib
import os
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HOST = os.environ.get("SAMPLES_HOST", "127.0.0.1")
# module path -> port; the demo's seed wires these addresses into the enterprise applications.
SAMPLES = {
    "samples.saml_sp.app": 8001,
    "samples.oidc_expenses.app": 8002,
}


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        print(f"[samples] {self.address_string()} {format % args}", flush=True)


def main() -> None:
    servers = []
    for module, port in SAMPLES.items():
        application = importlib.import_module(module).application
        server = make_server(HOST, port, application, server_class=ThreadingServer, handler_class=_QuietHandler)
        servers.append(server)
        print(f"[samples] {module} at http://{HOST}:{port}/", flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    main()
