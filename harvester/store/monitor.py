"""Reading the run history for whoever watches the harvester: the daemon, ``status``, probes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from .engine import HEAD_REVISION, current_revision
from .runs import as_utc, is_stale
from .schema import runs, sources

__all__ = ["RunSummary", "last_errors", "last_successes", "recent_runs", "schema_current"]


@dataclass(frozen=True)
class RunSummary:
    """One finished (or still running) run of a source."""

    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    new: int
    changed: int
    deleted: int
    error: str | None


def last_successes(conn: Connection) -> dict[str, datetime]:
    """Per source name, when its last successful run finished."""
    rows = conn.execute(
        select(sources.c.name, func.max(runs.c.finished_at))
        .join(runs, runs.c.source_id == sources.c.id)
        .where(runs.c.status == "ok")
        .group_by(sources.c.name)
    )
    return {name: as_utc(at) for name, at in rows if at is not None}


def recent_runs(conn: Connection, limit: int, now: datetime | None = None) -> dict[str, list[RunSummary]]:
    """Per source name, its newest ``limit`` runs, newest first; a "running" run whose process
    is gone (stale heartbeat, or no such process on this host) reads "dead"."""
    now = now or datetime.now(UTC)
    rank = func.row_number().over(partition_by=runs.c.source_id, order_by=runs.c.id.desc()).label("rank")
    ranked = select(runs, rank).subquery()
    rows = conn.execute(
        select(sources.c.name, ranked)
        .join(ranked, ranked.c.source_id == sources.c.id)
        .where(ranked.c.rank <= limit)
        .order_by(sources.c.name, ranked.c.id.desc())
    )
    history: dict[str, list[RunSummary]] = {}
    for row in rows:
        finished = as_utc(row.finished_at) if row.finished_at else None
        history.setdefault(row.name, []).append(
            RunSummary(
                row.kind,
                "dead" if row.status == "running" and is_stale(row, now) else row.status,
                as_utc(row.started_at),
                finished,
                row.new,
                row.changed,
                row.deleted,
                row.error,
            )
        )
    return history


def last_errors(conn: Connection) -> dict[str, tuple[datetime, str]]:
    """Per source name, when its newest run that failed started and why it failed."""
    newest = (
        select(runs.c.source_id, func.max(runs.c.id).label("run_id"))
        .where(runs.c.error.is_not(None), runs.c.status == "failed")
        .group_by(runs.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(sources.c.name, runs.c.started_at, runs.c.error)
        .join(newest, newest.c.source_id == sources.c.id)
        .join(runs, runs.c.id == newest.c.run_id)
    )
    return {name: (as_utc(at), str(error)) for name, at, error in rows}


def schema_current(conn: Connection) -> bool:
    """Whether the database has the schema this version of the harvester needs."""
    return current_revision(conn) == HEAD_REVISION
