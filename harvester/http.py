"""The one polite HTTP client every request of the harvester goes through.

Politeness is shared by the whole process (``Politeness``: one ``HostPacer`` and one
``RobotsCache``), so that however many jobs run in parallel, each host sees at most
``requests_per_second`` requests, its robots.txt is read once a day and obeyed, and a
``Retry-After`` it sends holds back every thread.  ``HttpClient`` adds timeouts, a size cap,
retries with back-off, and translates every ``requests``/``urllib3`` failure into the
harvester's own exceptions: nothing outside this module imports ``requests``.  ``get`` reads a
whole body into memory; ``stream`` hands it to a consumer chunk by chunk (galley files).

Every exchange is bounded (``netguard``): one wall-clock deadline covers the connection, every
redirect hop, the headers and the body; redirects are followed here, a few at most, their
bodies never read, each target checked (http(s), robots.txt, the client's ``SitePolicy``).
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import Generic, NamedTuple, Self, TypeVar, cast
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from protego import Protego

from .config import HttpSettings
from .errors import (
    BrokenResponseError,
    NetworkError,
    PermanentError,
    PermanentHTTPStatusError,
    RefusedURLError,
    ResponseTooLargeError,
    RetryLaterError,
    RobotsDisallowedError,
    StopRequested,
    TransientError,
    TransientHTTPStatusError,
)
from .netguard import BoundedSession, Deadline, SitePolicy, cut_all

__all__ = ["RETRY_STATUSES", "HostPacer", "HttpClient", "Politeness", "Response", "RobotsCache", "Streamed"]

logger = logging.getLogger(__name__)

#: Statuses worth another attempt (after back-off or the server's ``Retry-After``).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_CHUNK = 64 * 1024
_MAX_BACKOFF = 300.0
_MAX_REDIRECTS = 10
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 §2.5: parse at least 500 KiB, ignore the rest.

_T = TypeVar("_T")


@dataclass(frozen=True)
class Response:
    """A complete response: final URL (after redirects), status, headers, decoded body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Streamed(Generic[_T]):
    """A response whose body went to a consumer; ``value`` is what it returned (None: no body
    was handed over, as for a 304)."""

    url: str
    status: int
    headers: Mapping[str, str]
    value: _T | None


class _Budget(NamedTuple):
    """What one attempt may take: decoded bytes (cut there when ``truncate``), and time;
    ``truncate`` also marks a robots.txt fetch, whose redirects are not checked against itself."""

    limit: int
    truncate: bool
    seconds: float
    deadline: float


