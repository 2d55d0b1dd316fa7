"""The worker's event loop: procrastinate's worker, the scheduler's tick, signals, systemd.

Split from ``runner`` so that commands on SQLite, or on a PostgreSQL store without the
fleet, never import procrastinate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import procrastinate
from procrastinate import exceptions as procrastinate_errors

from ..config import Settings
from ..daemon.notify import Notifier
from ..errors import HarvesterError
from ..fetch.politeness import Politeness
from ..store import Store
from .metrics import start_health
from .queue import HARVEST_QUEUE, FleetContext, ensure_queue_schema, new_app
from .registry import registry_settings
from .scheduler import defer_due, prune_failed, retry_stalled

__all__ = ["serve"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5
_PRUNE_SECONDS = 3600.0  # how often the scheduler deletes old failed jobs


def serve(
    settings: Settings,
    *,
    concurrency: int | None,
    schedule: bool,
    reload: Callable[[], Settings] | None,
) -> None:
    """Work jobs (and with ``schedule``, defer them) until SIGTERM/SIGINT."""
    store = Store(settings.database.url)
    stop = threading.Event()
    fleet = FleetContext(settings, store, Politeness(settings.http, stop=stop), stop, config=settings)
    health = start_health(lambda: fleet.settings, store, stop) if schedule else None
    try:
        asyncio.run(_serve(new_app(settings), fleet, concurrency or settings.fleet.slots, schedule, reload))
    finally:
        if health is not None:
            health.close()
        store.close()
    log.info("worker stopped")


async def _serve(
    app: procrastinate.App,
    fleet: FleetContext,
    slots: int,
    schedule: bool,
    reload: Callable[[], Settings] | None,
) -> None:
    async with app.open_async():
        await ensure_queue_schema(app)
        settings = fleet.settings.fleet
        work = app.run_worker_async(
            name=f"{socket.gethostname()}:{os.getpid()}",
            queues=[HARVEST_QUEUE],
            concurrency=slots,
            install_signal_handlers=False,
            additional_context={"fleet": fleet},
            update_heartbeat_interval=settings.heartbeat,
            stalled_worker_timeout=settings.stalled_after,
            delete_jobs="successful",
            # A job blocked by its host's lock is not notified when the lock frees: poll.
            fetch_job_polling_interval=_POLL_SECONDS,
        )
        notifier = Notifier()
        tasks = [asyncio.create_task(work, name="worker")]
        if schedule:
            tasks.append(asyncio.create_task(_schedule_forever(app, fleet), name="scheduler"))
        if notifier.watchdog_seconds:
            tasks.append(asyncio.create_task(_watchdog(notifier), name="watchdog"))
        loop = asyncio.get_running_loop()

        def stop() -> None:
            notifier.stopping()
            fleet.stop.set()  # harvests commit their page in hand and end
            for task in tasks:
                task.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        loop.add_signal_handler(signal.SIGHUP, _reloader(fleet, reload))
        role = "fleet scheduler and worker" if schedule else "fleet worker"
        notifier.ready(f"{role}, {slots} slot(s)")
        log.info("%s started: %d slot(s)", role, slots)
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [task for task in done if not task.cancelled() and task.exception() is not None]
        if failed:
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise failed[0].exception()  # type: ignore[misc]


def _reloader(fleet: FleetContext, reload: Callable[[], Settings] | None) -> Callable[[], None]:
    """SIGHUP: the config file read again; its sources count from the next tick.  A broken
    file is logged and the running config kept, as by the daemon."""

    def read_again() -> None:
        if reload is None:
            return
        try:
            fleet.config = reload()
        except HarvesterError as exc:
            log.error("config not reloaded, the running one kept: %s", exc)  # noqa: TRY400
            return
        log.info("config reloaded: %d source(s) in the file", len(fleet.config.sources))

    return read_again


async def _watchdog(notifier: Notifier) -> None:
    """``WATCHDOG=1`` from the event loop itself: it beats only while the loop runs."""
    seconds = (notifier.watchdog_seconds or 60.0) / 2
    while True:
        notifier.watchdog()
        await asyncio.sleep(seconds)


async def _schedule_forever(app: procrastinate.App, fleet: FleetContext) -> None:
    """Every tick: stalled jobs back in the queue, due journals deferred; every hour, old
    failed jobs deleted.  A tick that meets a database error (a cut connection) is logged and
    the next one tries again: what it did not queue is still due then."""
    seconds = fleet.settings.fleet.tick.total_seconds()
    pruned_at = -_PRUNE_SECONDS
    while True:
        try:
            await _tick(app, fleet)
            if time.monotonic() - pruned_at >= _PRUNE_SECONDS:
                await prune_failed(app, fleet.settings.fleet.keep_failed)
                pruned_at = time.monotonic()
        except (HarvesterError, procrastinate_errors.ConnectorException) as exc:
            log.warning(
                "scheduler tick failed, trying again in %gs: %s", seconds, str(exc).strip() or repr(exc)
            )
        await asyncio.sleep(seconds)


async def _tick(app: procrastinate.App, fleet: FleetContext) -> None:
    settings = await asyncio.to_thread(registry_settings, fleet.file_settings)
    fleet.settings = settings
    retried = await retry_stalled(app, settings.fleet.stalled_after)
    deferred = await defer_due(app, settings, fleet.store, datetime.now(UTC))
    if retried or deferred:
        log.info("scheduler: %d due journal(s) queued, %d stalled job(s) handled", deferred, retried)
