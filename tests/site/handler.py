"""The test OJS site's HTTP plumbing: the response record, the threaded server and its request handler."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tests.site.server import OjsSite

__all__ = [
    "XML_CONTENT_TYPE",
    "Handler",
    "HtmlRequest",
    "Response",
    "Server",
    "fault_response",
    "not_modified",
    "truncate",
]

XML_CONTENT_TYPE = "text/xml;charset=UTF-8"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": XML_CONTENT_TYPE})
    cut_at: int | None = None  # send only this many body bytes, then drop the connection ...
    hold: threading.Event | None = None  # ... after waiting for this (a stalled transfer)


class HtmlRequest(NamedTuple):
    """One request to the HTML side (anything but OAI and robots.txt), as ``OjsSite.html_requests`` has it."""

    path: str
    query: dict[str, str]
    status: int
    conditional: bool  # sent If-None-Match or If-Modified-Since
    kind: str  # home, issue-current, archive, issue, article, galley-view, download, login, cover, site, ...
    method: str = "GET"


def fault_response(status: int, retry_after: str | None) -> Response:
    headers = {"Content-Type": "text/html; charset=UTF-8"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = f"<html><body><h1>{status} Service Unavailable</h1></body></html>\n".encode()
    return Response(status, body, headers)


def not_modified(sent: dict[str, str], etag: str, modified: datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match (weak comparison) decides; else If-Modified-Since."""
    if "if-none-match" in sent:
        tags = [tag.strip() for tag in sent["if-none-match"].split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
    try:
        since = parsedate_to_datetime(sent["if-modified-since"])
    except (KeyError, TypeError, ValueError):
        return False
    return modified <= since.replace(tzinfo=since.tzinfo or UTC)


def truncate(body: bytes) -> bytes:
    cut = len(body) // 2
    while cut > 0 and (body[cut] & 0xC0) == 0x80:  # don't split a UTF-8 sequence
        cut -= 1
    return body[:cut]


# ----------------------------------------------------------------------------------------------------
# HTTP plumbing
# ----------------------------------------------------------------------------------------------------


class Server(ThreadingHTTPServer):
    daemon_threads = True
    site: OjsSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up (a killed harvester); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        """Serve a GET."""
        parts = urlsplit(self.path)
        self._reply(parts.path, parts.query)

    def do_HEAD(self) -> None:
        """Serve a HEAD: the GET's status and headers, no body."""
        parts = urlsplit(self.path)
        self._reply(parts.path, parts.query, method="HEAD")

    def do_POST(self) -> None:
        """Serve an OAI POST (form-encoded arguments in the body)."""
        length = int(self.headers.get("Content-Length") or 0)
        self._reply(urlsplit(self.path).path, self.rfile.read(length).decode("latin-1"), method="POST")

    def _reply(self, path: str, query: str, method: str = "GET") -> None:
        headers = {name: str(value) for name, value in self.headers.items()}
        response = self.server.site.handle(path, query, headers, method)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD" and response.cut_at is not None:
            self.wfile.write(response.body[: response.cut_at])
            self.wfile.flush()
            if response.hold is not None:
                response.hold.wait(60)
            self.close_connection = True
        elif method != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; ``OjsSite.requests`` is the log."""
