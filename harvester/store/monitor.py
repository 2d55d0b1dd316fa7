"""Reading the run history for whoever watches the harvester: the daemon, ``status``, probes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, ScalarSelect, Select, func, select, true

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


# Each reads a source's newest runs off an index (``ix_runs_source_id``, ``ix_runs_source_status``,
# 0017), source by source: the run table keeps every run of every source (a fleet of 2,000
# journals gathers a million in three months), and a pass over all of it cost seconds a tick
# of the fleet's scheduler.


def _newest(status: str, column: str) -> ScalarSelect[Any]:
    """``column`` of a source's last finished run with this status (and an error, if it failed)."""
    newest = runs.alias("newest")
    query = select(newest.c[column]).where(
        newest.c.source_id == sources.c.id, newest.c.status == status, newest.c.finished_at.is_not(None)
    )
    if status == "failed":
        query = query.where(newest.c.error.is_not(None))
    return query.order_by(newest.c.finished_at.desc(), newest.c.id.desc()).limit(1).scalar_subquery()


def last_successes(conn: Connection) -> dict[str, datetime]:
    """Per source name, when its last successful run finished."""
    rows = conn.execute(select(sources.c.name, _newest("ok", "finished_at")))
    return {name: as_utc(at) for name, at in rows if at is not None}


def _recent(conn: Connection, limit: int) -> Select[Any]:
    """Each source's name and newest ``limit`` runs.  PostgreSQL takes them with a LATERAL
    subquery (a correlated bound in the join made it evaluate the bound once per run);
    SQLite, which has no LATERAL, seeks each source's runs from the ``limit``-th newest."""
    if conn.dialect.name == "postgresql":
        newest = (
            select(runs).where(runs.c.source_id == sources.c.id).order_by(runs.c.id.desc()).limit(limit)
        ).lateral("newest")
        return select(sources.c.name, newest).select_from(sources).join(newest, true())
    older = runs.alias("older")
    oldest_shown = (
        select(older.c.id)
        .where(older.c.source_id == sources.c.id)
        .order_by(older.c.id.desc())
        .limit(1)
        .offset(limit - 1)
        .scalar_subquery()
    )
    return (
        select(sources.c.name, runs)
        .join(runs, runs.c.source_id == sources.c.id)
        .where(runs.c.id >= func.coalesce(oldest_shown, 0))
    )


def recent_runs(conn: Connection, limit: int, now: datetime | None = None) -> dict[str, list[RunSummary]]:
    """Per source name, its newest ``limit`` runs, newest first; a "running" run whose process
    is gone (stale heartbeat, or no such process on this host) reads "dead"."""
    now = now or datetime.now(UTC)
    recent = _recent(conn, limit).subquery()
    history: dict[str, list[RunSummary]] = {}
    for row in conn.execute(select(recent).order_by(recent.c.name, recent.c.id.desc())):
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
    rows = conn.execute(select(sources.c.name, _newest("failed", "started_at"), _newest("failed", "error")))
    return {name: (as_utc(at), str(error)) for name, at, error in rows if at is not None}


def schema_current(conn: Connection) -> bool:
    """Whether the database has the schema this version of the harvester needs."""
    return current_revision(conn) == HEAD_REVISION
