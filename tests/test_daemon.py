"""``harvester run`` as a service runs it: on schedule, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from configs import write_config
from ojs_site import OjsSite
from sqlalchemy import update

from harvester.store import Store
from harvester.store.schema import runs

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


def _set_config(tmp_path: Path, site: OjsSite, journals: list[str], *, schedule: str = "1h") -> Path:
    return write_config(
        tmp_path,
        {name: site.journal_url(name) for name in journals},
        extra='[scheduler]\njitter = "0s"\n',
        source_extra=f'schedule = "{schedule}"\n',
    )


def _ok_runs(store: Store, name: str) -> int:
    return sum(status == "ok" for source, status, _ in _runs(store) if source == name)


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
