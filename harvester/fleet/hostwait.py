"""Per-host waits shared by every process of the fleet, in the ``host_waits`` table.

A host that answers ``Retry-After`` beyond what a client waits in place (``RetryLaterError``),
or fails a job with a transient error, is left alone until ``wait_until``: the scheduler
defers none of its journals and a job that finds it waiting ends without a request.  Repeated
failures double the wait (``[fleet] backoff`` up to ``max_backoff``); a success clears it.
``free_at`` hands the politeness budget from one process to the next: the last job on a host
says when the host may hear from us again, and the next job, wherever it runs, waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from ..config import FleetSettings
from ..errors import HarvesterError, RetryLaterError, TransientError
from ..fetch.politeness import Politeness
from ..store.runs import as_utc
from ..store.schema import host_waits

__all__ = ["HostWait", "hand_over", "host_wait", "record_outcome", "set_free_at", "waiting_hosts"]


@dataclass(frozen=True)
class HostWait:
    """A host's row: until when to leave it alone, why, and when its budget frees it."""

    host: str
    wait_until: datetime | None
    failures: int
    reason: str | None
    free_at: datetime | None

    def waiting(self, now: datetime) -> bool:
        return self.wait_until is not None and self.wait_until > now


def _wait(row: object) -> HostWait:
    until, free = row.wait_until, row.free_at  # type: ignore[attr-defined]
    return HostWait(
        row.host,  # type: ignore[attr-defined]
        as_utc(until) if until else None,
        row.failures,  # type: ignore[attr-defined]
        row.reason,  # type: ignore[attr-defined]
        as_utc(free) if free else None,
    )


def host_wait(conn: Connection, host: str) -> HostWait | None:
    """The host's row, if it has one."""
    row = conn.execute(select(host_waits).where(host_waits.c.host == host)).first()
    return _wait(row) if row is not None else None


def waiting_hosts(conn: Connection, now: datetime) -> dict[str, HostWait]:
    """Every host that must be left alone now."""
    rows = conn.execute(select(host_waits).where(host_waits.c.wait_until > now))
    return {row.host: _wait(row) for row in rows}


def _backoff(fleet: FleetSettings, failures: int) -> timedelta:
    first = fleet.backoff
    doubled: timedelta = first * 2 ** max(failures - 1, 0)
    return min(doubled, fleet.max_backoff)


def record_outcome(
    conn: Connection,
    host: str,
    error: HarvesterError | None,
    *,
    fleet: FleetSettings,
    free_at: datetime,
    now: datetime,
) -> HostWait:
    """After a job on ``host``: clear its wait on success; after a transient failure, wait
    until the server's ``Retry-After`` or the back-off, whichever is later."""
    before = host_wait(conn, host)
    failures = 0
    until: datetime | None = None
    reason: str | None = None
    if isinstance(error, TransientError):
        failures = (before.failures if before else 0) + 1
        until = now + _backoff(fleet, failures)
        if isinstance(error, RetryLaterError):
            until = max(until, error.retry_at) if failures > 1 else error.retry_at
        reason = str(error)
    values = {
        "wait_until": until,
        "failures": failures,
        "reason": reason,
        "free_at": free_at,
        "updated_at": now,
    }
    if before is None:
        conn.execute(insert(host_waits), {"host": host, **values})
    else:
        conn.execute(update(host_waits).where(host_waits.c.host == host).values(**values))
    return HostWait(host, until, failures, reason, free_at)


def set_free_at(conn: Connection, host: str, free_at: datetime) -> None:
    """Only the politeness hand-over (a one-off command leaving the host), its wait untouched."""
    now = datetime.now(UTC)
    if host_wait(conn, host) is None:
        conn.execute(insert(host_waits), {"host": host, "free_at": free_at, "updated_at": now})
    else:
        conn.execute(
            update(host_waits).where(host_waits.c.host == host).values(free_at=free_at, updated_at=now)
        )


def hand_over(politeness: Politeness, host: str, wait: HostWait | None) -> None:
    """Let this process send nothing to ``host`` before the budget the last job left frees it."""
    if wait is None or wait.free_at is None:
        return
    seconds = (wait.free_at - datetime.now(UTC)).total_seconds()
    if seconds > 0:
        politeness.pacer.defer(host, politeness.pacer.clock() + seconds)
