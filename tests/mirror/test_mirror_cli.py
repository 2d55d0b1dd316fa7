"""``harvester mirror``, ``verify-files`` and ``export --galleys`` as a user runs them, and a
mirror process killed in the middle of a download (SIGKILL: nothing gets to clean up)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harvester.store import Store
from tests.cli.test_cli import _one_line_error, harvester
from tests.mirror.test_mirror import expected_files
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite

JOURNAL = "jsas"


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=1, articles_per_journal=8, seed=8)


def _config(tmp_path: Path, site: OjsSite, *, mirror_galleys: bool = True) -> Path:
    return write_config(
        tmp_path,
        {JOURNAL: site.journal_url(JOURNAL)},
        extra=f'[mirror]\npath = "{tmp_path / "files"}"\n',
        source_extra=f"mirror_galleys = {str(mirror_galleys).lower()}\n",
        strategy="html",
    )


def _galleys(db_url: str) -> dict[str, dict[str, object]]:
    store = Store(db_url)
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM current_galleys").all()
    store.close()
    return {row.source_url: dict(row._mapping) for row in rows}


def _stored_files_are_whole(root: Path) -> None:
    for path in (root / "sha256").rglob("*"):
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path


def test_mirror_verify_and_export(tmp_path: Path, db_url: str, site: OjsSite) -> None:
    config = _config(tmp_path, site)
    assert harvester("harvest", JOURNAL, config=config, db=db_url).returncode == 0
    done = harvester("mirror", config=config, db=db_url)  # every source with mirror_galleys
    expected = expected_files(site)
    assert done.returncode == 0, done.stderr
    assert f"{JOURNAL}: mirror ok: {len(expected)} galleys: {len(expected)} new" in done.stdout

    exported = [
        json.loads(line)
        for line in harvester("export", "--galleys", config=config, db=db_url).stdout.splitlines()
    ]
    files = {g["source_url"]: g for row in exported for g in row["galleys"]}
    assert {url: g["sha256"] for url, g in files.items()} == {url: sha for url, (sha, _) in expected.items()}
    assert all(Path(g["path"]).is_file() for g in files.values())
    assert "galleys" not in json.loads(harvester("export", config=config, db=db_url).stdout.splitlines()[0])

    verified = harvester("verify-files", config=config, db=db_url)
    assert verified.returncode == 0, verified.stderr
    assert f"{len({sha for sha, _ in expected.values()})} stored files" in verified.stdout

    victim = Path(next(iter(files.values()))["path"])
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")  # same size, one byte changed
    line = _one_line_error(harvester("verify-files", config=config, db=db_url), 1)
    assert "1 of" in line and "missing or corrupt" in line
    report = harvester("verify-files", "--repair", config=config, db=db_url)
    assert f"{victim}: corrupt" in report.stdout and "moved aside" in report.stdout
    assert harvester("mirror", JOURNAL, config=config, db=db_url).returncode == 0
    assert harvester("verify-files", config=config, db=db_url).returncode == 0  # fetched again


def test_mirror_without_mirrored_sources_is_one_line(tmp_path: Path, db_url: str, site: OjsSite) -> None:
    config = _config(tmp_path, site, mirror_galleys=False)
    assert "mirror_galleys = true" in _one_line_error(harvester("mirror", config=config, db=db_url), 2)
    done = harvester("mirror", JOURNAL, config=config, db=db_url)  # named: mirrored anyway
    assert done.returncode == 0 and "0 galleys" in done.stdout  # (never harvested)


@pytest.mark.slow
def test_a_download_killed_half_way_leaves_no_partial_file(
    tmp_path: Path, db_url: str, site: OjsSite
) -> None:
    config = _config(tmp_path, site)
    for article in site.articles(JOURNAL):  # 1 MB files: half of one is on disk when it stalls
        site.edit(JOURNAL, article.id, file_size=1_000_000)
    assert harvester("harvest", JOURNAL, config=config, db=db_url).returncode == 0
    release = threading.Event()
    site.cut_downloads_next(1, hold=release)  # the first file stalls half-way
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db_url, "mirror"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temp = tmp_path / "files" / "tmp"
    try:
        deadline = time.monotonic() + 30
        while not any(path.stat().st_size > 0 for path in temp.glob("*.part")):
            assert time.monotonic() < deadline, "the download never started"
            assert process.poll() is None, "the mirror ended before the stalled download"
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
        release.set()
    assert len(list(temp.glob("*.part"))) == 1  # the stray temp file, nothing else
    _stored_files_are_whole(tmp_path / "files")
    assert all(row["status"] == "ok" for row in _galleys(db_url).values())  # nothing half-recorded

    done = harvester("mirror", config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    assert list(temp.glob("*.part")) == []  # cleaned at the next start
    _stored_files_are_whole(tmp_path / "files")
    rows = _galleys(db_url)
    assert {url: row["sha256"] for url, row in rows.items()} == {
        url: s for url, (s, _) in expected_files(site).items()
    }
