"""The ``harvester`` command against hostile servers (issue 12), one test per attack of
``hostile_site``: the process stays within generous memory and time caps, says what went
wrong in one clear line, and loses nothing already stored.

Memory is the peak RSS of the ``harvester`` child process (``os.wait4``'s rusage), time a
generous cap on the whole run: neither is a speed assertion.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harvester.store import Store
from tests.harvest.test_harvest import COMPARED, rows_by_identifier
from tests.site.configs import FAST_HTTP, write_config
from tests.site.hostile_site import HostileSite

JOURNAL = HostileSite.journal
MAX_RSS_MB = 400  # an honest run peaks near 100 MB; the attacks reach gigabytes without the caps
MAX_SECONDS = 90  # the [http] timeout below is 5 s: a bounded run ends well within this
HOSTILE_HTTP = FAST_HTTP + "timeout = 5\n"


@dataclass(frozen=True)
class Run:
    """A finished ``harvester`` process: exit code, output, peak memory and wall time."""

    code: int
    stdout: str
    stderr: str
    rss_mb: float
    seconds: float

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("harvester: error:")]


def run_harvester(tmp_path: Path, *args: str, config: Path, db: str) -> Run:
    """Run ``harvester --config CONFIG --db DB ARGS`` and measure it (killed past twice the cap)."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, *args]
    start = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        killer = threading.Timer(MAX_SECONDS * 2, process.kill)
        killer.start()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    return Run(process.returncode, out.read_text(), err.read_text(), usage.ru_maxrss / 1024, seconds)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'harvester.db'}"


def _config(tmp_path: Path, site: HostileSite, strategy: str, extra: str = "", source: str = "") -> Path:
    path = write_config(
        tmp_path, {JOURNAL: site.journal_url(JOURNAL)}, extra=extra, source_extra=source, strategy=strategy
    )
    path.write_text(path.read_text().replace(FAST_HTTP, HOSTILE_HTTP, 1))
    return path


def _stored(db: str) -> int:
    store = Store(db)
    try:
        with store.read() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM articles").scalar_one())
    finally:
        store.close()


@pytest.fixture
def site() -> Iterator[HostileSite]:
    with HostileSite.small() as running:
        yield running


def _within_caps(run: Run) -> None:
    assert run.rss_mb < MAX_RSS_MB, f"peak RSS {run.rss_mb:.0f} MB"
    assert run.seconds < MAX_SECONDS, f"{run.seconds:.0f} s"
    assert "Traceback" not in run.stderr, run.stderr


def _harvest_again_attacked(tmp_path: Path, site: HostileSite, db: str, attack: str) -> tuple[Run, int]:
    """An honest harvest, then one under ``attack`` (within the caps): that run, and how many
    articles the first stored."""
    config = _config(tmp_path, site, "oai")
    assert run_harvester(tmp_path, "harvest", JOURNAL, config=config, db=db).code == 0
    stored = _stored(db)
    site.attack = attack
    run = run_harvester(tmp_path, "harvest", JOURNAL, config=config, db=db)
    _within_caps(run)
    return run, stored


@pytest.mark.parametrize("attack", ["header_drip", "gzip_bomb", "endless_body"])
def test_attacks_on_oai_end_the_run_with_one_line_and_keep_what_is_stored(
    tmp_path: Path, site: HostileSite, db: str, attack: str
) -> None:
    run, stored = _harvest_again_attacked(tmp_path, site, db, attack)
    assert run.code != 0
    assert len(run.error_lines()) == 1, run.stderr
    assert JOURNAL in run.error_lines()[0]
    assert _stored(db) == stored


@pytest.mark.parametrize(
    "attack", ["redirect_gzip_bomb", "redirect_endless", "redirect_drip", "article_file_url"]
)
def test_redirect_bodies_are_never_read(tmp_path: Path, site: HostileSite, db: str, attack: str) -> None:
    site.attack = attack
    run = run_harvester(tmp_path, "harvest", JOURNAL, config=_config(tmp_path, site, "oai+html"), db=db)
    _within_caps(run)
    assert run.code == 0, run.stderr
    assert _stored(db) == len(site.articles(JOURNAL))  # the OAI records, whatever the pages did


