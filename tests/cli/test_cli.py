"""The command line as a user meets it: help, output, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from harvester.cli import main
from harvester.store import Store
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite

ROOT = Path(__file__).resolve().parents[2]


def _command_names(group: click.Group, prefix: str = "") -> list[str]:
    """Every command and subcommand of the ``harvester`` group, as typed after ``harvester``."""
    names = []
    for name, command in sorted(group.commands.items()):
        names.append(prefix + name)
        if isinstance(command, click.Group):
            names += _command_names(command, f"{prefix}{name} ")
    return names


COMMANDS = tuple(_command_names(main))


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=2, articles_per_journal=12, seed=5, page_size=5)


@pytest.fixture
def config(tmp_path: Path, site: OjsSite) -> Path:
    path = write_config(tmp_path, {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")})
    path.write_text(path.read_text(encoding="utf-8") + "enabled = false\n", encoding="utf-8")  # mhc: off
    return path


def harvester(
    *args: str, config: Path | None = None, db: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harvester"]
    if config:
        command += ["--config", str(config)]
    if db:
        command += ["--db", db]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, check=False)


def _one_line_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("harvester: error:")]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return errors[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    done = harvester(*command.split(), "--help")
    assert done.returncode == 0
    assert "Usage:" in done.stdout
    assert f"harvester {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_loads_no_harvesting_library(command: str) -> None:
    """Start-up stays quick: help imports click, not the libraries the commands run on."""
    probe = (
        "import sys\n"
        "from harvester.cli import main\n"
        "try:\n"
        f"    main([*{command.split()!r}, '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'sickle', 'requests', 'lxml', 'pydantic', 'apscheduler', 'rich', 'alembic')\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "Usage:" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_harvest_export_history_sources(config: Path, db_url: str, site: OjsSite) -> None:
    done = harvester("harvest", "--all", config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    live = sum(not a.deleted for a in site.articles("jsas"))
    assert re.search(rf"jsas: ok: {live} new, 0 changed, 0 unchanged, 1 deleted", done.stdout)
    assert "mhc" not in done.stdout  # disabled sources stay out of --all

    exported = [
        json.loads(line) for line in harvester("export", config=config, db=db_url).stdout.splitlines()
    ]
    assert len(exported) == len(site.articles("jsas"))
    first = next(row for row in exported if not row["deleted"])
    assert isinstance(first["authors"], list)
    assert first["authors"][0]["name"]

    table = list(
        csv.DictReader(io.StringIO(harvester("export", "--format", "csv", config=config, db=db_url).stdout))
    )
    assert {row["oai_identifier"] for row in table} == {row["oai_identifier"] for row in exported}

    store = Store(db_url)
    with store.read() as conn:
        last_seq = conn.exec_driver_sql("SELECT MAX(seq) FROM changes").scalar_one()
    store.close()
    site.edit("jsas", int(first["oai_identifier"].rsplit("/", 1)[1]), title="Changed For The Feed")
    assert harvester("harvest", "jsas", config=config, db=db_url).returncode == 0
    since = harvester("export", "--since", str(last_seq), config=config, db=db_url).stdout.splitlines()
    assert [json.loads(line)["title"] for line in since] == ["Changed For The Feed"]

    history = harvester("history", first["oai_identifier"], config=config, db=db_url)
    assert history.returncode == 0, history.stderr
    assert "version 2" in history.stdout
    assert 'title: "' in history.stdout and '-> "Changed For The Feed"' in history.stdout

    sources = harvester("sources", config=config, db=db_url).stdout.splitlines()
    assert sources[0].startswith("jsas\tenabled") and "ok" in sources[0]
    assert sources[1].startswith("mhc\tdisabled") and "never harvested" in sources[1]


def test_harvest_a_journal_url_that_is_not_configured(config: Path, db_url: str, site: OjsSite) -> None:
    done = harvester("harvest", site.journal_url("mhc"), config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    assert re.match(r"127\.0\.0\.1-\d+-mhc: ok: 11 new", done.stdout)


def test_unknown_source_is_one_clear_line(config: Path, db_url: str) -> None:
    line = _one_line_error(harvester("harvest", "nope", config=config, db=db_url), 1)
    assert "unknown source 'nope'" in line
    assert "jsas" in line


def test_unreachable_host_is_one_line_and_keeps_stored_data(
    config: Path, db_url: str, tmp_path: Path
) -> None:
    assert harvester("harvest", "jsas", config=config, db=db_url).returncode == 0
    before = harvester("export", config=config, db=db_url).stdout
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = _one_line_error(
        harvester("harvest", f"http://127.0.0.1:{port}/index.php/x", config=config, db=db_url), 1
    )
    assert f"127.0.0.1:{port}" in line and "connection refused" in line
    assert harvester("export", config=config, db=db_url).stdout == before


def test_wrong_url_is_one_line(config: Path, db_url: str, site: OjsSite) -> None:
    line = _one_line_error(
        harvester("harvest", f"{site.base_url}/index.php/nosuchjournal", config=config, db=db_url), 1
    )
    assert "nosuchjournal" in line and "404" in line


def test_history_of_an_unknown_article(config: Path, db_url: str) -> None:
    assert "no article known as" in _one_line_error(
        harvester("history", "10.9999/none", config=config, db=db_url), 1
    )


def test_bad_backfill_date(config: Path, db_url: str) -> None:
    assert "not a date" in _one_line_error(
        harvester("backfill", "jsas", "--from", "May", config=config, db=db_url), 2
    )


def test_bad_database_url_is_one_line(config: Path) -> None:
    assert "not a database URL" in _one_line_error(harvester("sources", config=config, db="nonsense"), 1)


def test_db_upgrade(config: Path, db_url: str) -> None:
    done = harvester("db", "upgrade", config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    assert "newest schema" in done.stdout


def test_json_log_format_is_one_object_per_line(config: Path, db_url: str, site: OjsSite) -> None:
    done = harvester("--log-format", "json", "harvest", "jsas", config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    finished = next(line for line in lines if line.get("status") == "ok")
    assert finished["source"] == "jsas"
    assert finished["host"] == site.base_url.removeprefix("http://")
    assert finished["counts"] == {"new": 11, "changed": 0, "unchanged": 0, "deleted": 1}
    text = harvester("harvest", "jsas", config=config, db=db_url)
    assert f"jsas ({finished['host']}): ok: 0 new, 0 changed, 0 unchanged, 0 deleted" in text.stderr


def _free_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_status_exit_code_follows_the_last_n_runs(tmp_path: Path, db_url: str, site: OjsSite) -> None:
    down = f"http://127.0.0.1:{_free_port()}/index.php/down"
    config = write_config(
        tmp_path, {"jsas": site.journal_url("jsas"), "down": down, "mhc": site.journal_url("mhc")}
    )
    config.write_text(config.read_text(encoding="utf-8") + "enabled = false\n", encoding="utf-8")  # mhc: off
    fresh = harvester("status", config=config, db=db_url)
    assert fresh.returncode == 0, fresh.stderr
    assert "jsas: healthy; never harvested; due now (never harvested)" in fresh.stdout
    assert "mhc: disabled" in fresh.stdout

    assert harvester("harvest", "jsas", config=config, db=db_url).returncode == 0
    for _ in range(2):
        assert harvester("harvest", "down", config=config, db=db_url).returncode == 1
    two = harvester("status", config=config, db=db_url)
    assert two.returncode == 0, two.stdout
    assert harvester("harvest", "down", config=config, db=db_url).returncode == 1

    three = harvester("status", config=config, db=db_url)
    assert three.returncode == 1, three.stdout
    lines = three.stdout.splitlines()
    assert re.match(
        r"jsas: healthy; last harvest \S+ \S+ UTC \(just now\): ok, 11 new, 0 changed, 1 deleted; next due ",
        lines[0],
    )
    assert lines[1].startswith("down: FAILING (failed its last 3 run(s)); last harvest ")
    assert lines[2].startswith("  last error ") and "connection refused" in lines[2]
    assert lines[-1] == "failing: down"
    assert harvester("status", "--failures", "4", config=config, db=db_url).returncode == 0