class HostPacer:
    """Per-host minimum spacing between requests, shared by every thread of the process.

    ``wait(host)`` reserves the host's next free slot and sleeps until it, so requests to one
    host are serialised while different hosts proceed in parallel.  A set ``stop`` ends every
    wait at once (``StopRequested``).  The clock and sleep are injectable so the arithmetic can
    be tested without waiting (the default sleep is ``stop.wait``: a stop wakes it).
    """

    def __init__(
        self,
        min_interval: float,
        max_interval: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.clock = clock
        self.stop = stop or threading.Event()
        self._sleep = sleep or self.stop.wait
        self._base = min_interval
        self._cap = max(max_interval, min_interval)
        self._intervals: dict[str, float] = {}
        self._next: dict[str, float] = {}
        self._deferred: dict[str, float] = {}
        self._lock = threading.Lock()

    def interval(self, host: str) -> float:
        """The current minimum spacing for ``host`` in seconds."""
        with self._lock:
            return self._intervals.get(host, self._base)

    def set_min_interval(self, host: str, seconds: float) -> None:
        """Space ``host`` by ``seconds`` (robots Crawl-delay), within [rate interval, cap]."""
        with self._lock:
            old = self._intervals.get(host, self._base)
            new = self._intervals[host] = min(max(seconds, self._base), self._cap)
            if host in self._next and new > old:  # the slot after the last request moves too
                self._next[host] += new - old

    def defer(self, host: str, until: float) -> None:
        """Let no request reach ``host`` before the monotonic time ``until`` (Retry-After)."""
        with self._lock:
            self._next[host] = max(self._next.get(host, until), until)
            self._deferred[host] = max(self._deferred.get(host, until), until)

    def wait(self, host: str) -> float:
        """Block until ``host``'s next slot, reserve it, and return the seconds waited."""
        start = self.clock()
        while True:
            if self.stop.is_set():
                raise StopRequested(f"{host}: stopping, no further request")
            with self._lock:
                now = self.clock()
                slot = max(now, self._next.get(host, now))
                self._next[host] = slot + self._intervals.get(host, self._base)
            if slot > now:
                self._sleep(slot - now)
            with self._lock:
                # A defer() that arrived while we slept moves us behind it.
                if self.clock() >= self._deferred.get(host, 0.0):
                    return self.clock() - start


@dataclass(frozen=True)
class _RobotsEntry:
    parser: Protego | None  # None: no usable robots.txt, everything allowed
    failure: Callable[[], TransientError] | None  # robots.txt unreachable: refuse for now
    expires: float


class RobotsCache:
    """robots.txt per origin (scheme, host, port), fetched once and kept for ``ttl`` seconds.

    Follows RFC 9309: a 4xx means no restrictions; a 5xx or network failure (after the
    client's retries) means complete disallow, reported as a ``TransientError`` so the job is
    retried later.  A ``Crawl-delay`` for our agent widens the host's pacing.
    """

    def __init__(
        self,
        pacer: HostPacer,
        *,
        ttl: float = 24 * 3600.0,
        failure_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pacer = pacer
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._clock = clock
        self._entries: dict[str, _RobotsEntry] = {}
        self._origin_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str, user_agent: str, fetch: Callable[[str], Response]) -> bool:
        """Whether ``user_agent`` may fetch ``url``; ``fetch`` reads robots.txt when needed."""
        origin = _origin(url)
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one fetch per origin, other origins proceed
            with self._lock:
                entry = self._entries.get(origin)
            if entry is None or entry.expires <= self._clock():
                entry = self._load(origin, user_agent, fetch)
                with self._lock:
                    self._entries[origin] = entry
        if entry.failure is not None:
            raise entry.failure()
        return entry.parser is None or bool(entry.parser.can_fetch(url, _product_token(user_agent)))

    def _load(self, origin: str, user_agent: str, fetch: Callable[[str], Response]) -> _RobotsEntry:
        robots_url = f"{origin}/robots.txt"
        try:
            response = fetch(robots_url)
        except PermanentHTTPStatusError:
            return _RobotsEntry(None, None, self._clock() + self._ttl)
        except (TransientHTTPStatusError, NetworkError) as exc:
            logger.warning("%s: robots.txt unreachable (%s)", origin, exc)
            return _RobotsEntry(None, _unreachable(origin, exc), self._clock() + self._failure_ttl)
        parser = None
        if 200 <= response.status < 300:
            parser = Protego.parse(response.content.decode("utf-8", errors="replace"))
        delay = parser.crawl_delay(_product_token(user_agent)) if parser else None
        self._pacer.set_min_interval(_host(origin), float(delay or 0.0))
        return _RobotsEntry(parser, None, self._clock() + self._ttl)


def _unreachable(origin: str, exc: TransientError) -> Callable[[], TransientError]:
    """A factory of fresh errors (one per raise) for an unreachable robots.txt."""
    message = f"{exc}; robots.txt unreachable, so nothing on {origin} may be fetched for now"
    if isinstance(exc, TransientHTTPStatusError):
        status, url = exc.status, exc.url
        return lambda: TransientHTTPStatusError(message, status, url)
    return lambda: NetworkError(message)


class Politeness:
    """The process-wide pacing and robots state; create one and hand it to every client.
    Setting ``stop`` (SIGTERM) wakes every wait of every client: pacing, Retry-After, back-off;
    a ``stop`` passed in also cuts the exchanges in flight (a slow server cannot hold us)."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        interval = 1.0 / settings.requests_per_second
        self.stop = stop or threading.Event()
        self.pacer = HostPacer(interval, settings.max_crawl_delay, clock=clock, sleep=sleep, stop=self.stop)
        if stop is not None:
            threading.Thread(target=_cut_on, args=(stop,), name="stop-cuts-exchanges", daemon=True).start()
        self.robots = RobotsCache(self.pacer, clock=clock)


class _AttemptError(Exception):
    """One attempt failed at the network level; ``cause`` says how, in a few words."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class HttpClient:
    """Polite GET with robots.txt, pacing, timeouts, size cap, retries and error translation.

    One long-lived session (connection reuse).  ``requests_made`` and ``status_counts`` feed
    the run statistics.  With a ``site``, every URL and redirect target outside it is refused
    (``RefusedURLError``).
    """

    def __init__(
        self, settings: HttpSettings, politeness: Politeness | None = None, *, site: SitePolicy | None = None
    ) -> None:
        self._settings = settings
        self._politeness = politeness or Politeness(settings)
        self._site = site
        self._session = BoundedSession()
        self._session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"})
        self._lock = threading.Lock()
        self._requests_made = 0
        self._status_counts: dict[str, int] = {}

    @property
    def requests_made(self) -> int:
        """HTTP requests sent: retries, redirect hops and robots.txt included."""
        with self._lock:
            return self._requests_made

    @property
    def status_counts(self) -> dict[str, int]:
        """Responses per status class (``"2xx"``, ``"5xx"``…), a copy."""
        with self._lock:
            return dict(self._status_counts)

    def get(
        self, url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """GET ``url`` politely and return the whole response (2xx, 3xx or 304).

        Raises ``RobotsDisallowedError``, ``PermanentHTTPStatusError`` (4xx),
        ``TransientHTTPStatusError`` / ``NetworkError`` (still failing after every retry),
        ``RetryLaterError`` (asked to wait too long), ``ResponseTooLargeError`` or
        ``RefusedURLError`` (off the client's site, or a redirect there).
        """
        full_url = self._allowed(_request_url(url, params))
        return self._fetch(full_url, headers)

    def stream(
        self,
        url: str,
        consume: Callable[[Iterator[bytes]], _T],
        *,
        limit: int,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Streamed[_T]:
        """GET as ``get`` does (robots.txt, pacing, retries, same errors), handing a 2xx body to
        ``consume`` as decoded chunks instead of reading it into memory.

        ``consume`` runs once per attempt (a failure mid-body retries the whole request), so it
        must start afresh each call and let the chunks' errors pass: ``ResponseTooLargeError``
        past ``limit`` bytes, a network error past ``timeout`` seconds (default ``[http] timeout``).
        """
        full_url = self._allowed(_request_url(url, None))

        def read(reply: requests.Response, budget: _Budget) -> _T | None:
            if not 200 <= reply.status_code < 300:
                return None
            return consume(self._chunks(full_url, reply, budget))

        return self._retrying(full_url, headers, read, limit, timeout)

    def close(self) -> None:
        """Close the session and its pooled connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _allowed(self, url: str, *, robots: bool = True) -> str:
        """``url`` if this client may fetch it: on its site, and (``robots``) allowed by robots.txt."""
        if self._site is not None:
            self._site.check(url)
        if robots:
            self._check_robots(url)
        return url

    def _check_robots(self, url: str) -> None:
        if self._settings.respect_robots:
            agent = self._settings.user_agent
            if not self._politeness.robots.allowed(url, agent, self._fetch_robots):
                raise RobotsDisallowedError(f"{url}: disallowed by robots.txt for {_product_token(agent)}")

    def _fetch_robots(self, url: str) -> Response:
        return self._fetch(url, None, limit=_ROBOTS_MAX_BYTES, truncate=True)

    def _fetch(
        self, url: str, headers: Mapping[str, str] | None, *, limit: int | None = None, truncate: bool = False
    ) -> Response:
        """The whole response, its body read into memory (cut at ``limit`` when ``truncate``)."""

        def read(reply: requests.Response, budget: _Budget) -> bytes:
            return b"".join(self._chunks(url, reply, budget))

        answer = self._retrying(
            url, headers, read, limit or self._settings.max_response_bytes, None, truncate
        )
        return Response(answer.url, answer.status, answer.headers, answer.value or b"")

    def _retrying(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        read: Callable[[requests.Response, _Budget], _T | None],
        limit: int,
        timeout: float | None,
        truncate: bool = False,
    ) -> Streamed[_T]:
        """Paced attempts with back-off until a final answer or the retries run out."""
        host = _host(url)
        attempts = self._settings.max_retries + 1
        seconds = timeout or self._settings.timeout
        for attempt in range(attempts):
            self._politeness.pacer.wait(host)
            budget = _Budget(limit, truncate, seconds, time.monotonic() + seconds)
            try:
                response = self._attempt(url, headers, read, budget)
            except _AttemptError as failure:
                if self._politeness.stop.is_set():  # cut short by a stop, not by the server
                    raise StopRequested(f"{url}: stopping, the response abandoned") from None
                if attempt + 1 == attempts:
                    raise NetworkError(f"{url}: {failure.cause}{_after(attempts)}") from None
                self._back_off(url, attempt, failure.cause, None)
                continue
            if response.status not in RETRY_STATUSES:
                return _checked(url, response)
            retry_after = self._retry_after(url, response)
            if attempt + 1 == attempts:
                message = f"{url}: {_status(response.status)}{_after(attempts)}"
                raise TransientHTTPStatusError(message, response.status, url)
            self._back_off(url, attempt, _status(response.status), retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_after(self, url: str, response: Streamed[_T]) -> float | None:
        """The server's Retry-After in seconds; ``RetryLaterError`` if longer than we wait."""
        now = datetime.now(UTC)
        seconds = _parse_retry_after(response.headers.get("Retry-After"), now)
        if seconds is not None and seconds > self._settings.max_retry_after:
            message = (
                f"{url}: {_status(response.status)}, server asks to retry in {seconds:.0f}s"
                f" (more than max_retry_after {self._settings.max_retry_after:g}s)"
            )
            raise RetryLaterError(message, retry_at=now + timedelta(seconds=seconds))
        return seconds

    def _back_off(self, url: str, attempt: int, cause: str, retry_after: float | None) -> None:
        """Wait before the next attempt: Retry-After (holding the whole host) or jittered back-off."""
        pacer = self._politeness.pacer
        if retry_after is not None:
            delay = retry_after
            pacer.defer(_host(url), pacer.clock() + delay)
        else:
            delay = random.uniform(0, min(self._settings.backoff * 2**attempt, _MAX_BACKOFF))
        logger.warning(
            "%s: %s; retry %d of %d in %.2fs", url, cause, attempt + 1, self._settings.max_retries, delay
        )
        if retry_after is None and pacer.stop.wait(delay):
            raise StopRequested(f"{url}: stopping, no further attempt")

    def _attempt(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        read: Callable[[requests.Response, _Budget], _T | None],
        budget: _Budget,
    ) -> Streamed[_T]:
        """Send one request (redirects followed) and let ``read`` take the final body, the
        whole exchange within the budget's deadline."""
        with Deadline(budget.deadline - time.monotonic()) as deadline:
            try:
                reply = self._follow(url, headers, budget)
                with reply:
                    value = read(reply, budget)
            except _AttemptError:
                if not deadline.expired:
                    raise
        if deadline.expired:  # a cut can also pass for the end of the headers or of the body
            raise _AttemptError(f"no complete response within {budget.seconds:g}s")
        return Streamed(url=reply.url, status=reply.status_code, headers=reply.headers, value=value)

    def _follow(self, url: str, headers: Mapping[str, str] | None, budget: _Budget) -> requests.Response:
        """The response at the end of ``url``'s redirects, its body not read yet.  A redirect's
        body is never read (a bomb or an endless body there costs nothing); each target must
        be http(s), on the site and allowed by robots.txt (robots.txt's own redirects: the site only)."""
        hop_url = url
        for _hop in range(_MAX_REDIRECTS + 1):
            reply = self._send(hop_url, headers)
            if not reply.is_redirect:
                return reply
            reply.close()
            hop_url = _request_url(urljoin(reply.url, reply.headers["Location"]), None)
            self._allowed(hop_url, robots=not budget.truncate)  # robots.txt's own fetch: the site only
        raise PermanentHTTPStatusError(f"{url}: more than {_MAX_REDIRECTS} redirects", 310, url)

    def _send(self, url: str, headers: Mapping[str, str] | None) -> requests.Response:
        """One request, no redirect followed, the body left unread; failures translated."""
        timeouts = (self._settings.connect_timeout, self._settings.timeout)
        try:
            reply = self._session.get(
                url, headers=headers, timeout=timeouts, stream=True, allow_redirects=False
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            if not _never_sent(exc):
                self._count(None)
            raise _AttemptError(_describe(exc)) from None
        except requests.RequestException as exc:
            raise PermanentError(f"{url}: cannot request: {exc}") from None
        self._count(reply.status_code)
        return reply

    @staticmethod
    def _chunks(url: str, reply: requests.Response, budget: _Budget) -> Iterator[bytes]:
        """The decoded body, counting decoded bytes against the size cap and time against the
        deadline, with network failures translated (``_AttemptError``: worth another attempt)."""
        limit = budget.limit
        _reject_declared_size(url, reply.headers, limit, budget.truncate)
        size = 0
        try:
            for chunk in _decoded_chunks(reply):
                size += len(chunk)
                if size > limit:
                    if not budget.truncate:
                        raise ResponseTooLargeError(f"{url}: response larger than {limit} bytes (the cap)")
                    yield chunk[: len(chunk) - (size - limit)]
                    return
                yield chunk
                if time.monotonic() > budget.deadline:
                    raise _AttemptError(f"no complete response within {budget.seconds:g}s")
        except urllib3.exceptions.DecodeError as exc:
            raise BrokenResponseError(f"{url}: cannot decode the response body: {exc}") from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise _AttemptError(_describe(exc)) from None

    def _count(self, status: int | None) -> None:
        """Count one request sent, and its response's status class (``None``: no response)."""
        with self._lock:
            self._requests_made += 1
            if status is not None:
                key = f"{status // 100}xx"
                self._status_counts[key] = self._status_counts.get(key, 0) + 1


def _cut_on(stop: threading.Event) -> None:
    stop.wait()
    cut_all()


def _decoded_chunks(reply: requests.Response) -> Iterator[bytes]:
    """Decoded body chunks, each from at most one socket read, so the deadline is checked often.

    ``iter_content`` would block until a whole chunk arrived, letting a server that trickles
    bytes hold us far past the deadline; ``read1`` returns whatever one read produced.
    """
    raw = cast("urllib3.BaseHTTPResponse", reply.raw)
    while chunk := raw.read1(_CHUNK, decode_content=True):
        yield chunk


def _reject_declared_size(url: str, headers: Mapping[str, str], limit: int, truncate: bool) -> None:
    """Refuse before reading when an uncompressed body announces more than ``limit`` bytes."""
    encoding = headers.get("Content-Encoding", "identity").strip().lower()
    length = headers.get("Content-Length", "").strip()
    if not truncate and encoding in ("", "identity") and length.isdigit() and int(length) > limit:
        raise ResponseTooLargeError(f"{url}: response of {length} bytes is larger than the {limit}-byte cap")


def _checked(url: str, response: Streamed[_T]) -> Streamed[_T]:
    """The response if it is an answer (< 400), else the matching non-retried status error."""
    if response.status < 400:
        return response
    message = f"{url}: {_status(response.status)}"
    if response.status < 500:
        raise PermanentHTTPStatusError(message, response.status, url)
    raise TransientHTTPStatusError(message, response.status, url)


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` of delta-seconds or an HTTP-date; None if absent/bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _describe(exc: BaseException) -> str:
    """A few lower-case words for a network failure: 'connection refused', 'read timed out'…"""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.append(current)
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        todo.extend(_causes(current))
    if any(isinstance(e, http.client.IncompleteRead) for e in seen):
        return "response truncated (connection closed before the end of the body)"
    if any(isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError) for e in seen):
        return "connect timed out"
    if any(isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError | requests.Timeout) for e in seen):
        return "read timed out"
    return " ".join(str(exc).split()) or type(exc).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    """The exceptions wrapped by ``exc`` (requests and urllib3 nest them in several ways)."""
    found = [exc.__cause__, exc.__context__, getattr(exc, "reason", None), *exc.args]
    return [item for item in found if isinstance(item, BaseException)]


def _never_sent(exc: BaseException) -> bool:
    """Whether the failure happened before a connection existed (nothing reached the server)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _request_url(url: str, params: Mapping[str, str] | None) -> str:
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


def _status(code: int) -> str:
    """``HTTP 503 Service Unavailable``."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _after(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (RFC 9309 §2.2.1)."""
    words = user_agent.split()
    return words[0].split("/")[0] if words else user_agent
