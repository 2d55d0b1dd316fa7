"""The fleet's ``/healthz``, ``/readyz`` and ``/metrics`` (``[service] listen``, ``harvester run`` only).

The queue is read from the database when Prometheus scrapes, so every scheduler reports the
whole fleet's queue, whichever machine it runs on:

- ``ojs_harvester_queue_jobs{state}``: ``due`` (journals due and not queued), ``queued``,
  ``running``, ``failed`` (harvest jobs that ended in an error, kept for ``[fleet] keep_failed``);
- ``ojs_harvester_hosts_waiting``: hosts left alone now (``Retry-After``, back-off);
- ``ojs_harvester_sources``: enabled sources.

No per-host or per-journal labels: with thousands of each, they would swamp Prometheus; the
names are in ``harvester status``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from ..config import Settings
from ..daemon.health import HealthServer
from ..errors import HarvesterError
from ..store import Store
from ..store.monitor import schema_current
from .queue_status import queue_status

__all__ = ["QueueCollector", "start_health"]

_PREFIX = "ojs_harvester"


class QueueCollector(Collector):
    """Reads the queue at each scrape; ``settings`` gives the sources of the latest tick."""

    def __init__(self, settings: Callable[[], Settings], store: Store) -> None:
        self._settings = settings
        self._store = store

    def collect(self) -> Iterator[Metric]:
        settings = self._settings()
        found = queue_status(settings, self._store, datetime.now(UTC))
        jobs = GaugeMetricFamily(
            f"{_PREFIX}_queue_jobs", "Journals in the fleet's queue, by state.", labels=["state"]
        )
        if found is not None:
            for state, count in (
                ("due", found.due), ("queued", found.queued), ("running", len(found.running)),
                ("failed", found.failed),
            ):  # fmt: skip
                jobs.add_metric([state], count)
        yield jobs
        waiting = len(found.waits) if found is not None else 0
        yield GaugeMetricFamily(
            f"{_PREFIX}_hosts_waiting", "Hosts left alone now (Retry-After, back-off).", value=waiting
        )
        enabled = sum(1 for source in settings.sources if source.enabled)
        yield GaugeMetricFamily(f"{_PREFIX}_sources", "Enabled sources.", value=enabled)


def start_health(
    settings: Callable[[], Settings], store: Store, stop: threading.Event
) -> HealthServer | None:
    """The listener of ``[service] listen``, if set: alive until stopping, ready while the
    database answers with the newest schema, and the queue's metrics."""
    listen = settings().service.listen
    if listen is None:
        return None
    registry = CollectorRegistry()
    registry.register(QueueCollector(settings, store))

    def ready() -> tuple[bool, str]:
        try:
            with store.read() as conn:
                current = schema_current(conn)
        except HarvesterError as exc:
            return False, f"database: {exc}"
        return current, "database ready" if current else "database schema is not the newest"

    def exposition(accept: str) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept)
        return encoder(registry), content_type

    server = HealthServer(
        listen,
        alive=lambda: (not stop.is_set(), "stopping" if stop.is_set() else "scheduling"),
        ready=ready,
        metrics=exposition,
    )
    server.start()
    return server
