"""``harvester worker`` and, on a PostgreSQL store, ``harvester run``: procrastinate workers.

1. Start: the store is migrated, procrastinate's tables created if missing, the process
   registers as a procrastinate worker with ``[fleet] slots`` job slots (``--concurrency``).
2. Run: jobs are fetched as their host lock allows and run in threads; the worker beats
   every ``[fleet] heartbeat`` seconds.  ``harvester run`` also ticks the scheduler every
   ``[fleet] tick`` (``scheduler``): stalled jobs retried, due journals deferred, the TOML
   and the imports read again each time; with ``[service] listen`` it serves ``/healthz``,
   ``/readyz`` and the queue's ``/metrics`` (``metrics``).
3. SIGTERM/SIGINT: running harvests commit their page in hand and stop, the jobs end, the
   worker unregisters, exit 0.  A lost database connection ends the process with an error
   (exit 1) for systemd to restart it; its jobs are then stalled and retried elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from datetime import UTC, datetime

import procrastinate

from ..config import Settings, parse_duration
from ..errors import ConfigError
from ..http import Politeness
from ..store import Store
from .metrics import start_health
from .queue import FleetContext, ensure_queue_schema, new_app
from .registry import is_fleet, registry_settings
from .scheduler import defer_due, retry_stalled

__all__ = ["is_fleet", "run_worker"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5


def run_worker(settings: Settings, *, concurrency: int | None = None, schedule: bool) -> None:
    """Work jobs (and with ``schedule``, defer them) until SIGTERM/SIGINT."""
    if not is_fleet(settings):
        raise ConfigError(
            "harvester worker needs a PostgreSQL store (the job queue lives there); "
            f"{settings.database.url.split(':', 1)[0]} stores are worked by harvester run alone"
        )
    store = Store(settings.database.url)
    stop = threading.Event()
    fleet = FleetContext(settings, store, Politeness(settings.http, stop=stop), stop)
    health = start_health(lambda: fleet.settings, store, stop) if schedule else None
    try:
        asyncio.run(_serve(new_app(settings), fleet, concurrency or settings.fleet.slots, schedule))
    finally:
        if health is not None:
            health.close()
        store.close()
    log.info("worker stopped")


async def _serve(app: procrastinate.App, fleet: FleetContext, slots: int, schedule: bool) -> None:
    async with app.open_async():
        await ensure_queue_schema(app)
        settings = fleet.settings.fleet
        work = app.run_worker_async(
            name=f"{socket.gethostname()}:{os.getpid()}",
            concurrency=slots,
            install_signal_handlers=False,
            additional_context={"fleet": fleet},
            update_heartbeat_interval=settings.heartbeat,
            stalled_worker_timeout=settings.stalled_after,
            delete_jobs="successful",
            # A job blocked by its host's lock is not notified when the lock frees: poll.
            fetch_job_polling_interval=_POLL_SECONDS,
        )
        tasks = [asyncio.create_task(work, name="worker")]
        if schedule:
            tasks.append(asyncio.create_task(_schedule_forever(app, fleet), name="scheduler"))
        loop = asyncio.get_running_loop()

        def stop() -> None:
            fleet.stop.set()  # harvests commit their page in hand and end
            for task in tasks:
                task.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        log.info("worker started: %d slot(s)%s", slots, ", scheduling" if schedule else "")
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [task for task in done if not task.cancelled() and task.exception() is not None]
        if failed:
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise failed[0].exception()  # type: ignore[misc]


async def _schedule_forever(app: procrastinate.App, fleet: FleetContext) -> None:
    """Every tick: stalled jobs back in the queue, due journals deferred."""
    seconds = parse_duration(fleet.settings.fleet.tick).total_seconds()
    while True:
        settings = await asyncio.to_thread(registry_settings, fleet.settings)
        fleet.settings = settings
        retried = await retry_stalled(app, settings.fleet.stalled_after)
        deferred = await defer_due(app, settings, fleet.store, datetime.now(UTC))
        if retried or deferred:
            log.info("scheduler: %d due journal(s) queued, %d stalled job(s) handled", deferred, retried)
        await asyncio.sleep(seconds)
