"""The fleet's job queue: a procrastinate app on the store's own PostgreSQL database.

Two tasks.  ``harvest`` works one journal: its harvest (resumed from its checkpoint when an
earlier attempt was cut) and, with ``mirror_galleys``, its galley files; workers fetch it
from the ``harvest`` queue.  ``hold`` does nothing: it is a one-off command's job, in a queue
of its own that the command alone fetches, holding a host lock while the command works
(``hostlock``).

Every job that sends requests carries ``lock="host:HOST"`` (procrastinate starts no job
while another of the same lock is ``doing``): at most one job touches a host fleet-wide.  A
harvest job carries ``queueing_lock="journal:NAME"``: one journal is never queued twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import procrastinate
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from ..config import Settings, SourceSettings
from ..errors import HarvesterError
from ..fetch.netguard import host_name
from ..fetch.politeness import Politeness
from ..harvest.pipeline import harvest_source
from ..mirror.galleys import mirror_after_harvest
from ..redact import mask
from ..store import Store
from ..store.schema import runs, sources
from .hostwait import hand_over, host_wait, record_outcome
from .registry import effective_sources

__all__ = [
    "HARVEST_QUEUE",
    "HARVEST_TASK",
    "HOLD_TASK",
    "FleetContext",
    "conninfo",
    "ensure_queue_schema",
    "host_lock_name",
    "journal_lock_name",
    "new_app",
]

log = logging.getLogger(__name__)

HARVEST_TASK = "harvester.harvest"
HOLD_TASK = "harvester.hold"
#: The queue workers fetch from.  A one-off command's ``hold`` job goes to a queue of its own,
#: which no worker fetches: only that command may take it.
HARVEST_QUEUE = "harvest"
# Any fixed number: the advisory lock that serialises creating procrastinate's schema.
_SCHEMA_LOCK = 0x0A1_0009


def host_lock_name(host: str) -> str:
    return f"host:{host}"


def journal_lock_name(name: str) -> str:
    return f"journal:{name}"


def conninfo(database_url: str) -> str:
    """The store's SQLAlchemy URL as the libpq URI procrastinate's psycopg pool takes."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass
class FleetContext:
    """What a worker process hands its jobs: the config, the store, the pacing, the stop."""

    settings: Settings  # with the registry's sources, as of the latest scheduler tick
    store: Store
    politeness: Politeness
    stop: threading.Event
    config: Settings | None = None  # the file as read (default: ``settings``); SIGHUP reads it again

    @property
    def file_settings(self) -> Settings:
        """The settings of the config file, its ``[[sources]]`` being the TOML's alone."""
        return self.config or self.settings

    def source(self, name: str) -> SourceSettings | None:
        """The journal as the registry has it now (an edit or a disable since the job was queued counts)."""
        with self.store.read() as conn:
            rows = conn.execute(select(sources).where(sources.c.name == name)).all()
        return next((s for s in effective_sources(self.file_settings, rows) if s.name == name), None)


def _take_over(store: Store, name: str, now: datetime) -> None:
    """Runs of this journal still 'running' belong to a process that died: this job holds the
    journal's host lock, and every process harvesting on this store takes it first."""
    with store.write() as conn:
        source_id = conn.execute(select(sources.c.id).where(sources.c.name == name)).scalar()
        conn.execute(
            update(runs)
            .where(runs.c.source_id == source_id, runs.c.status == "running")
            .values(status="interrupted", finished_at=now, error="its worker died; resumed by another")
        )


def work_journal(fleet: FleetContext, name: str) -> str:
    """One journal's harvest (and mirror), within its host's wait and politeness budget."""
    source = fleet.source(name)
    if source is None or not source.enabled or fleet.stop.is_set():
        return f"{name}: skipped (disabled, removed or stopping)"
    host = host_name(source.endpoint)
    now = datetime.now(UTC)
    with fleet.store.read() as conn:
        wait = host_wait(conn, host)
    if wait is not None and wait.waiting(now):
        return f"{name}: {host} asked us to wait until {wait.wait_until:%H:%M:%S} UTC"
    hand_over(fleet.politeness, host, wait)
    _take_over(fleet.store, name, now)
    try:
        result = harvest_source(
            source, fleet.settings, fleet.store, politeness=fleet.politeness, stop=fleet.stop
        )
        mirror_after_harvest(
            source, fleet.settings, fleet.store, politeness=fleet.politeness, stop=fleet.stop
        )
    except HarvesterError as exc:
        _record(fleet, host, exc)
        raise
    _record(fleet, host, None)
    return f"{name}: {result.status}: {result.counts.new} new, {result.counts.changed} changed"


def _record(fleet: FleetContext, host: str, error: HarvesterError | None) -> None:
    interval = fleet.politeness.pacer.interval(host)
    now = datetime.now(UTC)
    with fleet.store.write() as conn:
        waited = record_outcome(
            conn, host, error, fleet=fleet.settings.fleet, free_at=now + timedelta(seconds=interval), now=now
        )
    if waited.wait_until is not None:
        log.warning(
            "%s: left alone until %s: %s", host, f"{waited.wait_until:%Y-%m-%d %H:%M:%S}", mask(str(error))
        )


def new_app(settings: Settings) -> procrastinate.App:
    """The procrastinate app on the store's database, with the fleet's two tasks."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings.database.url))
    )

    @app.task(name=HARVEST_TASK, pass_context=True)
    def harvest(context: procrastinate.JobContext, name: str) -> str:
        return work_journal(context.additional_context["fleet"], name)

    @app.task(name=HOLD_TASK)
    def hold(holder: int, machine: str = "", pid: int = 0) -> None:
        """A one-off command's host lock (``holder``: the command's procrastinate worker id, on
        ``machine`` as ``pid``); never fetched by a worker, closed when the command died."""

    return app


async def ensure_queue_schema(app: procrastinate.App) -> None:
    """Create procrastinate's tables on first use (once, whoever starts first)."""
    connector = app.connector
    async with connector.pool.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
        await conn.execute(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
        found = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
        if found[0] is None:
            await conn.execute(app.schema_manager.get_schema())
