"""The service's parts in one process: sd_notify, reload diffs, first run times, JSON logs,
the health listener and the metrics, on real sockets and a real database."""

from __future__ import annotations

import http.server
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from harvester.config import Settings, SourceSettings
from harvester.cron import cron_trigger
from harvester.daemon.health import HealthServer
from harvester.daemon.metrics import Metrics
from harvester.daemon.notify import Notifier
from harvester.daemon.reload import diff_settings
from harvester.daemon.scheduler import first_run, next_due, trigger_for
from harvester.daemon.service import Daemon
from harvester.errors import ConfigError
from harvester.harvest.pipeline import HarvestResult
from harvester.logs import JsonFormatter
from harvester.store import Store
from harvester.store.ingest import PageCounts
from harvester.store.runs import ensure_source, start_run

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# --- sd_notify ---------------------------------------------------------------------------------


@pytest.fixture
def datagram_path() -> Iterator[tuple[str, socket.socket]]:
    """A notify socket on a short filesystem path (AF_UNIX paths are limited to ~108 bytes)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        path = str(Path(directory) / "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(5)
            yield path, sock


def test_notify_sends_datagrams_to_a_path_socket(datagram_path: tuple[str, socket.socket]) -> None:
    path, sock = datagram_path
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert notifier.watchdog_seconds == 4.0
    notifier.ready("2 sources")
    notifier.watchdog()
    notifier.stopping()
    assert sock.recv(4096).decode().splitlines()[:2] == ["READY=1", "STATUS=2 sources"]
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sock.recv(4096).startswith(b"STOPPING=1\n")


def test_notify_supports_abstract_sockets() -> None:
    name = f"ojs-harvester-unit-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        Notifier({"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert sock.recv(4096) == b"STATUS=hello"


def test_notify_is_a_no_op_without_a_socket_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    quiet = Notifier({})
    quiet.ready("x")  # nothing to send to, nothing raised
    broken = Notifier({"NOTIFY_SOCKET": "/nonexistent/notify"})
    broken.status("x")
    broken.status("y")
    assert caplog.text.count("cannot notify the service manager") == 1  # said once, not at every beat


@pytest.mark.parametrize(
    ("environ", "seconds"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "nonsense"}, None),
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
    ],
)
def test_watchdog_period_comes_from_the_environment(environ: dict[str, str], seconds: float | None) -> None:
    assert Notifier(environ).watchdog_seconds == seconds


def test_watchdog_pings_only_when_asked_for(datagram_path: tuple[str, socket.socket]) -> None:
    path, sock = datagram_path
    Notifier({"NOTIFY_SOCKET": path}).watchdog()
    Notifier({"NOTIFY_SOCKET": path}).status("after")
    assert sock.recv(4096) == b"STATUS=after"


# --- reload ------------------------------------------------------------------------------------


def _settings(*sources: SourceSettings, **sections: object) -> Settings:
    return Settings.model_validate({"sources": [s.model_dump() for s in sources], **sections})


def _source(name: str, **values: object) -> SourceSettings:
    return SourceSettings.model_validate(
        {"name": name, "url": f"https://example.org/index.php/{name}", **values}
    )


def test_reload_diff_names_added_removed_and_changed_sources() -> None:
    old = _settings(_source("a"), _source("b"), _source("c"), _source("off", enabled=False))
    new = _settings(_source("a"), _source("c", schedule="1h", sets=["c:ART"]), _source("d"), _source("off"))
    change = diff_settings(old, new)
    assert change.added == ("d", "off")  # enabling a source adds it
    assert change.removed == ("b",)
    assert change.changed == {"c": ("schedule", "sets")}
    assert change.summary() == "added d, off; removed b; changed c (schedule, sets)"
    assert diff_settings(new, new).summary() == "no changes"


def test_reload_diff_says_which_settings_need_a_restart() -> None:
    old = _settings(_source("a"))
    new = _settings(
        _source("a"),
        http={"requests_per_second": 2, "timeout": 5},
        scheduler={"jitter": "1m"},
        service={"listen": "127.0.0.1:9308"},
    )
    change = diff_settings(old, new)
    assert change.changed == {"a": ("scheduler.jitter",)}  # a new jitter means a new trigger
    assert change.restart_needed == ("http.requests_per_second", "service.listen")
    assert "settings http.timeout, scheduler.jitter apply from the next run" in change.summary()
    assert "settings http.requests_per_second, service.listen need a restart" in change.summary()


def test_reload_diff_takes_the_mirror_section_from_the_next_run() -> None:
    old = _settings(_source("a", mirror_galleys=True))
    new = _settings(_source("a", mirror_galleys=True), mirror={"max_file_size": "1GB", "recheck": "7d"})
    change = diff_settings(old, new)
    assert change.settings == ("mirror.max_file_size", "mirror.recheck")
    assert change.restart_needed == ()
    assert change.summary() == "settings mirror.max_file_size, mirror.recheck apply from the next run"


# --- first run ---------------------------------------------------------------------------------


def test_first_run_is_now_for_a_new_or_overdue_source_and_on_schedule_otherwise() -> None:
    every_6h = IntervalTrigger(hours=6, timezone=UTC)
    assert first_run(every_6h, None, NOW) == NOW
    assert first_run(every_6h, NOW - timedelta(days=2), NOW) == NOW
    assert first_run(every_6h, NOW - timedelta(hours=1), NOW) == NOW + timedelta(hours=5)
    daily_at_3 = CronTrigger.from_crontab("0 3 * * *", timezone=UTC)
    assert first_run(daily_at_3, NOW - timedelta(days=2), NOW) == NOW
    assert first_run(daily_at_3, NOW - timedelta(hours=1), NOW) == datetime(2025, 3, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "due"),
    [
        ("6h", NOW + timedelta(hours=5)),  # last run an hour ago
        ("0 1-23/6 * * *", datetime(2025, 3, 1, 13, 0, tzinfo=UTC)),
        ("0 3 * * 1", datetime(2025, 3, 3, 3, 0, tzinfo=UTC)),  # cron's 1 is Monday (NOW is a Saturday)
        ("0 3 * * 0", datetime(2025, 3, 2, 3, 0, tzinfo=UTC)),  # ... and 0 Sunday
        ("0 3 * * 7", datetime(2025, 3, 2, 3, 0, tzinfo=UTC)),  # ... as is 7
        ("30 2 * * mon-fri", datetime(2025, 3, 3, 2, 30, tzinfo=UTC)),
        ("0 4 * * 5-7", datetime(2025, 3, 2, 4, 0, tzinfo=UTC)),  # Friday to Sunday
        ("0 4 1 * *", datetime(2025, 4, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_every_schedule_form_gives_its_next_time_with_and_without_jitter(
    schedule: str, due: datetime
) -> None:
    source = SourceSettings(name="a", url="https://x.org/index.php/a", schedule=schedule)
    settings = Settings.model_validate({"scheduler": {"jitter": "5m"}})
    last = NOW - timedelta(hours=1)
    assert next_due(source, settings, last, NOW) == due
    jittered = trigger_for(source, settings).get_next_fire_time(last, NOW)
    assert jittered is not None and due - timedelta(minutes=5) <= jittered <= due + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("line", "problem"),
    [("0 3 * *", "5 fields"), ("0 3 * * 8", "day of week '8'"), ("0 3 * * funday", "day of week")],
)
def test_a_bad_cron_line_is_refused_with_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        cron_trigger(line)


# --- logs --------------------------------------------------------------------------------------


def test_json_log_lines_carry_the_structured_fields() -> None:
    record = logging.LogRecord(
        "harvester.harvest.pipeline", logging.INFO, __file__, 1, "%s: ok", ("jsas",), None
    )
    record.source, record.host, record.counts = "jsas", "journal.example.org", {"new": 3}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "jsas: ok"
    assert line["level"] == "INFO"
    assert line["logger"] == "harvester.harvest.pipeline"
    assert line["source"] == "jsas" and line["host"] == "journal.example.org" and line["counts"] == {"new": 3}
    assert datetime.fromisoformat(line["ts"]).tzinfo is not None
    try:
        int("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: invalid literal" in json.loads(JsonFormatter().format(failed))["exception"]


# --- health and metrics ------------------------------------------------------------------------


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status), reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_health_listener_routes_and_status_codes() -> None:
    metrics = Metrics()
    server = HealthServer(
        "127.0.0.1:0",
        alive=lambda: (True, "ok"),
        ready=lambda: (False, "database unreachable"),
        metrics=metrics.exposition,
    )
    server.start()
    try:
        assert _get(f"{server.url}/healthz")[::2] == (200, "ok\n")
        assert _get(f"{server.url}/readyz")[::2] == (503, "database unreachable\n")
        status, content_type, body = _get(f"{server.url}/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        assert 'ojs_harvester_runs_total{status="ok"} 0.0' in body
        assert _get(f"{server.url}/other")[0] == 404
    finally:
        server.close()


def test_health_listener_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*cannot listen"):
            HealthServer(
                f"127.0.0.1:{port}",
                alive=lambda: (True, ""),
                ready=lambda: (True, ""),
                metrics=Metrics().exposition,
            )


def test_health_listener_closes_a_silent_connection() -> None:
    server = HealthServer(
        "127.0.0.1:0",
        alive=lambda: (True, "ok"),
        ready=lambda: (True, "ok"),
        metrics=Metrics().exposition,
        connection_timeout=0.5,
    )
    server.start()
    try:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as silent:
            silent.sendall(b"GET /healthz HTTP/1.1\r\n")  # and never the end of the headers
            silent.settimeout(30)
            assert silent.recv(1024) == b""  # the listener hung up
        assert _get(f"{server.url}/healthz")[::2] == (200, "ok\n")  # and still answers others
    finally:
        server.close()


def test_metrics_sum_results_without_per_source_labels() -> None:
    metrics = Metrics()
    result = HarvestResult(
        "jsas", 1, "ok", PageCounts(new=5, changed=1, unchanged=2, deleted=1), 2, 7, {"2xx": 5, "5xx": 1}
    )
    metrics.harvest_started()
    metrics.harvest_ended(result, 3.5)
    metrics.harvest_started()
    metrics.harvest_ended(None, 0.1)  # failed before its run was recorded
    metrics.succeeded("oai", NOW)
    metrics.succeeded("oai", NOW - timedelta(hours=1))  # an older success does not go back in time
    text = metrics.exposition()[0].decode()
    for line in (
        'ojs_harvester_records_total{change="new"} 5.0',
        'ojs_harvester_records_total{change="deleted"} 1.0',
        'ojs_harvester_http_requests_total{status_class="2xx"} 5.0',
        'ojs_harvester_http_requests_total{status_class="5xx"} 1.0',
        'ojs_harvester_http_requests_total{status_class="none"} 1.0',
        'ojs_harvester_runs_total{status="ok"} 1.0',
        'ojs_harvester_runs_total{status="failed"} 1.0',
        'ojs_harvester_run_duration_seconds_sum{status="ok"} 3.5',
        'ojs_harvester_last_success_timestamp_seconds{strategy="oai"} 1.7408304e+09',  # NOW
        "ojs_harvester_harvests_running 0.0",
    ):
        assert line in text


def test_readiness_follows_the_database(db_url: str) -> None:
    fresh = Store(db_url, auto_migrate=False)
    daemon = Daemon(Settings(), fresh, environ={})
    assert daemon.ready() == (False, "database schema is not the newest")
    fresh.migrate()
    assert daemon.ready() == (True, "ok: database ready")
    assert daemon.alive()[0]
    fresh.close()
    unreachable = Store("postgresql+psycopg://nobody@127.0.0.1:1/none", auto_migrate=False)
    ok, why = Daemon(Settings(), unreachable, environ={}).ready()
    assert not ok and why.startswith("database unreachable: ")


def test_a_source_held_by_another_run_is_skipped_not_failed(store: Store) -> None:
    source = _source("held", url="http://127.0.0.1:1/index.php/held")  # never reached
    now = datetime.now(UTC)
    with store.write() as conn:  # a live run of this process holds the source, as a backfill would
        start_run(conn, ensure_source(conn, source, now).source_id, "backfill", now, (None, None))
    daemon = Daemon(_settings(source), store, environ={})
    daemon._harvest("held")
    assert daemon.status_text() == "1 source, 0 harvesting, 0 failing, last success never"
    text = daemon.metrics.exposition()[0].decode()
    assert 'ojs_harvester_runs_total{status="failed"} 0.0' in text
    assert "ojs_harvester_harvests_running 0.0" in text


class _Busy(http.server.BaseHTTPRequestHandler):
    """Every page answers 503 with a Retry-After of two hours (robots.txt: none)."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        _Busy.requests.append(self.path)
        self.send_response(503)
        self.send_header("Retry-After", "7200")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def busy_host() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Busy.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_host_asking_to_wait_defers_its_source_and_is_held_back(store: Store, busy_host: str) -> None:
    source = _source("busy", url=f"{busy_host}/index.php/busy", strategy="oai")
    daemon = Daemon(_settings(source), store, environ={})
    daemon._schedule_all()
    asked = datetime.now(UTC)
    daemon._harvest("busy")
    job = daemon.scheduler.get_job("harvest:busy")
    assert job is not None
    assert job.next_run_time >= asked + timedelta(seconds=7190)  # the scheduler waits as asked
    sent = len(_Busy.requests)
    assert sent == 1
    daemon._harvest("busy")  # run again within the wait (a manual run, another source on the host)
    assert len(_Busy.requests) == sent  # the pacer held the host: nothing was sent
    assert daemon.status_text().startswith("1 source, 0 harvesting, 1 failing")