@pytest.mark.parametrize("attack", ["xxe", "billion_laughs"])
def test_entities_are_never_expanded(tmp_path: Path, site: HostileSite, db: str, attack: str) -> None:
    run, stored = _harvest_again_attacked(tmp_path, site, db, attack)
    assert "root:" not in run.stdout + run.stderr
    assert "lollol" not in run.stdout + run.stderr
    assert _stored(db) == stored


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("galley_other_host", "127.0.0.2 is not the journal's site"),
        ("galley_link_local", "169.254.169.254 is not the journal's site"),
        ("galley_file_url", "not an http(s) URL"),
        ("pdfjs_other_host", "127.0.0.2 is not the journal's site"),
        ("galley_links_elsewhere", "127.0.0.2 is not the journal's site"),
    ],
)
def test_galleys_are_fetched_only_on_the_journals_site(
    tmp_path: Path, site: HostileSite, db: str, attack: str, reason: str
) -> None:
    files = tmp_path / "files"
    config = _config(tmp_path, site, "html", f'[mirror]\npath = "{files}"\n', "mirror_galleys = true\n")
    site.attack = attack if attack == "galley_links_elsewhere" else None  # the links are in the pages
    assert run_harvester(tmp_path, "harvest", JOURNAL, config=config, db=db).code == 0
    stored = _stored(db)
    site.attack = attack
    run = run_harvester(tmp_path, "mirror", JOURNAL, config=config, db=db)
    _within_caps(run)
    assert run.code == 0, run.stderr
    pdf_only = attack == "pdfjs_other_host"  # only a PDF galley has a pdf.js viewer
    mimes = [mime for art in site.articles(JOURNAL) for _, mime in art.galleys]
    galleys = sum(mime == "application/pdf" or not pdf_only for mime in mimes)
    assert f"{galleys} refused" in run.stdout
    assert run.stderr.count(reason) == galleys
    assert len(list(files.glob("sha256/*/*/*"))) == len(mimes) - galleys  # the others, as usual
    assert _stored(db) == stored


@pytest.mark.parametrize(
    ("attack", "warning"),
    [("list_sets_loop", "repeated"), ("fresh_token_same_records", "without records new")],
)
def test_looping_lists_end_with_a_warning(
    tmp_path: Path, site: HostileSite, db: str, attack: str, warning: str
) -> None:
    site.attack = attack
    run = run_harvester(tmp_path, "harvest", JOURNAL, config=_config(tmp_path, site, "oai"), db=db)
    _within_caps(run)
    assert run.code == 0, run.stderr
    assert warning in run.stderr
    assert _stored(db) >= 2  # the records the looping list did bring


def test_the_fault_mix_ends_with_every_record_stored(tmp_path: Path, db_url: str) -> None:
    """On SQLite and PostgreSQL: the check the issue names."""
    with HostileSite.small(articles=20) as site:
        target = next(art for art in site.articles(JOURNAL) if not art.deleted)
        site.edit(JOURNAL, target.id, control_chars=True)
        site.attack = "fault_mix"
        run = run_harvester(tmp_path, "harvest", JOURNAL, config=_config(tmp_path, site, "oai"), db=db_url)
        _within_caps(run)
        assert run.code == 0, run.stderr
        assert run.stderr.count("restarting the window") == 2
        store = Store(db_url)
        try:
            rows = rows_by_identifier(store, JOURNAL)
        finally:
            store.close()
        expected = {art.oai_identifier(): art.expected() for art in site.articles(JOURNAL)}
        assert set(rows) == set(expected)
        for identifier, want in expected.items():
            keys = ("deleted",) if want["deleted"] else COMPARED
            got = {key: rows[identifier][key] for key in keys}
            if identifier == target.oai_identifier():  # its invalid byte, kept visible as U+FFFD
                got["abstract"] = got["abstract"].removesuffix("\ufffd")
            assert got == {key: want[key] for key in keys}, identifier


def _held_run(
    tmp_path: Path, site: HostileSite, db: str, attack: str = "retry_after_long", sign: str = "retry 1 of"
) -> subprocess.Popen[bytes]:
    """A harvest held by ``attack`` (by default waiting out a Retry-After of 290 s after its
    first page), once ``sign`` is in its log; its [http] timeout is 60 s."""
    site.attack = attack
    err = tmp_path / "held.txt"
    config = _config(tmp_path, site, "oai")
    config.write_text(config.read_text().replace("timeout = 5", "timeout = 60"))
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, "harvest", JOURNAL]
    with err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + MAX_SECONDS
    while sign not in err.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    return process


def _status(tmp_path: Path, db: str) -> str:
    return run_harvester(tmp_path, "status", config=tmp_path / "harvester.toml", db=db).stdout


def test_sigterm_ends_a_retry_after_wait_within_seconds(tmp_path: Path, site: HostileSite, db: str) -> None:
    process = _held_run(tmp_path, site, db)
    start = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=MAX_SECONDS)
    assert time.monotonic() - start < 10  # a cap for systemd's TimeoutStopSec, not a speed test
    assert _stored(db) == 2  # the page in hand committed
    assert ": interrupted," in _status(tmp_path, db)


