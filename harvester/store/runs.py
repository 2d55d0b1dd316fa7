"""Harvest bookkeeping: sources, runs, crash checkpoints and high-water marks.

A checkpoint is written in the same transaction as the page it follows, so after a crash the
next run resumes exactly after the last committed page.  A completed window replaces the
checkpoint with a high-water mark: the server's ``responseDate`` when the window started.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Table, bindparam, insert, select, update

from ..config import SourceSettings
from ..errors import SourceBusyError
from ..redact import mask
from ..signals import process_alive
from .articles import PageCounts
from .schema import checkpoints, harvest_state, journals, runs, sources

__all__ = [
    "Checkpoint",
    "HarvestState",
    "SourceIds",
    "as_utc",
    "complete_window",
    "ensure_source",
    "finish_run",
    "is_stale",
    "load_checkpoint",
    "load_state",
    "record_page",
    "save_checkpoint",
    "start_run",
]

#: A "running" run whose heartbeat is older than this belongs to a process that died.
STALE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class SourceIds:
    """The rows a source's records hang from."""

    source_id: int
    journal_id: int


@dataclass(frozen=True)
class Checkpoint:
    """An OAI window in progress."""

    set_spec: str
    metadata_prefix: str
    window_from: str | None
    window_until: str | None
    full_sweep: bool
    started_response_date: str
    resumption_token: str | None
    pages: int
    sweep_run: int | None = None  # a full sweep: the run that started it (``sweeps``)


@dataclass(frozen=True)
class HarvestState:
    """What the last completed window left behind."""

    high_water: str
    last_full_sweep: datetime | None


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ensure_source(conn: Connection, source: SourceSettings, now: datetime) -> SourceIds:
    """The source's row (created on first use, URLs kept current) and its journal row."""
    row = conn.execute(
        select(sources.c.id, sources.c.url, sources.c.endpoint).where(sources.c.name == source.name)
    ).first()
    url, endpoint = mask(source.url), mask(source.endpoint)
    if row is None:
        source_id = conn.execute(
            insert(sources).returning(sources.c.id),
            {"name": source.name, "url": url, "endpoint": endpoint, "created_at": now},
        ).scalar_one()
        # No version yet: the row holds no fact of the journal (its URL is the source's), so
        # version 1 is written by the first facts stated (``journals.update_journal``).  A
        # first harvest then makes one version (its later facts amend it), and a source that is
        # registered but never harvested puts nothing in the change feed.
        journal_id = conn.execute(
            insert(journals).returning(journals.c.id), {"source_id": source_id, "url": url}
        ).scalar_one()
        return SourceIds(source_id, journal_id)
    if (row.url, row.endpoint) != (url, endpoint):
        conn.execute(update(sources).where(sources.c.id == row.id).values(url=url, endpoint=endpoint))
    journal_id = conn.execute(select(journals.c.id).where(journals.c.source_id == row.id)).scalar_one()
    return SourceIds(row.id, journal_id)


def is_stale(run: object, now: datetime) -> bool:
    """Whether a "running" run's process is gone: no heartbeat for ``STALE_AFTER``, or no
    such process on this host."""
    heartbeat = as_utc(run.heartbeat_at)  # type: ignore[attr-defined]
    if now - heartbeat > STALE_AFTER:
        return True
    same_host = run.host == socket.gethostname()  # type: ignore[attr-defined]
    return same_host and not process_alive(run.pid)  # type: ignore[attr-defined]


def start_run(
    conn: Connection, source_id: int, kind: str, now: datetime, window: tuple[str | None, str | None]
) -> int:
    """Open a run; runs left 'running' by dead processes become 'interrupted'."""
    running = conn.execute(
        select(runs.c.id, runs.c.heartbeat_at, runs.c.host, runs.c.pid).where(
            runs.c.source_id == source_id, runs.c.status == "running"
        )
    ).all()
    for run in running:
        if not is_stale(run, now):
            raise SourceBusyError(f"source is being harvested by run {run.id} (pid {run.pid} on {run.host})")
        conn.execute(update(runs).where(runs.c.id == run.id).values(status="interrupted", finished_at=now))
    run_id: int = conn.execute(
        insert(runs).returning(runs.c.id),
        {
            "source_id": source_id,
            "kind": kind,
            "status": "running",
            "window_from": window[0],
            "window_until": window[1],
            "started_at": now,
            "heartbeat_at": now,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        },
    ).scalar_one()
    return run_id


