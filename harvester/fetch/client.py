"""The one polite HTTP client every request of the harvester goes through.

Politeness is shared by the whole process (``politeness.Politeness``: one ``HostPacer`` and
one ``RobotsCache``), so that however many jobs run in parallel, each host sees at most
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

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import NamedTuple, Self, TypeVar
from urllib.parse import urljoin

import requests
import urllib3

from ..config import HttpSettings
from ..errors import (
    BrokenResponseError,
    NetworkError,
    PermanentError,
    PermanentHTTPStatusError,
    ResponseTooLargeError,
    RetryLaterError,
    RobotsDisallowedError,
    StopRequested,
    TransientHTTPStatusError,
)
from .failures import after, describe, never_sent, status_words
from .netguard import (
    BoundedSession,
    Deadline,
    SitePolicy,
    decoded_chunks,
    host_name,
    reject_declared_size,
    request_url,
)
from .politeness import Politeness, retry_after_seconds
from .response import Response, Streamed
from .robots import product_token

__all__ = ["RETRY_STATUSES", "HttpClient", "Response", "Streamed"]

logger = logging.getLogger(__name__)

#: Statuses worth another attempt (after back-off or the server's ``Retry-After``).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_MAX_BACKOFF = 300.0
_MAX_REDIRECTS = 10
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 §2.5: parse at least 500 KiB, ignore the rest.

_T = TypeVar("_T")


class _Budget(NamedTuple):
    """What one attempt may take: decoded bytes (cut there when ``truncate``), and time;
    ``truncate`` also marks a robots.txt fetch, whose redirects are not checked against itself."""

    limit: int
    truncate: bool
    seconds: float
    deadline: float


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
        full_url = self._allowed(request_url(url, params))
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
        full_url = self._allowed(request_url(url, None))

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
                raise RobotsDisallowedError(f"{url}: disallowed by robots.txt for {product_token(agent)}")

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
        host = host_name(url)
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
                    raise NetworkError(f"{url}: {failure.cause}{after(attempts)}") from None
                self._back_off(url, attempt, failure.cause, None)
                continue
            if response.status not in RETRY_STATUSES:
                return _checked(url, response)
            retry_after = self._retry_after(url, response)
            if attempt + 1 == attempts:
                message = f"{url}: {status_words(response.status)}{after(attempts)}"
                raise TransientHTTPStatusError(message, response.status, url)
            self._back_off(url, attempt, status_words(response.status), retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_after(self, url: str, response: Streamed[_T]) -> float | None:
        """The server's Retry-After in seconds; ``RetryLaterError`` if longer than we wait, the
        host then held back for every thread until that time."""
        now = datetime.now(UTC)
        seconds = retry_after_seconds(response.headers.get("Retry-After"), now)
        if seconds is not None and seconds > self._settings.max_retry_after:
            message = (
                f"{url}: {status_words(response.status)}, server asks to retry in {seconds:.0f}s"
                f" (more than max_retry_after {self._settings.max_retry_after:g}s)"
            )
            later = RetryLaterError(message, retry_at=now + timedelta(seconds=seconds))
            self._politeness.pacer.hold(host_name(url), seconds, later)
            raise later
        return seconds

    def _back_off(self, url: str, attempt: int, cause: str, retry_after: float | None) -> None:
        """Wait before the next attempt: Retry-After (holding the whole host) or jittered back-off."""
        pacer = self._politeness.pacer
        if retry_after is not None:
            delay = retry_after
            pacer.defer(host_name(url), pacer.clock() + delay)
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
            hop_url = request_url(urljoin(reply.url, reply.headers["Location"]), None)
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
            if not never_sent(exc):
                self._count(None)
            raise _AttemptError(describe(exc)) from None
        except requests.RequestException as exc:
            raise PermanentError(f"{url}: cannot request: {exc}") from None
        self._count(reply.status_code)
        return reply

    @staticmethod
    def _chunks(url: str, reply: requests.Response, budget: _Budget) -> Iterator[bytes]:
        """The decoded body, counting decoded bytes against the size cap and time against the
        deadline, with network failures translated (``_AttemptError``: worth another attempt)."""
        limit = budget.limit
        reject_declared_size(url, reply.headers, limit, budget.truncate)
        size = 0
        try:
            for chunk in decoded_chunks(reply):
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
            raise _AttemptError(describe(exc)) from None

    def _count(self, status: int | None) -> None:
        """Count one request sent, and its response's status class (``None``: no response)."""
        with self._lock:
            self._requests_made += 1
            if status is not None:
                key = f"{status // 100}xx"
                self._status_counts[key] = self._status_counts.get(key, 0) + 1


def _checked(url: str, response: Streamed[_T]) -> Streamed[_T]:
    """The response if it is an answer (< 400), else the matching non-retried status error."""
    if response.status < 400:
        return response
    message = f"{url}: {status_words(response.status)}"
    if response.status < 500:
        raise PermanentHTTPStatusError(message, response.status, url)
    raise TransientHTTPStatusError(message, response.status, url)
