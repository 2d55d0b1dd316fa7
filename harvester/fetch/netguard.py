"""Bounds on what a server can make us do: a deadline on the whole exchange, and a site policy.

``Deadline``: a per-read socket timeout does not bound an exchange, because a server that
sends one header line (or one body byte) every few seconds never lets a read time out.  The
deadline is a timer over the whole exchange — connection, request, every redirect hop,
headers and body — that shuts the socket down when it passes, so the read in progress fails
at once.  ``BoundedSession`` is the session whose connections a deadline can find and cut,
and which follows no redirect (``HttpClient`` does, hop by hop).

``SitePolicy``: galley links, pdf.js ``pdfUrl``s and redirects come from pages anyone may
edit; they are fetched only on the journal's own hosts (and the hosts the operator allows),
http(s) only, and never on a private, loopback or link-local address unless the journal
itself is on one.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import PermanentError, RefusedURLError, ResponseTooLargeError

__all__ = [
    "BoundedSession",
    "Deadline",
    "SitePolicy",
    "cut_all",
    "decoded_chunks",
    "host_name",
    "reject_declared_size",
    "request_url",
]

_current = threading.local()  # the Deadline of the exchange this thread is in, if any
_live: set[Deadline] = set()  # every exchange in flight, for ``cut_all``
_live_lock = threading.Lock()


class Deadline:
    """The wall-clock limit of one exchange: when ``seconds`` pass, the connection in use is
    shut down (``expired`` then tells why the read failed).  Nested deadlines (a robots.txt
    fetched in the middle of a redirect chain) each guard their own connection."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._outer: Deadline | None = None

    def __enter__(self) -> Self:
        self._outer = getattr(_current, "deadline", None)
        _current.deadline = self
        with _live_lock:
            _live.add(self)
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with _live_lock:
            _live.discard(self)
        _current.deadline = self._outer

    def attach(self, connection: HTTPConnection) -> None:
        """The connection the exchange now uses (one per redirect hop)."""
        with self._lock:
            self._connection = connection
            if self.expired:
                _shut(connection)

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            if self._connection is not None:
                _shut(self._connection)


def cut_all() -> None:
    """Cut every exchange in flight now, as if its deadline had passed (the process stops)."""
    with _live_lock:
        live = list(_live)
    for deadline in live:
        deadline._cut()


def _shut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: the read fails anyway
            sock.shutdown(socket.SHUT_RDWR)


def _attach(connection: HTTPConnection) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.attach(connection)


class _Connection(HTTPConnection):
    """A connection that tells the thread's ``Deadline`` it is in use, from the connection
    on (a TLS handshake dripped byte by byte is cut too)."""

    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _TLSConnection(_Connection, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class _BoundedAdapter(HTTPAdapter):
    """requests' transport, with connections a ``Deadline`` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


class BoundedSession(requests.Session):
    """A session whose connections a ``Deadline`` can cut, and which never looks at a redirect:
    requests reads a redirect's whole body to prepare the next request even when told not to
    follow it (requests 2.34 ``Session.send``: ``resp.content  # Consume socket``), which
    lets a bomb or an endless body in a 302 through every cap.  ``HttpClient`` follows them."""

    def __init__(self) -> None:
        super().__init__()
        adapter = _BoundedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


def host_name(url: str) -> str:
    """The lower-cased host name of ``url`` ('' when it has none): no port, no user-info.  The
    site policy compares hosts by it, the polite client paces by it (every port of a host shares
    its budget), and the fleet keys its per-host locks and waits by it."""
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class SitePolicy:
    """Where galley files may be fetched from: ``hosts`` (lower case), and private addresses
    only when ``private_ok`` (the journal itself is on one)."""

    hosts: frozenset[str]
    private_ok: bool

    @classmethod
    def of(cls, journal_urls: Iterable[str], allowed_hosts: Iterable[str] = ()) -> SitePolicy:
        """The policy of a journal at ``journal_urls`` (site and OAI endpoint), plus the
        operator's ``[mirror] allowed_hosts``."""
        own = {host_name(url) for url in journal_urls} - {""}
        private_ok = any(_private(address) for host in own for address in _addresses(host))
        return cls(frozenset(own | {host.lower() for host in allowed_hosts}), private_ok)

    def check(self, url: str) -> None:
        """Raise ``RefusedURLError`` (with the reason) unless ``url`` may be fetched."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise RefusedURLError(f"{url}: refused: not an http(s) URL")
        host = host_name(url)
        if host not in self.hosts:
            raise RefusedURLError(
                f"{url}: refused: {host or 'no host'} is not the journal's site (see [mirror] allowed_hosts)"
            )
        if not self.private_ok:
            for address in _addresses(host):
                if _private(address):
                    raise RefusedURLError(f"{url}: refused: {host} is a private address ({address})")


def _addresses(host: str) -> list[str]:
    """The addresses ``host`` is (an IP literal) or resolves to; none when it does not resolve
    (the fetch then fails as any unreachable host does)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


_CHUNK = 64 * 1024


def decoded_chunks(reply: requests.Response) -> Iterator[bytes]:
    """Decoded body chunks, each from at most one socket read, so the deadline is checked often.

    ``iter_content`` would block until a whole chunk arrived, letting a server that trickles
    bytes hold us far past the deadline; ``read1`` returns whatever one read produced.
    """
    raw = cast("urllib3.BaseHTTPResponse", reply.raw)
    while chunk := raw.read1(_CHUNK, decode_content=True):
        yield chunk


def reject_declared_size(url: str, headers: Mapping[str, str], limit: int, truncate: bool) -> None:
    """Refuse before reading when an uncompressed body announces more than ``limit`` bytes."""
    encoding = headers.get("Content-Encoding", "identity").strip().lower()
    length = headers.get("Content-Length", "").strip()
    if not truncate and encoding in ("", "identity") and length.isdigit() and int(length) > limit:
        raise ResponseTooLargeError(f"{url}: response of {length} bytes is larger than the {limit}-byte cap")


def request_url(url: str, params: Mapping[str, str] | None) -> str:
    """``url`` with ``params`` encoded into its query, as it will be sent; http(s) only."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RefusedURLError(f"{url}: refused: not an http(s) URL")
    if not params:
        return url
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, dict(params))
    except requests.RequestException as exc:
        raise PermanentError(f"{url}: invalid URL: {exc}") from None
    return cast(str, prepared.url)
