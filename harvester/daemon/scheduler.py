"""The daemon's schedule: APScheduler 3 in the foreground, one job per enabled source.

Jobs are built from the config at start and again on reload (explicit ids,
``replace_existing``); their state (last run, high-water marks, checkpoints) lives in the
database, never in a job store.  A source never harvested, or overdue, runs at once.  The
harvests share a bounded thread pool; a heartbeat job runs in the scheduler's own thread, so
it only beats while the scheduler loop makes progress.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..config import Settings, SourceSettings
from ..cron import cron_trigger

__all__ = [
    "defer_source",
    "first_run",
    "new_scheduler",
    "next_due",
    "schedule_heartbeat",
    "schedule_source",
    "trigger_for",
    "unschedule_source",
]

_HEARTBEAT = "service:heartbeat"


def _job_id(name: str) -> str:
    return f"harvest:{name}"


def _seconds(duration: timedelta) -> int:
    return int(duration.total_seconds())


def trigger_for(source: SourceSettings, settings: Settings, *, jitter: bool = True) -> BaseTrigger:
    """The source's schedule: an interval ("6h") or a cron line, with the configured jitter."""
    spread = (_seconds(settings.scheduler.jitter) or None) if jitter else None
    if source.interval is None:
        return cron_trigger(source.schedule, spread)
    return IntervalTrigger(seconds=_seconds(source.interval), timezone=UTC, jitter=spread)


def first_run(trigger: BaseTrigger, last: datetime | None, now: datetime) -> datetime:
    """Now for a source never harvested or overdue; otherwise its next regular time after
    ``last``.  (The trigger is asked for the fire time that follows ``last`` as a previous
    fire time: asked with ``now=last``, an interval trigger answers from its own start.)"""
    if last is None:
        return now
    due: datetime | None = trigger.get_next_fire_time(last, now)
    return now if due is None or due <= now else due


def next_due(source: SourceSettings, settings: Settings, last: datetime | None, now: datetime) -> datetime:
    """When the daemon next harvests the source after a run at ``last`` (jitter left out)."""
    return first_run(trigger_for(source, settings, jitter=False), last, now)


def new_scheduler(settings: Settings) -> BlockingScheduler:
    """A foreground scheduler: harvests on a pool of ``workers`` threads, the heartbeat inline."""
    return BlockingScheduler(
        executors={"default": ThreadPoolExecutor(settings.scheduler.workers), "inline": DebugExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=UTC,
    )


def schedule_source(
    scheduler: BlockingScheduler,
    source: SourceSettings,
    settings: Settings,
    job: Callable[[str], None],
    last: datetime | None,
    now: datetime,
) -> None:
    """Add, or replace, the source's job: ``job(source.name)`` on the source's schedule."""
    trigger = trigger_for(source, settings)
    scheduler.add_job(
        job,
        trigger,
        args=(source.name,),
        id=_job_id(source.name),
        name=source.name,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=_seconds(settings.scheduler.misfire_grace_time),
        next_run_time=first_run(trigger, last, now),
    )


def defer_source(scheduler: BlockingScheduler, name: str, when: datetime) -> None:
    """Run the source's next harvest no earlier than ``when`` (its host asked us to wait)."""
    job = scheduler.get_job(_job_id(name))
    if job is not None and (job.next_run_time is None or job.next_run_time < when):
        job.modify(next_run_time=when)


def unschedule_source(scheduler: BlockingScheduler, name: str) -> None:
    """Remove the source's job; a harvest already running finishes."""
    with contextlib.suppress(JobLookupError):
        scheduler.remove_job(_job_id(name))


def schedule_heartbeat(scheduler: BlockingScheduler, seconds: float, beat: Callable[[], None]) -> None:
    """Run ``beat`` every ``seconds`` in the scheduler's own thread, starting at once."""
    scheduler.add_job(
        beat,
        IntervalTrigger(seconds=seconds, timezone=UTC),
        id=_HEARTBEAT,
        name="heartbeat",
        executor="inline",
        replace_existing=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
