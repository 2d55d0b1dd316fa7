"""The fleet on PostgreSQL: ``harvester run`` and ``harvester worker`` processes on one queue.

Loopback hosts with several journals each (``fleet_hosts``), imported from a beacon-style CSV,
harvested by a scheduler and two workers, one of them killed with SIGKILL mid-job.  What must
hold: every article stored once, no two runs of a journal at once, no host ever receiving two
requests closer than its budget, and the killed worker's job retried to completion.  Then the
stuck-lock cases of procrastinate's issues 1518 and 1446/1543, host waits, and a one-off
harvest waiting for the fleet's host lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from procrastinate.jobs import Status
from sqlalchemy import text

from harvester.config import FleetSettings, load_settings
from harvester.errors import NetworkError, RetryLaterError
from harvester.fetch.client import Politeness
from harvester.fleet.hostlock import host_lock
from harvester.fleet.hostwait import host_wait, record_outcome
from harvester.fleet.queue import FleetContext, ensure_queue_schema, new_app, work_journal
from harvester.fleet.queue_status import queue_lines
from harvester.fleet.registry import registry_settings
from harvester.fleet.scheduler import due_sources, prune_failed, retry_stalled
from harvester.store import Store
from tests.site.fleet_hosts import LoopbackHost, beacon_csv, loopback_hosts

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]

BUDGET = 0.5  # seconds between two requests to one host: requests_per_second = 2
# The hosts time a request when their handler thread reads it, in this process, whose threads share
# the GIL with the other hosts' and the test's: a first request on a new connection can be read tens
# of milliseconds after it was sent (up to 0.1 s seen on a loaded machine).  Two jobs on one host, or
# a missing hand-over between processes, give gaps near zero, far below this.
SLACK = 0.15
FLEET_CONFIG = f"""
[http]
requests_per_second = {1 / BUDGET:g}
backoff = 0.01
max_retries = 1

