"""The host lock of a one-off command (``harvest``, ``backfill``, ``mirror``) on a PostgreSQL store.

A manual run beside the fleet must be as polite as the fleet: it takes the same per-host lock
as the fleet's jobs.  The lock is procrastinate's own: the command registers as a worker,
defers a ``hold`` job with ``lock="host:HOST"`` into a queue of its own and fetches it, which
procrastinate allows only while no job of that lock is ``doing``.  While it works, the
command beats like a worker.  Killed, it stops beating: the fleet's scheduler, or a command
waiting for the host, closes the stalled ``hold`` and the host is free; a waiting command
closes it at once when its process, on this machine, is gone (as ``store.runs`` judges a
run).  The politeness budget is handed over as between jobs (``hostwait``).  On SQLite, or
with ``[fleet] enabled = false``, nothing is locked: there is no fleet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Settings, SourceSettings
from ..errors import StopRequested
from ..fetch.netguard import host_name
from ..fetch.politeness import Politeness
from ..store import Store
from .hostwait import hand_over, host_wait, set_free_at
from .registry import is_fleet
from .runner import require_queue

__all__ = ["host_lock"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5


class _Holder:
    """The lock's own thread and event loop, so the command's code stays synchronous."""

    def __init__(self, settings: Settings, host: str) -> None:
        self.settings = settings
        self.host = host
        self.acquired = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from .queue import new_app

        try:
            asyncio.run(self._hold(new_app(self.settings)))
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting command)
            self.error = exc
            self.acquired.set()

    async def _hold(self, app: Any) -> None:
        from procrastinate.jobs import Status

        from .queue import HOLD_TASK, ensure_queue_schema, host_lock_name
        from .scheduler import close_dead_holds

        async with app.open_async():
            await ensure_queue_schema(app)
            manager = app.job_manager
            worker_id = await manager.register_worker()
            try:
                queue = f"hold-{uuid.uuid4().hex}"
                lock = host_lock_name(self.host)
                task = app.configure_task(HOLD_TASK, lock=lock, queue=queue)
                me = {"holder": worker_id, "machine": socket.gethostname(), "pid": os.getpid()}
                job_id = await task.defer_async(**me)
                while await manager.fetch_job([queue], worker_id) is None:
                    if self.release.is_set():
                        await manager.cancel_job_by_id_async(job_id, delete_job=True)
                        return
                    await close_dead_holds(app, lock, self.settings.fleet.stalled_after)
                    await asyncio.sleep(_POLL_SECONDS)
                    await manager.update_heartbeat(worker_id)
                self.acquired.set()
                while not await asyncio.to_thread(self.release.wait, self.settings.fleet.heartbeat):
                    await manager.update_heartbeat(worker_id)
                await manager.finish_job_by_id_async(job_id, Status.SUCCEEDED, delete_job=True)
            finally:
                await manager.unregister_worker(worker_id)


@contextmanager
def host_lock(settings: Settings, source: SourceSettings, politeness: Politeness) -> Iterator[None]:
    """Hold the fleet's lock of ``source``'s host (PostgreSQL) while the body works on it."""
    if not is_fleet(settings):
        yield
        return
    require_queue()
    host = host_name(source.endpoint)
    holder = _Holder(settings, host)
    thread = threading.Thread(target=holder.run, name=f"host-lock-{host}", daemon=True)
    thread.start()
    if not holder.acquired.wait(1.0):
        log.info("%s: waiting for the fleet's job on this host to finish", host)
    while not holder.acquired.wait(_POLL_SECONDS):
        if politeness.stop.is_set():
            holder.release.set()
            thread.join()
            raise StopRequested(f"{host}: stopping while waiting for the host")
    if holder.error is not None:
        raise holder.error
    try:
        _hand_over(settings, host, politeness)
        yield
    finally:
        _leave(settings, host, politeness)
        holder.release.set()
        thread.join()


def _hand_over(settings: Settings, host: str, politeness: Politeness) -> None:
    store = Store(settings.database.url)
    try:
        with store.read() as conn:
            hand_over(politeness, host, host_wait(conn, host))
    finally:
        store.close()


def _leave(settings: Settings, host: str, politeness: Politeness) -> None:
    """Hand the budget on: the next job on the host waits one interval after us."""
    free_at = datetime.now(UTC) + timedelta(seconds=politeness.pacer.interval(host))
    store = Store(settings.database.url)
    try:
        with store.write() as conn:
            set_free_at(conn, host, free_at)
    finally:
        store.close()