# Built once: each page of a harvest runs these two (statements built per call cost more
# than SQLite's own work on them).
_COUNTED = ("new", "changed", "unchanged", "deleted")
_RECORD_PAGE = (
    update(runs)
    .where(runs.c.id == bindparam("b_id"))
    .values(
        {runs.c[name]: runs.c[name] + bindparam(f"b_{name}") for name in _COUNTED}
        | {runs.c.pages: runs.c.pages + 1, runs.c.requests: bindparam("b_req")}
        | {runs.c.warnings: bindparam("b_warn"), runs.c.heartbeat_at: bindparam("b_now")}
    )
)
_WINDOW = ("window_from", "window_until", "full_sweep", "started_response_date", "resumption_token", "pages")
_SAVE_CHECKPOINT = (
    update(checkpoints)
    .where(
        checkpoints.c.source_id == bindparam("k_source_id"),
        checkpoints.c.set_spec == bindparam("k_set_spec"),
        checkpoints.c.metadata_prefix == bindparam("k_metadata_prefix"),
    )
    .values({name: bindparam(f"v_{name}") for name in (*_WINDOW, "sweep_run", "updated_at")})
)


def record_page(
    conn: Connection, run_id: int, counts: PageCounts, requests: int, warnings: int, now: datetime
) -> None:
    """Add one committed page's counts to its run (same transaction as the page)."""
    counted = {f"b_{name}": getattr(counts, name) for name in _COUNTED}
    conn.execute(
        _RECORD_PAGE, counted | {"b_id": run_id, "b_req": requests, "b_warn": warnings, "b_now": now}
    )


def finish_run(
    conn: Connection,
    run_id: int,
    status: str,
    now: datetime,
    *,
    requests: int,
    errors: int,
    error: str | None,
) -> None:
    """Close a run with its outcome (the error with its secrets masked)."""
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(
            status=status,
            finished_at=now,
            heartbeat_at=now,
            requests=requests,
            errors=errors,
            error=mask(error) if error else error,
        )
    )


def load_checkpoint(
    conn: Connection, source_id: int, set_spec: str, metadata_prefix: str
) -> Checkpoint | None:
    """The unfinished window of a source (set and format), if a previous run left one."""
    row = conn.execute(
        select(checkpoints).where(
            checkpoints.c.source_id == source_id,
            checkpoints.c.set_spec == set_spec,
            checkpoints.c.metadata_prefix == metadata_prefix,
        )
    ).first()
    if row is None:
        return None
    return Checkpoint(
        set_spec=row.set_spec,
        metadata_prefix=row.metadata_prefix,
        window_from=row.window_from,
        window_until=row.window_until,
        full_sweep=row.full_sweep,
        started_response_date=row.started_response_date,
        resumption_token=row.resumption_token,
        pages=row.pages,
        sweep_run=row.sweep_run,
    )


def save_checkpoint(conn: Connection, source_id: int, checkpoint: Checkpoint, now: datetime) -> None:
    """Record where the window stands, in the transaction of the page just written."""
    values = {name: getattr(checkpoint, name) for name in (*_WINDOW, "sweep_run")} | {"updated_at": now}
    key = {
        "source_id": source_id,
        "set_spec": checkpoint.set_spec,
        "metadata_prefix": checkpoint.metadata_prefix,
    }
    params = {f"v_{name}": value for name, value in values.items()} | {f"k_{n}": v for n, v in key.items()}
    if conn.execute(_SAVE_CHECKPOINT, params).rowcount == 0:
        conn.execute(insert(checkpoints).values(values | key))


def load_state(conn: Connection, source_id: int, set_spec: str, metadata_prefix: str) -> HarvestState | None:
    """The high-water mark and last full sweep of a source (set and format)."""
    key = {"source_id": source_id, "set_spec": set_spec, "metadata_prefix": metadata_prefix}
    row = conn.execute(
        select(harvest_state.c.high_water, harvest_state.c.last_full_sweep).where(
            *_matching(harvest_state, key)
        )
    ).first()
    if row is None:
        return None
    sweep = as_utc(row.last_full_sweep) if row.last_full_sweep else None
    return HarvestState(high_water=row.high_water, last_full_sweep=sweep)


def complete_window(
    conn: Connection, source_id: int, checkpoint: Checkpoint, now: datetime, *, advance: bool
) -> None:
    """A window finished: its checkpoint goes, and when ``advance`` its start becomes the
    high-water mark (a ranged backfill leaves the mark alone)."""
    key = {
        "source_id": source_id,
        "set_spec": checkpoint.set_spec,
        "metadata_prefix": checkpoint.metadata_prefix,
    }
    if advance:
        values: dict[str, object] = {"high_water": checkpoint.started_response_date, "updated_at": now}
        if checkpoint.full_sweep:
            values["last_full_sweep"] = now
        if (
            conn.execute(update(harvest_state).where(*_matching(harvest_state, key)).values(values)).rowcount
            == 0
        ):
            conn.execute(insert(harvest_state).values(values | key))
    conn.execute(checkpoints.delete().where(*_matching(checkpoints, key)))


def _matching(table: Table, key: dict[str, object]) -> list[ColumnElement[bool]]:
    """The WHERE terms selecting ``table``'s row with this key (source, set and format)."""
    return [table.c[name] == value for name, value in key.items()]
