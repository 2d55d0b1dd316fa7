"""``harvester worker`` and, on a PostgreSQL store, ``harvester run``: procrastinate workers.

1. Start: the store is migrated, procrastinate's tables created if missing, the process
   registers as a procrastinate worker with ``[fleet] slots`` job slots (``--concurrency``).
2. Run: jobs are fetched as their host lock allows and run in threads; the worker beats
   every ``[fleet] heartbeat`` seconds.  ``harvester run`` also ticks the scheduler every
   ``[fleet] tick`` (``scheduler``): stalled jobs retried, due journals deferred, the TOML
   and the imports read again each time; with ``[service] listen`` it serves ``/healthz``,
   ``/readyz`` and the queue's ``/metrics`` (``metrics``).
   Under systemd: ``READY=1`` once working, ``WATCHDOG=1`` from the event loop (the daemon's
   unit, ``Type=notify`` with a watchdog, runs ``harvester run`` either way), ``STOPPING=1``.
3. SIGTERM/SIGINT: running harvests commit their page in hand and stop, the jobs end, the
   worker unregisters, exit 0.  Cut database connections are replaced by the pools
   (procrastinate's and the store's); an error that gets through ends the process (exit 1)
   for systemd to restart it, and its jobs are then stalled and retried elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..errors import ConfigError
from .registry import is_fleet, is_postgres

__all__ = ["is_fleet", "require_queue", "run_worker"]


def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    schedule: bool,
    reload: Callable[[], Settings] | None = None,
) -> None:
    """Work jobs (and with ``schedule``, defer them) until SIGTERM/SIGINT; ``settings`` are the
    config file's, and SIGHUP reads them again with ``reload`` (the sources at the next tick)."""
    if not is_postgres(settings):
        raise ConfigError(
            "harvester worker needs a PostgreSQL store (the job queue lives there); "
            f"{settings.database.url.split(':', 1)[0]} stores are worked by harvester run alone"
        )
    if not is_fleet(settings):
        raise ConfigError(f"{settings.path or 'the config'}: [fleet] enabled = false: no job queue to work")
    require_queue()
    from .loop import serve

    serve(settings, concurrency=concurrency, schedule=schedule, reload=reload)


def require_queue() -> None:
    """procrastinate importable, or one clear error: it comes with the ``postgres`` extra."""
    try:
        import procrastinate  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"the fleet's job queue needs the postgres extra: pip install 'ojs-harvester[postgres]' ({exc});"
            " or set [fleet] enabled = false"
        ) from None
