"""The daemon: APScheduler 3 in the foreground, one job per enabled source.

Jobs are rebuilt from the config at start (explicit ids, ``replace_existing``); their state
(last run, high-water marks, checkpoints) lives in the database, never in a job store.  A
source never harvested, or overdue, runs at once.  SIGTERM/SIGINT let each running harvest
finish and commit its page in hand, then the process exits 0.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from .config import Settings, SourceSettings, parse_duration
from .errors import HarvesterError
from .http import Politeness
from .pipeline import harvest_source
from .signals import stop_requested
from .store import Store
from .store.runs import as_utc
from .store.schema import runs, sources

__all__ = ["build_scheduler", "run_daemon", "trigger_for"]

log = logging.getLogger(__name__)


def trigger_for(source: SourceSettings, settings: Settings) -> BaseTrigger:
    """The source's schedule: an interval ("6h") or a cron line, with the configured jitter."""
    jitter = int(parse_duration(settings.scheduler.jitter).total_seconds()) or None
    try:
        interval = parse_duration(source.schedule)
    except ValueError:
        return CronTrigger.from_crontab(source.schedule, timezone=UTC, jitter=jitter)
    return IntervalTrigger(seconds=int(interval.total_seconds()), timezone=UTC, jitter=jitter)


def _last_success(store: Store) -> dict[str, datetime]:
    with store.read() as conn:
        rows = conn.execute(
            select(sources.c.name, func.max(runs.c.finished_at))
            .join(runs, runs.c.source_id == sources.c.id)
            .where(runs.c.status == "ok")
            .group_by(sources.c.name)
        )
        return {name: as_utc(at) for name, at in rows if at is not None}


def _first_run(trigger: BaseTrigger, last: datetime | None, now: datetime) -> datetime:
    """Now for a source never harvested or overdue; otherwise its next regular time after
    ``last``.  (The trigger is asked for the fire time that follows ``last`` as a previous
    fire time: asked with ``now=last``, an interval trigger answers from its own start.)"""
    if last is None:
        return now
    due: datetime | None = trigger.get_next_fire_time(last, now)
    return now if due is None or due <= now else due


def _job(
    source: SourceSettings, settings: Settings, store: Store, politeness: Politeness, stop: threading.Event
) -> None:
    try:
        harvest_source(source, settings, store, politeness=politeness, stop=stop)
    except HarvesterError as exc:
        # The run is recorded as failed in the store; the traceback adds nothing here.
        log.error("%s: harvest failed: %s", source.name, exc)  # noqa: TRY400


def build_scheduler(settings: Settings, store: Store, stop: threading.Event) -> BlockingScheduler:
    """A scheduler with one job per enabled source, each first due as ``_first_run`` says."""
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(settings.scheduler.workers)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(parse_duration(settings.scheduler.misfire_grace_time).total_seconds()),
        },
        timezone=UTC,
    )
    politeness = Politeness(settings.http)
    last = _last_success(store)
    now = datetime.now(UTC) + timedelta(seconds=1)
    for source in settings.sources:
        if not source.enabled:
            continue
        trigger = trigger_for(source, settings)
        scheduler.add_job(
            _job,
            trigger,
            args=(source, settings, store, politeness, stop),
            id=f"harvest:{source.name}",
            name=source.name,
            replace_existing=True,
            next_run_time=_first_run(trigger, last.get(source.name), now),
        )
    return scheduler


def run_daemon(settings: Settings, store: Store) -> None:
    """Run until SIGTERM/SIGINT; running harvests commit their page in hand before exit."""
    scheduler: BlockingScheduler | None = None

    def shutdown() -> None:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    with stop_requested(shutdown) as stop:
        scheduler = build_scheduler(settings, store, stop)
        enabled = sum(source.enabled for source in settings.sources)
        log.info("daemon started: %d enabled source(s), %d worker(s)", enabled, settings.scheduler.workers)
        if not stop.is_set():  # a signal during start-up: do not start at all
            scheduler.start()
    # shutdown(wait=False) returned at once; the executor's threads are joined at interpreter
    # exit, after each running harvest has committed its page and stopped.
    log.info("daemon stopped")
