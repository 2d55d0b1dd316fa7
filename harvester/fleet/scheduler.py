"""The fleet's scheduler tick: stalled jobs retried, then due journals deferred.

Run by ``harvester run`` on a PostgreSQL store every ``[fleet] tick``; several schedulers
may run at once.  A journal is due as the daemon reckons it (``harvester.daemon.scheduler.next_due``
after its last run).  It is deferred unless its host is waiting (``hostwait``) or a job of it
is already queued or running; two schedulers racing on the same journal meet its
``queueing_lock`` and the second defer is dropped.

Stalled jobs (their worker sent no heartbeat for ``stalled_after`` seconds: killed, frozen,
cut from the database) are put back in the queue, and the retry resumes from the journal's
checkpoint.  procrastinate 3.10 keeps such a job findable when its dead worker's row is
pruned (the job's ``worker_id`` is set NULL: the case of procrastinate issue 1518).  A
stalled job whose journal was queued again meanwhile cannot go back to ``todo`` (the
queueing lock's unique index, procrastinate issues 1446 and 1543): it is closed as failed
instead, and the queued one resumes the same checkpoint.  A stalled ``hold`` (a one-off
command that died holding a host) is closed, which frees the host, and so is a ``hold`` still
waiting for its host whose command died.

Jobs that succeeded are deleted as they end; failed ones (and cancelled or aborted ones) are
kept for ``status`` and for reading what went wrong, for ``[fleet] keep_failed``, then
deleted (``prune_failed``): a fleet of thousands of journals, some of whose hosts are down on
any day, would otherwise add rows to ``procrastinate_jobs`` without end.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import datetime, timedelta

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Status
from sqlalchemy import Connection, text

from ..config import Settings
from ..daemon.scheduler import next_due
from ..fetch.netguard import host_name
from ..signals import process_alive
from ..store import Store
from ..store.monitor import recent_runs
from .hostwait import waiting_hosts
from .queue import HARVEST_QUEUE, HARVEST_TASK, HOLD_TASK, host_lock_name, journal_lock_name

__all__ = ["active_journals", "close_dead_holds", "defer_due", "due_sources", "prune_failed", "retry_stalled"]

log = logging.getLogger(__name__)


def active_journals(conn: Connection) -> set[str]:
    """Journals with a harvest job queued or running (none before the queue's tables exist)."""
    if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
        return set()
    rows = conn.execute(
        text(
            "SELECT args->>'name' FROM procrastinate_jobs "
            "WHERE task_name = :task AND status IN ('todo', 'doing')"
        ),
        {"task": HARVEST_TASK},
    )
    return {name for (name,) in rows}


def due_sources(settings: Settings, store: Store, now: datetime) -> list[str]:
    """Enabled journals due now, whose host is not waiting and with no job queued or running;
    the most overdue first."""
    with store.read() as conn:
        history = recent_runs(conn, 1, now)
        waiting = waiting_hosts(conn, now)
        active = active_journals(conn)
    due = []
    for source in settings.sources:
        if not source.enabled or source.name in active or host_name(source.endpoint) in waiting:
            continue
        runs = history.get(source.name)
        when = next_due(source, settings, runs[0].started_at if runs else None, now)
        if when <= now:
            due.append((when, source.name))
    return [name for _, name in sorted(due)]


async def defer_due(app: procrastinate.App, settings: Settings, store: Store, now: datetime) -> int:
    """Defer every due journal once; how many were deferred."""
    by_name = {source.name: source for source in settings.sources}
    deferred = 0
    for name in await asyncio.to_thread(due_sources, settings, store, now):
        host = host_name(by_name[name].endpoint)
        task = app.configure_task(
            HARVEST_TASK,
            queue=HARVEST_QUEUE,
            lock=host_lock_name(host),
            queueing_lock=journal_lock_name(name),
        )
        try:
            await task.defer_async(name=name)
        except procrastinate_errors.AlreadyEnqueued:  # another scheduler was first
            continue
        deferred += 1
    return deferred


# A one-off command that died before it got its host: its ``hold`` job, never fetched, would
# stay ahead of every later job of that host (procrastinate hands a lock out in job order).
_ORPHAN_HOLDS = f"""
    SELECT j.id FROM procrastinate_jobs j
    WHERE j.task_name = '{HOLD_TASK}' AND j.status = 'todo' AND NOT EXISTS (
        SELECT 1 FROM procrastinate_workers w
        WHERE w.id = (j.args->>'holder')::bigint
          AND w.last_heartbeat > now() - %(seconds)s * interval '1 second')
"""


_HOLDS_OF_LOCK = f"""
    SELECT id, status, args FROM procrastinate_jobs
    WHERE task_name = '{HOLD_TASK}' AND lock = %(lock)s AND status IN ('todo', 'doing')
"""


async def close_dead_holds(app: procrastinate.App, lock: str, stalled_after: float) -> int:
    """Close the holds of ``lock`` whose command died: by heartbeat, or at once when it ran on
    this machine and its process is gone; how many."""
    manager = app.job_manager
    stalled = {job.id for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)}
    orphans = {
        row["id"] for row in await app.connector.execute_query_all_async(_ORPHAN_HOLDS, seconds=stalled_after)
    }
    closed = 0
    for row in await app.connector.execute_query_all_async(_HOLDS_OF_LOCK, lock=lock):
        args = row["args"]
        gone = args.get("machine") == socket.gethostname() and not process_alive(int(args.get("pid") or 0))
        if not (gone or row["id"] in stalled or row["id"] in orphans):
            continue
        if row["status"] == "doing":
            await manager.finish_job_by_id_async(row["id"], Status.FAILED, delete_job=False)
        else:
            await manager.cancel_job_by_id_async(row["id"], delete_job=True)
        closed += 1
    return closed


async def retry_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put the jobs of dead workers back in the queue (or close them); how many."""
    manager = app.job_manager
    handled = 0
    for row in await app.connector.execute_query_all_async(_ORPHAN_HOLDS, seconds=stalled_after):
        await manager.cancel_job_by_id_async(row["id"], delete_job=True)
        handled += 1
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        job_id = int(job.id or 0)
        if job.task_name == HOLD_TASK:
            await manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
        else:
            try:
                await manager.retry_job(job)
                log.warning("job %s (%s) of a dead worker: queued again", job.id, job.task_kwargs.get("name"))
            except procrastinate_errors.UniqueViolation:
                await manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
                log.warning("job %s of a dead worker closed: its journal is queued again", job.id)
        handled += 1
    return handled


async def prune_failed(app: procrastinate.App, keep: timedelta) -> None:
    """Delete the jobs of every queue that ended failed, cancelled or aborted more than
    ``keep`` ago (whole hours: procrastinate's own ``delete_old_jobs``, which dates a job by
    its last event)."""
    await app.job_manager.delete_old_jobs(
        nb_hours=int(keep.total_seconds() // 3600),
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
