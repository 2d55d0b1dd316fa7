"""The fleet's queue as ``harvester status`` shows it: due, queued, running (where), failed, waits.

Read from the store's database alone (procrastinate's ``procrastinate_jobs`` and our
``runs`` and ``host_waits``), so it works from any machine, with or without a worker.
Nothing is shown for a SQLite store: it has no queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select, text

from ..config import Settings
from ..store import Store
from ..store.schema import runs, sources
from .hostwait import waiting_hosts
from .registry import is_fleet

__all__ = ["QueueStatus", "queue_lines", "queue_status"]


@dataclass(frozen=True)
class QueueStatus:
    """The queue at one moment."""

    due: int
    queued: int
    running: tuple[str, ...]  # "NAME on HOST (pid N)"
    failed: int
    waits: tuple[str, ...] = field(default=())  # one line per waiting host


def _has_queue(conn: Connection) -> bool:
    return conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


def _counts(conn: Connection) -> dict[str, int]:
    from .queue import HARVEST_TASK

    rows = conn.execute(
        text("SELECT status, count(*) FROM procrastinate_jobs WHERE task_name = :task GROUP BY status"),
        {"task": HARVEST_TASK},
    )
    return {str(status): int(count) for status, count in rows}


def _running(conn: Connection) -> tuple[str, ...]:
    rows = conn.execute(
        select(sources.c.name, runs.c.host, runs.c.pid)
        .join(runs, runs.c.source_id == sources.c.id)
        .where(runs.c.status == "running")
        .order_by(sources.c.name)
    )
    return tuple(f"{name} on {host} (pid {pid})" for name, host, pid in rows)


def queue_status(settings: Settings, store: Store, now: datetime) -> QueueStatus | None:
    """The queue of a PostgreSQL store; None when procrastinate's tables do not exist yet."""
    with store.read() as conn:
        if not _has_queue(conn):
            return None
        counts = _counts(conn)
        running = _running(conn)
        waits = waiting_hosts(conn, now)
    lines = tuple(
        f"host {host}: waiting until {wait.wait_until:%Y-%m-%d %H:%M:%S} UTC "
        f"({wait.failures} failure(s) in a row: {wait.reason})"
        for host, wait in sorted(waits.items())
    )
    from .scheduler import due_sources

    due = len(due_sources(settings, store, now))
    return QueueStatus(due, counts.get("todo", 0), running, counts.get("failed", 0), lines)


def queue_lines(settings: Settings, now: datetime) -> list[str]:
    """What ``status`` prints after the sources: nothing on SQLite."""
    if not is_fleet(settings):
        return []
    store = Store(settings.database.url)
    try:
        found = queue_status(settings, store, now)
    finally:
        store.close()
    if found is None:
        return ["queue: none yet (no harvester run or worker has started on this database)"]
    head = (
        f"queue: {found.due} due, {found.queued} queued, {len(found.running)} running, {found.failed} failed"
    )
    return [head, *(f"  running: {where}" for where in found.running), *found.waits]
