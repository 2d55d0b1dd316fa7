"""robots.txt per origin, read once a day and obeyed (RFC 9309, parsed by Protego)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from ..errors import NetworkError, PermanentHTTPStatusError, TransientError, TransientHTTPStatusError
from .netguard import host_name

if TYPE_CHECKING:
    from .politeness import HostPacer
    from .response import Response

__all__ = ["RobotsCache", "product_token"]

logger = logging.getLogger(__name__)


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
        return entry.parser is None or bool(entry.parser.can_fetch(url, product_token(user_agent)))

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
        delay = parser.crawl_delay(product_token(user_agent)) if parser else None
        self._pacer.set_min_interval(host_name(origin), float(delay or 0.0))
        return _RobotsEntry(parser, None, self._clock() + self._ttl)


def _unreachable(origin: str, exc: TransientError) -> Callable[[], TransientError]:
    """A factory of fresh errors (one per raise) for an unreachable robots.txt."""
    message = f"{exc}; robots.txt unreachable, so nothing on {origin} may be fetched for now"
    if isinstance(exc, TransientHTTPStatusError):
        status, url = exc.status, exc.url
        return lambda: TransientHTTPStatusError(message, status, url)
    return lambda: NetworkError(message)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (RFC 9309 §2.2.1)."""
    words = user_agent.split()
    return words[0].split("/")[0] if words else user_agent
