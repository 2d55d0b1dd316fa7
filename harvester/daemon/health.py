"""``/healthz``, ``/readyz`` and ``/metrics`` on one small HTTP listener (``[service] listen``).

- ``/healthz``: 200 while the scheduler loop makes progress, 503 when it has stalled or is
  stopping (a liveness probe: restart me).
- ``/readyz``: 200 when the database answers and has the newest schema, 503 otherwise (a
  readiness probe: don't count on my data yet).
- ``/metrics``: the Prometheus text format.

The listener is a thread of the daemon; it reads no request body and serves only GET/HEAD.
A connection that sends nothing (or drips its request) is closed after ``CONNECTION_TIMEOUT``
seconds without a byte, so idle or hostile clients cannot pile up threads.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import ConfigError
from ..values import split_listen

__all__ = ["CONNECTION_TIMEOUT", "Check", "Exposition", "HealthServer"]

log = logging.getLogger(__name__)

#: A probe: (healthy?, one line saying why).
Check = Callable[[], tuple[bool, str]]
#: The metrics in the format the ``Accept`` header asks for: (body, content type).
Exposition = Callable[[str], tuple[bytes, str]]

#: Seconds a connection may stay silent before it is closed (a probe answers in milliseconds).
CONNECTION_TIMEOUT = 10.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Callable[[str], tuple[int, str, bytes]]]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ojs-harvester"

    def do_GET(self) -> None:
        self._reply(with_body=True)

    def do_HEAD(self) -> None:
        self._reply(with_body=False)

    def _reply(self, *, with_body: bool) -> None:
        route = self.server.routes.get(self.path.split("?", 1)[0], _not_found)
        status, content_type, body = route(self.headers.get("Accept", ""))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def _not_found(_accept: str) -> tuple[int, str, bytes]:
    return HTTPStatus.NOT_FOUND, "text/plain", b"not found\n"


def _probe(check: Check) -> Callable[[str], tuple[int, str, bytes]]:
    def route(_accept: str) -> tuple[int, str, bytes]:
        ok, why = check()
        return (HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE), "text/plain", f"{why}\n".encode()

    return route


def _exposition(metrics: Exposition) -> Callable[[str], tuple[int, str, bytes]]:
    def route(accept: str) -> tuple[int, str, bytes]:
        body, content_type = metrics(accept)
        return HTTPStatus.OK, content_type, body

    return route


class HealthServer:
    """The listener, started on a daemon thread; ``close()`` stops it."""

    def __init__(
        self,
        listen: str,
        *,
        alive: Check,
        ready: Check,
        metrics: Exposition,
        connection_timeout: float = CONNECTION_TIMEOUT,
    ) -> None:
        host, port = split_listen(listen)
        handler = type("_TimedHandler", (_Handler,), {"timeout": connection_timeout})
        try:
            self._server = (_Server6 if ":" in host else _Server)((host, port), handler)
        except OSError as exc:
            raise ConfigError(
                f"[service] listen = {listen!r}: cannot listen: {exc.strerror or exc}"
            ) from None
        self._server.routes = {
            "/healthz": _probe(alive),
            "/readyz": _probe(ready),
            "/metrics": _exposition(metrics),
        }
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def url(self) -> str:
        """Where the listener answers (the real port when ``listen`` asked for port 0)."""
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        log.info("health and metrics at %s/healthz, /readyz, /metrics", self.url)

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
