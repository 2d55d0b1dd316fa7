"""Per-host pacing shared by every thread of the process, and the process-wide politeness state.

However many jobs run in parallel, each host sees at most ``requests_per_second`` requests, a
``Crawl-delay`` widens its spacing, and a ``Retry-After`` it sends holds back every thread
(``HostPacer.defer``).  Setting ``stop`` (SIGTERM) wakes every wait at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..config import HttpSettings
from ..errors import RetryLaterError, StopRequested
from .netguard import cut_all
from .robots import RobotsCache

__all__ = ["HostPacer", "Politeness", "retry_after_seconds"]


class HostPacer:
    """Per-host minimum spacing between requests, shared by every thread of the process.

    ``wait(host)`` reserves the host's next free slot and sleeps until it, so requests to one
    host are serialised while different hosts proceed in parallel.  A set ``stop`` ends every
    wait at once (``StopRequested``).  A host that asked us to come back later than we wait
    (``hold``) refuses every request at once until then (``RetryLaterError``): no thread sleeps
    for it and no request reaches it.  The clock and sleep are injectable so the arithmetic can
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
        self._held: dict[str, tuple[float, RetryLaterError]] = {}
        self._lock = threading.Lock()

    def interval(self, host: str) -> float:
        """The current minimum spacing for ``host`` in seconds (the fleet hands it on)."""
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

    def hold(self, host: str, seconds: float, reason: RetryLaterError) -> None:
        """Refuse every request to ``host`` for ``seconds`` with ``reason`` (a long Retry-After)."""
        with self._lock:
            until = self.clock() + seconds
            if until > self._held.get(host, (0.0, reason))[0]:
                self._held[host] = (until, reason)

    def wait(self, host: str) -> float:
        """Block until ``host``'s next slot, reserve it, and return the seconds waited."""
        start = self.clock()
        while True:
            if self.stop.is_set():
                raise StopRequested(f"{host}: stopping, no further request")
            with self._lock:
                now = self.clock()
                until, reason = self._held.get(host, (0.0, None))
                if reason is not None and now < until:
                    message = f"{host} asked us to wait until {reason.retry_at:%Y-%m-%d %H:%M:%S} UTC"
                    raise RetryLaterError(f"{message}; nothing is sent to it before then", reason.retry_at)
                slot = max(now, self._next.get(host, now))
                self._next[host] = slot + self._intervals.get(host, self._base)
            if slot > now:
                self._sleep(slot - now)
            with self._lock:
                # A defer() that arrived while we slept moves us behind it.
                if self.clock() >= self._deferred.get(host, 0.0):
                    return self.clock() - start


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


def _cut_on(stop: threading.Event) -> None:
    stop.wait()
    cut_all()


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
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
