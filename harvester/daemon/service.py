"""``harvester run`` as a well-behaved service.

1. Start: the store is migrated (by ``Store``), every enabled source gets a job, due at once
   when never harvested or overdue; the health listener starts when ``[service] listen`` is
   set; the scheduler starts and systemd hears ``READY=1``.
2. Run: harvests run on the worker pool; a heartbeat in the scheduler's own thread sends
   ``WATCHDOG=1`` and a ``STATUS=`` line, so systemd's watchdog fires if the loop stalls.
3. SIGHUP: the config is read again; sources added, removed or changed are rescheduled and
   the changes logged.  A broken config is logged and the running one kept.
4. SIGTERM/SIGINT: ``STOPPING=1``; each running harvest commits its page in hand and stops;
   the process exits 0.

Signal handlers only queue a command; a control thread carries it out, because a handler
interrupts the scheduler's thread at any point, even inside the scheduler's own locks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent

from ..config import Settings
from ..errors import HarvesterError, RetryLaterError, SourceBusyError
from ..fetch.politeness import Politeness
from ..harvest.pipeline import HarvestResult, harvest_source
from ..mirror.galleys import mirror_after_harvest
from ..redact import host_of
from ..signals import on_hangup, stop_requested
from ..store import Store
from ..store.monitor import last_successes, recent_runs, schema_current
from .health import HealthServer
from .metrics import Metrics
from .notify import Notifier
from .reload import diff_settings
from .scheduler import defer_source, new_scheduler, schedule_heartbeat, schedule_source, unschedule_source
from .status import ago

__all__ = ["Daemon", "run_daemon"]

log = logging.getLogger(__name__)

#: Heartbeat period without a systemd watchdog: how often STATUS and /healthz are refreshed.
BEAT_SECONDS = 10.0


class Daemon:
    """The scheduler, its harvests, and what it tells systemd and the health listener."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        load_settings: Callable[[], Settings] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._load_settings = load_settings or (lambda: settings)
        self.notifier = Notifier(environ)
        self.metrics = Metrics()
        self.stop = threading.Event()
        self.politeness = Politeness(settings.http, stop=self.stop)
        self.scheduler = new_scheduler(settings)
        watchdog = self.notifier.watchdog_seconds
        self.beat_seconds = min(watchdog / 2, BEAT_SECONDS) if watchdog else BEAT_SECONDS
        self._last_beat = time.monotonic()
        self._commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._running: set[str] = set()
        self._failed: set[str] = set()
        self._successes: dict[str, datetime] = {}
        self._status = ""

    # --- lifecycle ------------------------------------------------------------------------

    def run(self) -> None:
        """Run until SIGTERM/SIGINT; running harvests commit their page in hand before exit."""
        stopping = stop_requested(lambda: self._commands.put("stop"), stop=self.stop)
        with stopping as stop, on_hangup(self._request_reload):
            self._schedule_all()
            health = self._health_server()
            threading.Thread(target=self._control, name="control", daemon=True).start()
            self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
            try:
                if not stop.is_set():  # a signal during start-up: do not start at all
                    self.scheduler.start()
                self._wait_idle()
            finally:
                self._commands.put("exit")
                if health:
                    health.close()
        log.info("daemon stopped")

    def _request_reload(self) -> None:
        self._commands.put("reload")

    def _started(self, _event: SchedulerEvent) -> None:
        log.info(
            "daemon started: %d enabled source(s), %d worker(s)",
            self._enabled_count(),
            self.settings.scheduler.workers,
        )
        self._ready()
        if self.stop.is_set():  # stopped between the check above and the scheduler's start
            self._commands.put("stop")

    def _control(self) -> None:
        """Carry out what the signal handlers asked for, one command at a time."""
        while (command := self._commands.get()) != "exit":
            try:
                if command == "stop":
                    self._shutdown()
                elif command == "reload":
                    self._reload()
            except Exception:
                log.exception("%s failed", command)

    def _shutdown(self) -> None:
        self.notifier.stopping()
        if self.scheduler.running:
            self.scheduler.pause()  # no new submissions while the executors shut down
            self.scheduler.shutdown(wait=False)

    def _wait_idle(self) -> None:
        with self._lock:
            if self._running:
                log.info("waiting for %d harvest(s) to commit their page in hand", len(self._running))
            self._lock.wait_for(lambda: not self._running)

    def _health_server(self) -> HealthServer | None:
        listen = self.settings.service.listen
        if listen is None:
            return None
        server = HealthServer(listen, alive=self.alive, ready=self.ready, metrics=self.metrics.exposition)
        server.start()
        return server

    # --- the schedule ---------------------------------------------------------------------

    def _enabled_count(self) -> int:
        return sum(source.enabled for source in self.settings.sources)

    def _schedule_all(self) -> None:
        with self.store.read() as conn:
            self._successes = last_successes(conn)
            latest = recent_runs(conn, 1)
        self._failed = {name for name, runs in latest.items() if runs[0].status == "failed"}
        now = datetime.now(UTC) + timedelta(seconds=1)
        for source in self.settings.sources:
            if source.enabled:
                last = self._successes.get(source.name)
                schedule_source(self.scheduler, source, self.settings, self._harvest, last, now)
                if last:
                    self.metrics.succeeded(source.strategy, last)
        self.metrics.set_sources(self._enabled_count())
        schedule_heartbeat(self.scheduler, self.beat_seconds, self._beat)

    def _reload(self) -> None:
        if self.stop.is_set():
            return
        self.notifier.reloading()
        try:
            new = self._load_settings()
        except HarvesterError as exc:
            reason = "; ".join(line.strip() for line in str(exc).splitlines())
            log.error("config reload failed, keeping the running config: %s", reason)  # noqa: TRY400
        else:
            self._apply(new)
        self._ready()

    def _apply(self, new: Settings) -> None:
        change = diff_settings(self.settings, new)
        self.settings = new
        now = datetime.now(UTC) + timedelta(seconds=1)
        for name in change.removed:
            unschedule_source(self.scheduler, name)
        for name in (*change.added, *change.changed):
            source = new.source(name)
            if source is not None:
                last = self._successes.get(name)
                schedule_source(self.scheduler, source, new, self._harvest, last, now)
        self.metrics.set_sources(self._enabled_count())
        changes = {"added": change.added, "removed": change.removed, "changed": change.changed}
        log.info("config reloaded: %s", change.summary(), extra={"changes": changes})
        if change.restart_needed:
            log.warning("restart the daemon to apply: %s", ", ".join(change.restart_needed))

    # --- harvests -------------------------------------------------------------------------

    def _harvest(self, name: str) -> None:
        """One scheduled run of a source, with the settings in force when it starts."""
        settings = self.settings
        source = settings.source(name)
        if source is None or not source.enabled or self.stop.is_set():
            return
        results: list[HarvestResult] = []
        skipped = False
        self._begin(name)
        started = time.monotonic()
        try:
            harvest_source(
                source,
                settings,
                self.store,
                politeness=self.politeness,
                stop=self.stop,
                on_finish=results.append,
            )
        except SourceBusyError as exc:  # e.g. a backfill of the same source: not a failure
            skipped = True
            log.warning("%s: skipped this time: %s", name, exc, extra={"source": name})
        except RetryLaterError as exc:  # the host asked us to wait: come back then, not before
            defer_source(self.scheduler, name, exc.retry_at)
            host = host_of(source.endpoint)
            log.error(  # noqa: TRY400
                "%s (%s): harvest failed: %s; next harvest at %s",
                name,
                host,
                exc,
                f"{exc.retry_at:%Y-%m-%d %H:%M:%S} UTC",
                extra={"source": name, "host": host},
            )
        except HarvesterError as exc:
            host = host_of(source.endpoint)
            log.error("%s (%s): harvest failed: %s", name, host, exc, extra={"source": name, "host": host})  # noqa: TRY400
        else:
            mirror_after_harvest(source, settings, self.store, politeness=self.politeness, stop=self.stop)
        finally:
            result = results[0] if results else None
            self._end(name, source.strategy, result, time.monotonic() - started, skipped=skipped)

    def _begin(self, name: str) -> None:
        with self._lock:
            self._running.add(name)
        self.metrics.harvest_started()
        self._publish_status()

    def _end(
        self, name: str, strategy: str, result: HarvestResult | None, seconds: float, *, skipped: bool
    ) -> None:
        """A harvest ended; ``result`` is None when it failed (or was skipped) before its run
        was recorded."""
        now = datetime.now(UTC)
        ok = result is not None and result.status == "ok"
        failed = not skipped and (result is None or result.status == "failed")
        with self._lock:
            self._running.discard(name)
            if ok:
                self._successes[name] = now
                self._failed.discard(name)
            elif failed:
                self._failed.add(name)
            self._lock.notify_all()
        if ok:
            self.metrics.succeeded(strategy, now)
        if skipped:
            self.metrics.harvest_skipped()
        else:
            self.metrics.harvest_ended(result, seconds)
        self._publish_status()

    # --- what the daemon tells ------------------------------------------------------------

    def _beat(self) -> None:
        """In the scheduler's thread: proof that its loop makes progress."""
        self._last_beat = time.monotonic()
        self.notifier.watchdog()
        self._publish_status()

    def status_text(self) -> str:
        """``3 sources, 1 harvesting, 0 failing, last success 2 min ago``."""
        enabled = {source.name for source in self.settings.sources if source.enabled}
        with self._lock:
            running = len(self._running)
            failing = len(self._failed & enabled)
            newest = max((self._successes[name] for name in enabled & self._successes.keys()), default=None)
        last = ago(datetime.now(UTC) - newest) if newest else "never"
        sources = f"{len(enabled)} source{'' if len(enabled) == 1 else 's'}"
        return f"{sources}, {running} harvesting, {failing} failing, last success {last}"

    def _ready(self) -> None:
        text = self.status_text()
        with self._lock:
            self._status = text
        self.notifier.ready(text)

    def _publish_status(self) -> None:
        text = self.status_text()
        with self._lock:
            changed, self._status = text != self._status, text
        if changed:
            self.notifier.status(text)

    def alive(self) -> tuple[bool, str]:
        """``/healthz``: the scheduler loop has beaten lately."""
        if self.stop.is_set():
            return False, "stopping"
        silent = time.monotonic() - self._last_beat
        if silent > max(3 * self.beat_seconds, 30.0):
            return False, f"scheduler loop silent for {silent:.0f}s"
        return True, "ok: " + self.status_text()

    def ready(self) -> tuple[bool, str]:
        """``/readyz``: the database answers and has the newest schema."""
        try:
            with self.store.read() as conn:
                current = schema_current(conn)
        except HarvesterError as exc:
            return False, f"database unreachable: {exc}"
        return (True, "ok: database ready") if current else (False, "database schema is not the newest")


def run_daemon(settings: Settings, store: Store, load_settings: Callable[[], Settings] | None = None) -> None:
    """Run the daemon in the foreground until SIGTERM/SIGINT (``harvester run``);
    ``load_settings`` reads the config again on SIGHUP."""
    Daemon(settings, store, load_settings).run()