def test_sigterm_cuts_a_response_in_flight(tmp_path: Path, site: HostileSite, db: str) -> None:
    process = _held_run(tmp_path, site, db, "header_drip_after_first_page", "2/6 records")
    start = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=MAX_SECONDS)
    assert time.monotonic() - start < 10
    assert _stored(db) == 2
    assert ": interrupted," in _status(tmp_path, db)


def test_status_tells_a_killed_run_from_a_live_one(tmp_path: Path, site: HostileSite, db: str) -> None:
    process = _held_run(tmp_path, site, db)
    assert "harvesting now" in _status(tmp_path, db)
    process.kill()
    process.wait()
    dead = _status(tmp_path, db)
    assert "dead (its process is gone" in dead
    assert "harvesting now" not in dead


def _secret_config(tmp_path: Path, site: HostileSite, oai_query: str = "") -> Path:
    """A source whose URL carries a password (user-info), and its OAI URL a query one too."""
    base = site.base_url.replace("http://", "http://ann:s3cret@")
    path = tmp_path / "harvester.toml"
    path.write_text(
        f'{HOSTILE_HTTP}\n[mirror]\npath = "{tmp_path / "files"}"\n[[sources]]\nname = "{JOURNAL}"\n'
        f'url = "{base}/index.php/{JOURNAL}"\noai_url = "{base}/index.php/{JOURNAL}/oai{oai_query}"\n'
        'strategy = "oai+html"\nmirror_galleys = true\n'
    )
    return path


def _dump(db: str) -> str:
    store = Store(db)
    try:
        with store.read() as conn:
            return "\n".join(conn.connection.driver_connection.iterdump())  # type: ignore[union-attr]
    finally:
        store.close()


def test_secrets_in_source_urls_never_leave_the_process(tmp_path: Path, site: HostileSite, db: str) -> None:
    path = _secret_config(tmp_path, site, "?password=s3cret")
    site.attack = "gzip_bomb"
    runs = [
        run_harvester(tmp_path, "-v", command, JOURNAL, config=path, db=db)
        for command in ("harvest", "mirror")
    ]
    runs += [run_harvester(tmp_path, command, config=path, db=db) for command in ("sources", "status")]
    runs += [run_harvester(tmp_path, "--log-format", "json", "harvest", JOURNAL, config=path, db=db)]
    assert "ann:***@" in runs[0].stderr  # the failing request's URL is there, masked
    assert "password=***" in runs[0].stderr
    for run in runs:
        assert "s3cret" not in run.stdout + run.stderr
    assert "ann:***@" in _dump(db)
    assert "s3cret" not in _dump(db)


def test_a_journal_behind_a_password_is_harvested_and_stored_masked(
    tmp_path: Path, site: HostileSite, db: str
) -> None:
    path = _secret_config(tmp_path, site)
    runs = [
        run_harvester(tmp_path, command, JOURNAL, config=path, db=db) for command in ("harvest", "mirror")
    ]
    again = run_harvester(tmp_path, "harvest", JOURNAL, config=path, db=db)
    assert [run.code for run in (*runs, again)] == [0, 0, 0]
    assert _stored(db) == len(site.articles(JOURNAL))
    assert re.search(r"(\d+) pages checked, \1 of them unchanged", again.stderr)  # found under masked URLs
    assert "s3cret" not in _dump(db)
    assert all("s3cret" not in run.stdout + run.stderr for run in (*runs, again))


def test_a_malformed_database_url_is_one_line_without_the_password(tmp_path: Path, site: HostileSite) -> None:
    config = _config(tmp_path, site, "oai")
    run = run_harvester(tmp_path, "status", config=config, db="postgresql+psycopg://ann:s3cret@db:notaport/h")
    assert run.code == 1
    assert run.error_lines() == [run.stderr.strip()]
    assert "not a database URL" in run.stderr
    assert "s3cret" not in run.stderr


def test_content_disposition_names_are_stored_as_safe_base_names(
    tmp_path: Path, site: HostileSite, db: str
) -> None:
    files = tmp_path / "files"
    config = _config(tmp_path, site, "html", f'[mirror]\npath = "{files}"\n', "mirror_galleys = true\n")
    assert run_harvester(tmp_path, "harvest", JOURNAL, config=config, db=db).code == 0
    site.attack = "path_in_disposition"
    run = run_harvester(tmp_path, "mirror", JOURNAL, config=config, db=db)
    _within_caps(run)
    assert run.code == 0, run.stderr
    store = Store(db)
    try:
        with store.read() as conn:
            names = {row[0] for row in conn.exec_driver_sql("SELECT file_name FROM galley_file_versions")}
    finally:
        store.close()
    assert names - {None} == {"escaped.pdf", "escaped"}
    assert not list(tmp_path.rglob("escaped*"))  # nothing written by that name
