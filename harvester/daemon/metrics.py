"""The daemon's Prometheus metrics: what its harvests did, summed over all sources.

Labels stay few and bounded (status class, change, run result, source strategy): never a
host or a journal, so a daemon with hundreds of journals still exposes a few dozen series.
Counters advance when a run ends, with everything that run did.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

if TYPE_CHECKING:
    from ..harvest.pipeline import HarvestResult

__all__ = ["Metrics"]

_PREFIX = "ojs_harvester"
_STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "none")
_CHANGES = ("new", "changed", "unchanged", "deleted")
_RESULTS = ("ok", "failed", "interrupted")
# A run takes seconds for a small journal and hours for a full sweep of a large site.
_DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400)


class Metrics:
    """One registry (not the process-global one) with the harvester's series."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._requests = Counter(
            f"{_PREFIX}_http_requests",
            "HTTP requests sent by harvests, by response status class (none: no response).",
            ["status_class"],
            registry=registry,
        )
        self._records = Counter(
            f"{_PREFIX}_records",
            "Records harvested, by what they did to the store (new, changed, unchanged, deleted).",
            ["change"],
            registry=registry,
        )
        self._runs = Counter(
            f"{_PREFIX}_runs", "Harvest runs ended, by result.", ["status"], registry=registry
        )
        self._duration = Histogram(
            f"{_PREFIX}_run_duration_seconds",
            "How long harvest runs took, by result.",
            ["status"],
            buckets=_DURATION_BUCKETS,
            registry=registry,
        )
        self._last_success = Gauge(
            f"{_PREFIX}_last_success_timestamp_seconds",
            "When the newest successful run of any source of this strategy ended (Unix time).",
            ["strategy"],
            registry=registry,
        )
        self._sources = Gauge(f"{_PREFIX}_sources", "Enabled sources on the schedule.", registry=registry)
        self._running = Gauge(f"{_PREFIX}_harvests_running", "Harvests running now.", registry=registry)
        self._newest_success: dict[str, float] = {}
        self._lock = threading.Lock()
        ProcessCollector(registry=registry)
        self._zero_series()

    def _zero_series(self) -> None:
        """Every label value exists from the start, so rates work from the first scrape."""
        for status_class in _STATUS_CLASSES:
            self._requests.labels(status_class)
        for change in _CHANGES:
            self._records.labels(change)
        for status in _RESULTS:
            self._runs.labels(status)
            self._duration.labels(status)

    def set_sources(self, count: int) -> None:
        """The number of enabled sources (after start or a reload)."""
        self._sources.set(count)

    def harvest_started(self) -> None:
        """A harvest began."""
        self._running.inc()

    def harvest_skipped(self) -> None:
        """A harvest did not start after all (another process holds the source)."""
        self._running.dec()

    def harvest_ended(self, result: HarvestResult | None, seconds: float) -> None:
        """A harvest ended; ``result`` is None when it failed before its run was recorded."""
        self._running.dec()
        status = result.status if result is not None else "failed"
        self._runs.labels(status).inc()
        self._duration.labels(status).observe(seconds)
        if result is None:
            return
        counts = result.counts
        for change, value in zip(
            _CHANGES, (counts.new, counts.changed, counts.unchanged, counts.deleted), strict=True
        ):
            self._records.labels(change).inc(value)
        answered = 0
        for status_class, value in result.status_counts.items():
            self._requests.labels(status_class).inc(value)
            answered += value
        self._requests.labels("none").inc(max(result.requests - answered, 0))

    def succeeded(self, strategy: str, at: datetime) -> None:
        """A source of ``strategy`` last succeeded at ``at`` (kept if an older time comes)."""
        with self._lock:
            newest = max(self._newest_success.get(strategy, 0.0), at.timestamp())
            self._newest_success[strategy] = newest
            self._last_success.labels(strategy).set(newest)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The metrics in the format an ``Accept`` header asks for (Prometheus text by
        default, OpenMetrics on request) and its content type."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
