"""A harvest killed with SIGKILL mid-way, then re-run, ends exactly like an uninterrupted one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harvester.store import Store
from harvester.store.queries import current_articles
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite

VOLATILE = ("article_id", "first_seen", "updated_at", "url", "source")


def _config(tmp_path: Path, site: OjsSite) -> Path:
    return write_config(tmp_path, {"jsas": site.journal_url("jsas")})


def _command(config: Path, db_url: str) -> list[str]:
    return [
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
    ]


def _harvest(config: Path, db_url: str) -> None:
    done = subprocess.run(_command(config, db_url), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def _committed_pages(store: Store) -> int:
    with store.read() as conn:
        return int(conn.exec_driver_sql("SELECT COALESCE(MAX(pages), 0) FROM runs").scalar_one())


def _snapshot(db_url: str) -> tuple[list[dict[str, Any]], int, int]:
    store = Store(db_url)
    with store.read() as conn:
        rows = [{k: v for k, v in row.items() if k not in VOLATILE} for row in current_articles(conn)]
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM article_versions").scalar_one()
        changes = conn.exec_driver_sql("SELECT COUNT(*) FROM changes").scalar_one()
    store.close()
    return sorted(rows, key=repr), int(versions), int(changes)


def _wait_for_pages(store: Store, process: subprocess.Popen[bytes], pages: int) -> None:
    deadline = time.monotonic() + 60
    while _committed_pages(store) < pages:
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"harvest ended or stalled before {pages} pages were committed")
        time.sleep(0.05)


@pytest.mark.slow
def test_kill_9_mid_harvest_then_rerun_loses_and_duplicates_nothing(db_url: str, tmp_path: Path) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=60, seed=3, page_size=5) as site:
        config = _config(tmp_path, site)
        store = Store(db_url)
        site.delay = 0.1
        killed = subprocess.Popen(
            _command(config, db_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_pages(store, killed, 3)
        killed.kill()
        killed.wait()
        assert 3 <= _committed_pages(store) < 12  # really stopped mid-way
        site.delay = 0
        site.requests.clear()
        _harvest(config, db_url)
        first = next(
            q for path, q, _ in site.requests if path.endswith("/oai") and q.get("verb") == "ListRecords"
        )
        assert "resumptionToken" in first  # resumed after the last committed page
        with store.read() as conn:
            statuses = conn.exec_driver_sql("SELECT status FROM runs ORDER BY id").scalars().all()
        assert statuses == ["interrupted", "ok"]
        store.close()

        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        _harvest(config, reference)
        assert _snapshot(db_url) == _snapshot(reference)
        rows, versions, _ = _snapshot(db_url)
        assert len(rows) == versions == len(site.articles("jsas"))


@pytest.mark.slow
def test_sigterm_mid_harvest_commits_the_page_in_hand_and_exits_0(db_url: str, tmp_path: Path) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=60, seed=3, page_size=5) as site:
        config = _config(tmp_path, site)
        store = Store(db_url)
        site.delay = 0.1
        harvest = subprocess.Popen(
            _command(config, db_url), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        _wait_for_pages(store, harvest, 2)
        harvest.send_signal(signal.SIGTERM)
        out, _ = harvest.communicate(timeout=20)
        assert harvest.returncode == 0
        assert b"jsas: interrupted:" in out
        with store.read() as conn:
            status, pages = conn.exec_driver_sql("SELECT status, pages FROM runs").one()
            checkpoint_pages = conn.exec_driver_sql("SELECT pages FROM checkpoints").scalar_one()
        assert status == "interrupted"
        assert checkpoint_pages == pages  # the checkpoint follows the last committed page
        site.delay = 0
        _harvest(config, db_url)
        rows, versions, _ = _snapshot(db_url)
        assert len(rows) == versions == len(site.articles("jsas"))
        store.close()


@pytest.mark.slow
def test_kill_9_mid_crawl_then_rerun_ends_like_an_uninterrupted_crawl(db_url: str, tmp_path: Path) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=30, seed=3, archive_page_size=2) as site:
        config = write_config(tmp_path, {"jsas": site.journal_url("jsas")}, strategy="html")
        store = Store(db_url)
        site.delay = 0.05
        killed = subprocess.Popen(
            _command(config, db_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_pages(store, killed, 12)  # the archive, some tables of contents and articles
        killed.kill()
        killed.wait()
        with store.read() as conn:
            done = set(conn.exec_driver_sql("SELECT url FROM current_articles").scalars())
        live = len([article for article in site.articles("jsas") if not article.deleted])
        assert 0 < len(done) < live  # really stopped mid-way
        site.delay = 0
        time.sleep(0.5)  # let the server log the killed process's request in flight first
        site.html_requests.clear()
        _harvest(config, db_url)
        # Articles stored before the kill cost a conditional request and a 304 at most.
        fetched = [r for r in site.html_requests if r.kind == "article"]
        again = [r for r in fetched if f"{site.base_url}{r.path}" in done]
        assert {(r.conditional, r.status) for r in again} <= {(True, 304)}
        assert len(fetched) - len(again) == live - len(done)
        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        _harvest(config, reference)
        store.close()
        assert _snapshot(db_url) == _snapshot(reference)