[fleet]
tick = "1s"
heartbeat = 0.5
stalled_after = 2
slots = 2
"""


@pytest.fixture
def hosts() -> Iterator[list[LoopbackHost]]:
    started = loopback_hosts(3, journals=3, articles=8, page_size=3)
    yield started
    for site in started:
        site.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(tmp_path: Path, extra: str = "") -> Path:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "harvester.toml"
    path.write_text(FLEET_CONFIG + extra, encoding="utf-8")
    return path


def _harvester(*args: str, config: Path, db: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _start(command: str, config: Path, db: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, "-v", command],
            stdout=out,
            stderr=out,
        )


def _scalar(store: Store, sql: str) -> object:
    with store.read() as conn:
        return conn.execute(text(sql)).scalar()


def _wait_for(check: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            lines = [line for line in log.read_text().splitlines() if " DEBUG " not in line]
            raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(lines[-60:]))
        time.sleep(0.5)


_HARVESTED = "SELECT count(DISTINCT source_id) FROM runs WHERE status = 'ok'"


@pytest.mark.slow
def test_a_fleet_harvests_every_journal_once_politely_and_survives_a_killed_worker(
    tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]
) -> None:
    port = _free_port()
    config = _config(tmp_path)
    beacon = tmp_path / "beacon.csv"
    beacon.write_text(beacon_csv(hosts), encoding="utf-8")
    imported = _harvester("sources", "import", "--strategy", "oai", str(beacon), config=config, db=db_url)
    assert imported.stdout.strip().endswith("9 added, 0 updated, 0 unchanged, 0 rejected"), imported.stderr
    log = tmp_path / "fleet.log"
    listening = _config(tmp_path / "run", f'\n[service]\nlisten = "127.0.0.1:{port}"\n')
    processes = {
        command: _start(command.split()[0], listening if command == "run" else config, db_url, log)
        for command in ("run", "worker 1", "worker 2")
    }
    workers = f"{processes['worker 1'].pid}, {processes['worker 2'].pid}"
    running = f"SELECT min(pid) FROM runs WHERE status = 'running' AND pid IN ({workers})"
    try:
        _wait_for(lambda: _scalar(store, running) is not None, 60, "a worker to start a journal", log)
        victim = next(p for p in processes.values() if p.pid == _scalar(store, running))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        _wait_for(lambda: _scalar(store, _HARVESTED) == 9, 90, "every journal harvested", log)
        status = _harvester("status", config=config, db=db_url)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            metrics = response.read().decode()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                assert process.wait(30) == 0, log.read_text()

    expected = sum(len(site.articles()) for site in hosts)
    assert _scalar(store, "SELECT count(*) FROM articles") == expected
    assert _scalar(store, "SELECT count(DISTINCT (source_id, oai_identifier)) FROM articles") == expected
    killed = _scalar(store, f"SELECT count(*) FROM runs WHERE pid = {victim.pid} AND status = 'interrupted'")
    assert killed >= 1  # the killed jobs' runs were taken over (it had one or two), their journals finished
    with store.read() as conn:
        runs = conn.execute(
            text("SELECT source_id, started_at, finished_at FROM runs ORDER BY started_at")
        ).all()
    for first in runs:
        for second in runs:
            if first is not second and first.source_id == second.source_id:
                assert first.finished_at <= second.started_at or second.finished_at <= first.started_at
    for site in hosts:
        assert site.min_spacing() >= BUDGET - SLACK, f"{site.address}: {site.closest()}"
    assert "queue: 0 due, 0 queued, 0 running" in status.stdout, status.stdout
    imported = _harvester("sources", "--origin", "import", config=config, db=db_url).stdout.splitlines()
    assert len(imported) == 9  # the scheduler's ticks leave imported journals imported
    for line in ('ojs_harvester_queue_jobs{state="queued"} 0.0', 'ojs_harvester_queue_jobs{state="due"} 0.0'):
        assert line in metrics
    assert "ojs_harvester_sources 9.0" in metrics and "ojs_harvester_hosts_waiting 0.0" in metrics


def _settings(tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]) -> FleetContext:
    config = _config(tmp_path)
    beacon = tmp_path / "beacon.csv"
    beacon.write_text(beacon_csv(hosts[:1]), encoding="utf-8")
    assert (
        _harvester("sources", "import", "--no-check", str(beacon), config=config, db=db_url).returncode == 0
    )
    settings = registry_settings(load_settings(str(config), database_url=db_url))
    stop = threading.Event()
    return FleetContext(settings, store, Politeness(settings.http, stop=stop), stop)


@pytest.mark.slow
def test_a_host_that_asks_to_wait_is_left_alone_and_shown_in_status(
    tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]
) -> None:
    fleet = _settings(tmp_path, db_url, store, hosts)
    first, second = fleet.settings.sources[0].name, fleet.settings.sources[1].name
    hosts[0].fail_next(2, status=503, retry_after="7200")  # beyond max_retry_after: not waited in place
    with pytest.raises(RetryLaterError):
        work_journal(fleet, first)
    now = datetime.now(UTC)
    with fleet.store.read() as conn:
        wait = host_wait(conn, "127.0.0.2")
    assert wait is not None and wait.waiting(now) and wait.failures == 1
    assert timedelta(minutes=119) < wait.wait_until - now <= timedelta(hours=2)  # type: ignore[operator]
    assert due_sources(fleet.settings, fleet.store, now) == []  # no journal of that host is queued
    requests = len(hosts[0].arrivals)
    assert "asked us to wait" in work_journal(fleet, second)  # a job already queued sends nothing
    assert len(hosts[0].arrivals) == requests
    asyncio.run(_open_queue(fleet))
    lines = queue_lines(fleet.settings, now)
    assert lines[0] == "queue: 0 due, 0 queued, 0 running, 0 failed"
    assert lines[1].startswith("host 127.0.0.2: waiting until ") and "1 failure(s) in a row" in lines[1]


async def _open_queue(fleet: FleetContext) -> None:
    app = new_app(fleet.settings)
    async with app.open_async():
        await ensure_queue_schema(app)


def test_repeated_failures_back_off_exponentially_and_a_success_clears_the_wait(store: Store) -> None:
    fleet = FleetSettings(backoff="5m", max_backoff="30m")
    now = datetime.now(UTC)
    waits = []
    for _ in range(4):
        with store.write() as conn:
            waits.append(record_outcome(conn, "h", NetworkError("down"), fleet=fleet, free_at=now, now=now))
    assert [w.wait_until - now for w in waits] == [  # type: ignore[operator]
        timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=30)
    ]  # fmt: skip
    with store.write() as conn:
        cleared = record_outcome(conn, "h", None, fleet=fleet, free_at=now, now=now)
    assert (cleared.wait_until, cleared.failures) == (None, 0)


async def _stuck_cases(settings_url: str, tmp_path: Path) -> dict[str, str]:
    settings = load_settings(str(_config(tmp_path)), database_url=settings_url)
    app = new_app(settings)
    async with app.open_async():
        await ensure_queue_schema(app)
        manager = app.job_manager
        harvest = "harvester.harvest"
        pruned = await app.configure_task(harvest, lock="host:a", queueing_lock="journal:a").defer_async(
            name="a"
        )
        twin = await app.configure_task(harvest, lock="host:b", queueing_lock="journal:b").defer_async(
            name="b"
        )
        dead = await manager.register_worker()
        held = await app.configure_task("harvester.hold", lock="host:c", queue="hold-x").defer_async(
            holder=dead
        )
        # A one-off command that died while waiting for its host: its hold, never fetched.
        orphan = await app.configure_task("harvester.hold", lock="host:d", queue="hold-z").defer_async(
            holder=dead
        )
        for queues in (None, None, ["hold-x"]):
            assert await manager.fetch_job(queues, dead) is not None
        # Issue 1446/1543: the journal was queued again while its stalled job was "doing".
        again = await app.configure_task(harvest, lock="host:b", queueing_lock="journal:b").defer_async(
            name="b"
        )
        # Issue 1518: the dead worker's row is pruned before its jobs are looked for.
        await app.connector.execute_query_async(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
        )
        await manager.prune_stalled_workers(60)
        assert await retry_stalled(app, 2) == 4
        status = {
            name: (await manager.get_job_status_async(job)).value
            for name, job in (("pruned", pruned), ("twin", twin), ("held", held), ("again", again))
        }
        alive = await manager.register_worker()
        for host in "cd":
            await app.configure_task("harvester.hold", lock=f"host:{host}", queue=f"hold-{host}").defer_async(
                holder=alive
            )
            status[f"host {host} free"] = str(await manager.fetch_job([f"hold-{host}"], alive) is not None)
        rows = await app.connector.execute_query_all_async(
            f"SELECT id FROM procrastinate_jobs WHERE id = {orphan}"
        )
        status["orphan"] = "deleted" if not rows else "kept"
    return status


def test_stuck_locks_of_dead_workers_are_released(tmp_path: Path, db_url: str, store: Store) -> None:
    status = asyncio.run(_stuck_cases(db_url, tmp_path))
    assert status == {
        "pruned": "todo",
        "twin": "failed",
        "held": "failed",
        "again": "todo",
        "host c free": "True",
        "host d free": "True",
        "orphan": "deleted",
    }


async def _failed_jobs_pruned(settings_url: str, tmp_path: Path) -> dict[str, str]:
    """Three jobs ended failed: one 40 days ago, one an hour ago, one a ``hold`` of another
    queue 40 days ago; one job still queued.  Then a prune keeping 30 days."""
    settings = load_settings(str(_config(tmp_path)), database_url=settings_url)
    app = new_app(settings)
    async with app.open_async():
        await ensure_queue_schema(app)
        manager = app.job_manager
        worker = await manager.register_worker()
        jobs = {}
        for name in ("old", "recent"):
            jobs[name] = await app.configure_task("harvester.harvest", lock=f"host:{name}").defer_async(
                name=name
            )
            assert await manager.fetch_job(None, worker) is not None
        jobs["old hold"] = await app.configure_task("harvester.hold", queue="hold-p").defer_async(
            holder=worker
        )
        assert await manager.fetch_job(["hold-p"], worker) is not None
        for job_id in jobs.values():
            await manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
        jobs["queued"] = await app.configure_task("harvester.harvest", lock="host:q").defer_async(name="q")
        for name, age in (("old", "40 days"), ("recent", "1 hour"), ("old hold", "40 days")):
            await app.connector.execute_query_async(
                f"UPDATE procrastinate_events SET at = now() - interval '{age}' WHERE job_id = {jobs[name]}"
            )
        await prune_failed(app, timedelta(days=30))
        left = await app.connector.execute_query_all_async("SELECT id, status FROM procrastinate_jobs")
        statuses = {row["id"]: row["status"] for row in left}
    return {name: statuses.get(job_id, "deleted") for name, job_id in jobs.items()}


def test_failed_jobs_are_deleted_once_older_than_keep_failed(
    tmp_path: Path, db_url: str, store: Store
) -> None:
    assert asyncio.run(_failed_jobs_pruned(db_url, tmp_path)) == {
        "old": "deleted",
        "recent": "failed",
        "old hold": "deleted",
        "queued": "todo",
    }


@pytest.mark.slow
def test_a_one_off_harvest_waits_for_the_fleets_job_on_its_host(
    tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]
) -> None:
    fleet = _settings(tmp_path, db_url, store, hosts)
    source = fleet.settings.sources[0]
    released = []

    def hold_then_release() -> None:
        with host_lock(fleet.settings, source, fleet.politeness):
            acquired.set()
            time.sleep(2)
            released.append(time.monotonic())

    log = tmp_path / "worker.log"
    worker = _start("worker", tmp_path / "harvester.toml", db_url, log)  # takes no command's hold
    try:
        _wait_for(lambda: "fleet worker started" in log.read_text(), 60, "the worker", log)
        acquired = threading.Event()
        holder = threading.Thread(target=hold_then_release)
        holder.start()
        assert acquired.wait(30)
        done = _harvester("harvest", source.name, config=Path(tmp_path / "harvester.toml"), db=db_url)
        holder.join()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0, log.read_text()
    assert done.returncode == 0, done.stderr
    assert min(hosts[0].arrivals) > released[0]  # not one request while the fleet held the host


@pytest.mark.slow
def test_run_tells_systemd_and_rereads_its_config_on_sighup(
    tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]
) -> None:
    config = _config(tmp_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(60)
    log = tmp_path / "run.log"
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db_url, "run"]
    environ = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "2000000"}
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=environ)
    try:
        assert "READY=1" in sock.recv(4096).decode()
        assert sock.recv(4096) == b"WATCHDOG=1"
        with config.open("a", encoding="utf-8") as more:
            more.write(
                f'[[sources]]\nname = "jsas"\nurl = "{hosts[0].journal_url("jsas")}"\nstrategy = "oai"\n'
            )
        process.send_signal(signal.SIGHUP)
        _wait_for(lambda: _scalar(store, _HARVESTED) == 1, 60, "the source added to the file harvested", log)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
    messages = []
    sock.settimeout(1)
    with contextlib.suppress(TimeoutError):
        while True:
            messages.append(sock.recv(4096).decode())
    assert any(message.startswith("STOPPING=1") for message in messages)
    assert "config reloaded: 1 source(s) in the file" in log.read_text()
    sock.close()


@pytest.mark.slow
def test_a_worker_whose_database_connections_are_cut_reconnects_and_loses_nothing(
    tmp_path: Path, db_url: str, store: Store, hosts: list[LoopbackHost]
) -> None:
    config = _config(tmp_path)
    beacon = tmp_path / "beacon.csv"
    beacon.write_text(beacon_csv(hosts[:1]), encoding="utf-8")
    assert (
        _harvester("sources", "import", "--no-check", str(beacon), config=config, db=db_url).returncode == 0
    )
    name = f"fleet-{uuid.uuid4().hex[:8]}"  # only this process's connections are cut
    log = tmp_path / "run.log"
    process = _start("run", config, f"{db_url}&application_name={name}", log)
    try:
        _wait_for(lambda: "fleet scheduler and worker started" in log.read_text(), 60, "the start", log)
        cut = (
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{name}'"
        )
        assert int(_scalar(store, cut)) > 0  # type: ignore[call-overload]
        # Either it goes on with new connections, or (a query of the worker's own loop cut
        # mid-way) it exits 1 and systemd starts it again: both lose nothing.
        _wait_for(lambda: process.poll() is not None or _scalar(store, _HARVESTED) == 3, 60, "the cut", log)
        if process.poll() is not None:
            assert process.returncode == 1, log.read_text()
            process = _start("run", config, f"{db_url}&application_name={name}", log)
        _wait_for(lambda: _scalar(store, _HARVESTED) == 3, 60, "every journal harvested after the cut", log)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
    assert _scalar(store, "SELECT count(*) FROM articles") == len(hosts[0].articles())
