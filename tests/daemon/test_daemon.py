"""``harvester run`` as a service runs it: on schedule, stopping cleanly on SIGTERM, reloading
on SIGHUP, telling systemd how it is, and answering health and metrics probes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from harvester.store import Store
from harvester.store.schema import runs
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, site: OjsSite, schedule: str) -> Path:
    return write_config(
        tmp_path,
        {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")},
        extra='[scheduler]\njitter = "0s"\nworkers = 2\n',
        source_extra=f'schedule = "{schedule}"\n',
    )


def _daemon(
    config: Path, db_url: str, log: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    if "[fleet]" not in config.read_text(encoding="utf-8"):  # the single-process daemon, on PostgreSQL too
        with config.open("a", encoding="utf-8") as more:
            more.write("\n[fleet]\nenabled = false\n")
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "harvester", *options, "--config", str(config), "--db", db_url, "run"],
            stdout=sink,
            stderr=sink,
            env={**os.environ, **(env or {})},
        )


def _wait_until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _runs(store: Store) -> list[tuple[str, str, int]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.name, r.status, r.pages FROM runs r JOIN sources s ON s.id = r.source_id ORDER BY r.id"
        ).all()
    return [(str(name), str(status), int(pages)) for name, status, pages in rows]


def test_daemon_harvests_at_start_and_again_on_schedule(tmp_path: Path, db_url: str) -> None:
    with OjsSite.generate(journals=2, articles_per_journal=8, seed=4, page_size=5) as site:
        daemon = _daemon(_config(tmp_path, site, "2s"), db_url, tmp_path / "daemon.log")
        store = Store(db_url)
        try:
            _wait_until(
                lambda: sum(status == "ok" for name, status, _ in _runs(store) if name == "jsas") >= 2,
                "2 runs",
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(20)
        assert code == 0, (tmp_path / "daemon.log").read_text()
        assert {name for name, status, _ in _runs(store) if status == "ok"} == {"jsas", "mhc"}
        store.close()


def test_sigterm_mid_harvest_exits_0_promptly_and_a_restart_resumes(tmp_path: Path, db_url: str) -> None:
    with OjsSite.generate(journals=2, articles_per_journal=40, seed=4, page_size=5) as site:
        config = _config(tmp_path, site, "1h")
        log = tmp_path / "daemon.log"
        store = Store(db_url)
        site.delay = 0.2
        daemon = _daemon(config, db_url, log)
        _wait_until(lambda: any(pages >= 2 for _, _, pages in _runs(store)), "two committed pages")
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(20) == 0, log.read_text()
        assert time.monotonic() - started < 5
        assert {status for _, status, _ in _runs(store)} == {"interrupted"}

        site.delay = 0
        daemon = _daemon(config, db_url, log)
        try:
            _wait_until(lambda: [s for _, s, _ in _runs(store)].count("ok") == 2, "both sources finished")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(20) == 0, log.read_text()
        with store.read() as conn:
            versions = conn.exec_driver_sql("SELECT COUNT(*) FROM article_versions").scalar_one()
            checkpoints = conn.exec_driver_sql("SELECT COUNT(*) FROM checkpoints").scalar_one()
        assert versions == len(site.articles())  # nothing lost, nothing written twice
        assert checkpoints == 0
        store.close()


class NotifyListener:
    """A datagram socket standing in for systemd's notify socket (abstract: ``@name``)."""

    def __init__(self) -> None:
        self.address = f"@ojs-harvester-test-{uuid.uuid4().hex}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.address[1:])
        self._sock.settimeout(0.1)
        self.messages: list[dict[str, str]] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))

    def values(self, key: str) -> list[str]:
        return [message[key] for message in list(self.messages) if key in message]

    def close(self) -> None:
        self._closed.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def notify() -> Iterator[NotifyListener]:
    listener = NotifyListener()
    yield listener
    listener.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status), reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _json_lines(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = _get(f"{url}/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_service_notifies_systemd_serves_probes_and_logs_json(
    tmp_path: Path, db_url: str, notify: NotifyListener
) -> None:
    with OjsSite.generate(journals=2, articles_per_journal=12, seed=4, page_size=5) as site:
        config = write_config(
            tmp_path,
            {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")},
            extra='[scheduler]\njitter = "0s"\n[service]\nlisten = "127.0.0.1:0"\n',
        )
        log = tmp_path / "daemon.log"
        env = {"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000"}
        daemon = _daemon(config, db_url, log, "--log-format", "json", env=env)
        try:
            _wait_until(lambda: "1" in notify.values("READY"), "READY=1")
            listening = next(
                line["message"] for line in _json_lines(log) if "/healthz" in str(line["message"])
            )
            url = re.search(r"http://[\d.]+:\d+", str(listening))
            assert url, listening
            _wait_until(
                lambda: _samples(url[0])[("ojs_harvester_runs_total", (("status", "ok"),))] == 2, "2 runs"
            )
            metrics = _samples(url[0])
            assert _get(f"{url[0]}/healthz")[0] == 200
            assert _get(f"{url[0]}/readyz") == (200, "ok: database ready\n")
            assert _get(f"{url[0]}/nothing")[0] == 404
            _wait_until(lambda: len(notify.values("WATCHDOG")) >= 2, "two watchdog pings")
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(20)
        assert code == 0, log.read_text()

    live = sum(not article.deleted for article in site.articles())
    assert metrics[("ojs_harvester_records_total", (("change", "new"),))] == live
    assert metrics[("ojs_harvester_records_total", (("change", "deleted"),))] == 2
    assert metrics[("ojs_harvester_http_requests_total", (("status_class", "2xx"),))] >= 6
    assert metrics[("ojs_harvester_last_success_timestamp_seconds", (("strategy", "oai"),))] > 0
    assert metrics[("ojs_harvester_sources", ())] == 2
    assert metrics[("ojs_harvester_run_duration_seconds_count", (("status", "ok"),))] == 2
    labels = {name for _, pairs in metrics for name, _ in pairs}
    assert not labels & {"host", "source", "journal"}

    assert "READY" in notify.messages[0]
    assert "STOPPING" in notify.messages[-1]
    assert any(
        re.fullmatch(r"2 sources, 0 harvesting, 0 failing, last success just now", text)
        for text in notify.values("STATUS")
    )

    lines = _json_lines(log)  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    finished = [line for line in lines if line.get("status") == "ok"]
    assert {line["source"] for line in finished} == {"jsas", "mhc"}
    assert all(str(line["host"]).startswith("127.0.0.1:") for line in finished)
    assert finished[0]["counts"] == {"new": 11, "changed": 0, "unchanged": 0, "deleted": 1}


def _set_config(tmp_path: Path, site: OjsSite, journals: list[str], *, schedule: str = "1h") -> Path:
    return write_config(
        tmp_path,
        {name: site.journal_url(name) for name in journals},
        extra='[scheduler]\njitter = "0s"\n',
        source_extra=f'schedule = "{schedule}"\n',
    )


def _ok_runs(store: Store, name: str) -> int:
    return sum(status == "ok" for source, status, _ in _runs(store) if source == name)


def test_sighup_reloads_sources_and_keeps_the_old_config_when_broken(tmp_path: Path, db_url: str) -> None:
    with OjsSite.generate(journals=3, articles_per_journal=8, seed=4, page_size=5) as site:
        config = _set_config(tmp_path, site, ["jsas", "mhc"])
        log = tmp_path / "daemon.log"
        store = Store(db_url)
        daemon = _daemon(config, db_url, log)
        try:
            _wait_until(lambda: _ok_runs(store, "jsas") == _ok_runs(store, "mhc") == 1, "first runs")

            _set_config(tmp_path, site, ["jsas", "clr"], schedule="2s")  # mhc out, clr in, jsas faster
            daemon.send_signal(signal.SIGHUP)
            _wait_until(lambda: _ok_runs(store, "clr") >= 1, "the added source harvested")
            _wait_until(lambda: _ok_runs(store, "jsas") >= 2, "jsas on its new schedule")
            assert "config reloaded: added clr; removed mhc; changed jsas (schedule)" in log.read_text()

            _set_config(tmp_path, site, ["jsas", "clr"], schedule="every day")
            daemon.send_signal(signal.SIGHUP)
            _wait_until(lambda: "config reload failed" in log.read_text(), "the failed reload logged")
            runs_before = _ok_runs(store, "clr")
            _wait_until(lambda: _ok_runs(store, "clr") > runs_before, "the old config still running")
            assert daemon.poll() is None
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(20)
        text = log.read_text()
        assert code == 0, text
        failed = next(line for line in text.splitlines() if "config reload failed" in line)
        assert "keeping the running config" in failed
        assert "sources[0].schedule: 'every day' is neither an interval" in failed
        assert _ok_runs(store, "mhc") == 1  # removed: never harvested again
        store.close()


def test_an_overdue_source_runs_at_start(tmp_path: Path, db_url: str) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=8, seed=4, page_size=5) as site:
        config = _set_config(tmp_path, site, ["jsas"], schedule="1d")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harvester",
                "-q",
                "--config",
                str(config),
                "--db",
                db_url,
                "harvest",
                "jsas",
            ],
            check=False,
        )
        assert done.returncode == 0
        store = Store(db_url)
        two_days_ago = datetime.now(UTC) - timedelta(days=2)
        with store.write() as conn:  # the last run was two days ago: overdue for a daily schedule
            conn.execute(update(runs).values(started_at=two_days_ago, finished_at=two_days_ago))
        daemon = _daemon(config, db_url, tmp_path / "daemon.log")
        try:
            _wait_until(lambda: _ok_runs(store, "jsas") == 2, "the overdue run", seconds=30)
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(20) == 0
        store.close()


def test_a_cron_schedule_with_jitter_runs_and_shows_in_status(tmp_path: Path, db_url: str) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=4, seed=4) as site:
        config = write_config(
            tmp_path,
            {"jsas": site.journal_url("jsas")},
            extra='[scheduler]\njitter = "30s"\n',
            source_extra='schedule = "0 3 * * 1-5"\n',
        )
        store = Store(db_url)
        daemon = _daemon(config, db_url, tmp_path / "daemon.log")
        try:
            _wait_until(lambda: _ok_runs(store, "jsas") == 1, "the first run of a never harvested source")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(20) == 0
        store.close()
        status = subprocess.run(
            [sys.executable, "-m", "harvester", "--config", str(config), "--db", db_url, "status"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        assert re.search(
            r"^jsas: healthy; last harvest .*: ok, .*; next due \S+ 03:00 UTC$", status.stdout, re.M
        )
        assert "Traceback" not in status.stderr + (tmp_path / "daemon.log").read_text(encoding="utf-8")
