"""``harvester run`` as a service runs it: on schedule, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from configs import write_config
from ojs_site import OjsSite

from harvester.store import Store

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, site: OjsSite, schedule: str) -> Path:
    return write_config(
        tmp_path,
        {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")},
        extra='[scheduler]\njitter = "0s"\nworkers = 2\n',
        source_extra=f'schedule = "{schedule}"\n',
    )


def _daemon(config: Path, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "harvester", "--config", str(config), "--db", db_url, "run"],
            stdout=sink,
            stderr=sink,
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
