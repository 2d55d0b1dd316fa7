"""Sources held in the database: the TOML synced into them, lists imported, enable/disable.

Real stores (SQLite and PostgreSQL), real HTTP to loopback OJS-shaped sites, the ``harvester``
command as a user runs it.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from harvester.fleet.lists import detect_format, journal_from_fields
from harvester.store import Store
from harvester.store.schema import sources
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite

# DSpace 7's Identify names no software (DSpace/DSpace dspace/config/crosswalks/oai/description.xml:
# an oai-identifier description only): an OAI-PMH endpoint, but not OJS's.
_DSPACE_IDENTIFY = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-01-01T00:00:00Z</responseDate><request verb="Identify">{endpoint}</request>
<Identify><repositoryName>DSpace at My University</repositoryName><baseURL>{endpoint}</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>dspace-help@myu.edu</adminEmail>
<earliestDatestamp>2019-05-02T10:11:12Z</earliestDatestamp><deletedRecord>transient</deletedRecord>
<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>"""

_ADMIN_EMAIL = "editor.private@example.org"


class _DSpace(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/index.php/repo/oai"
        body = _DSPACE_IDENTIFY.format(endpoint=endpoint).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def dspace() -> Iterator[str]:
    """The endpoint of a DSpace-like OAI-PMH provider on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DSpace)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.php/repo/oai"
    server.shutdown()
    server.server_close()


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=3, articles_per_journal=6, seed=11, page_size=5)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def harvester(*args: str, config: Path, db: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _listed(config: Path, db: str, *options: str) -> list[dict[str, Any]]:
    done = harvester("sources", "--json", *options, config=config, db=db)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _rejected(done: subprocess.CompletedProcess[str]) -> dict[int, str]:
    lines = [line for line in done.stderr.splitlines() if ": rejected: " in line]
    assert "Traceback" not in done.stderr
    return {int(line.split(":")[2]): line.split(": rejected: ", 1)[1] for line in lines}


def _beacon(site: OjsSite, dspace: str) -> str:
    unreachable = f"http://127.0.0.1:{_closed_port()}/index.php/gone/oai"
    rows = [
        "application,version,admin_email,oai_url,set_spec,context_name,issn,country,total_record_count",
        f"ojs,3.3.0.11,{_ADMIN_EMAIL},{site.oai_url('jsas')},jsas,Journal A,1234-5678,CA,6",
        f"ojs,3.3.0.11,{_ADMIN_EMAIL},{site.oai_url('mhc')},mhc,Journal B,,DE,6",
        f"ojs,3.3.0.11,{_ADMIN_EMAIL},{site.oai_url('clr')},clr",  # line 4: broken, fields missing
        f"ojs,3.3.0.11,{_ADMIN_EMAIL},{site.oai_url('jsas')}/,jsas,Journal A again,,CA,6",  # a duplicate
        f"ojs,3.4.0.8,{_ADMIN_EMAIL},{unreachable},gone,Gone Journal,,FR,1",
        f"ojs,3.4.0.8,{_ADMIN_EMAIL},{dspace},repo,Not a Journal,,US,9",
        f"omp,3.4.0.8,{_ADMIN_EMAIL},{site.base_url}/index.php/press/oai,press,A Press,,US,9",
        f"ojs,3.4.0.8,{_ADMIN_EMAIL},{site.base_url}/index.php/index/oai,,Site,,US,9",  # no set_spec
        f"ojs,3.3.0.11,{_ADMIN_EMAIL},{site.oai_url('clr')},clr,Journal C,,IT,6",
    ]
    return "\n".join(rows) + "\n"


@pytest.mark.slow
def test_beacon_import_keeps_the_good_rows_and_names_each_bad_one(
    tmp_path: Path, db_url: str, store: Store, site: OjsSite, dspace: str
) -> None:
    config = write_config(tmp_path, {})
    beacon = tmp_path / "beacon.csv"
    beacon.write_text(_beacon(site, dspace), encoding="utf-8")

    done = harvester("sources", "import", str(beacon), config=config, db=db_url)
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == f"{beacon}: 3 added, 0 updated, 0 unchanged, 6 rejected"
    rejected = _rejected(done)
    assert set(rejected) == {4, 5, 6, 7, 8, 9}
    assert rejected[4] == "broken row: 5 fields where the header has 9"
    assert rejected[5] == "duplicate of line 2 (the same journal)"
    assert "OAI-PMH endpoint does not answer" in rejected[6] and "refused" in rejected[6]
    assert "not an OJS endpoint" in rejected[7]
    assert rejected[8] == "not an OJS journal (application 'omp')"
    assert "needs a set_spec" in rejected[9]

    listed = _listed(config, db_url)
    assert [(s["name"], s["origin"], s["enabled"]) for s in listed] == [
        ("127.0.0.1-{}-{}".format(site.base_url.rsplit(":", 1)[1], path), "import", True)
        for path in ("clr", "jsas", "mhc")
    ]
    jsas = listed[1]
    assert jsas["url"] == site.journal_url("jsas") and jsas["oai_url"] == site.oai_url("jsas")
    assert jsas["details"] == {
        "application": "ojs", "context_name": "Journal A", "country": "CA", "issn": "1234-5678",
        "set_spec": "jsas", "version": "3.3.0.11",
    }  # fmt: skip
    with store.read() as conn:
        everything = json.dumps([list(map(str, row)) for row in conn.execute(select(sources))])
    assert _ADMIN_EMAIL not in everything  # personal data is never stored

    again = harvester("sources", "import", str(beacon), config=config, db=db_url)
    assert again.stdout.strip() == f"{beacon}: 0 added, 0 updated, 3 unchanged, 6 rejected"
    assert _listed(config, db_url) == listed

    harvested = harvester("harvest", "--all", config=config, db=db_url)
    assert harvested.returncode == 0, harvested.stderr
    assert harvested.stdout.count(": ok: ") == 3  # imported journals are harvested like configured ones
    assert sum(s["articles"] for s in _listed(config, db_url)) == len(
        [a for a in site.articles() if not a.deleted]
    )


@pytest.mark.slow
def test_a_changed_row_is_updated_and_a_disabled_journal_stays_disabled(
    tmp_path: Path, db_url: str, site: OjsSite
) -> None:
    config = write_config(tmp_path, {})
    lines = tmp_path / "journals.jsonl"
    one = {"url": site.journal_url("jsas"), "schedule": "1d", "admin_email": _ADMIN_EMAIL}
    lines.write_text(
        json.dumps(one)
        + "\n{not json\n"
        + json.dumps({"url": site.journal_url("mhc"), "schedule": "often"})
        + "\n",
        encoding="utf-8",
    )
    done = harvester("sources", "import", "--no-check", str(lines), config=config, db=db_url)
    assert done.stdout.strip().endswith("1 added, 0 updated, 0 unchanged, 2 rejected")
    rejected = _rejected(done)
    assert rejected[2].startswith("not JSON: ")
    assert rejected[3].startswith("schedule: 'often' is neither an interval")
    name = _listed(config, db_url)[0]["name"]

    assert (
        harvester("sources", "disable", name, config=config, db=db_url).stdout.strip() == f"{name}: disabled"
    )
    lines.write_text(json.dumps({**one, "schedule": "2d"}) + "\n", encoding="utf-8")
    done = harvester("sources", "import", "--no-check", str(lines), config=config, db=db_url)
    assert done.returncode == 0 and done.stdout.strip().endswith(
        "0 added, 1 updated, 0 unchanged, 0 rejected"
    )
    [row] = _listed(config, db_url)
    assert (row["schedule"], row["enabled"]) == ("2d", False)  # the user's disable survives a re-import
    assert _listed(config, db_url, "--enabled") == []
    assert harvester("harvest", "--all", config=config, db=db_url).stdout == ""

    assert harvester("sources", "enable", name, config=config, db=db_url).returncode == 0
    assert [s["name"] for s in _listed(config, db_url, "--enabled", "--match", "jsas")] == [name]
    unknown = harvester("sources", "enable", "nope", config=config, db=db_url)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "harvester: error: unknown source 'nope' (see harvester sources)"


@pytest.mark.slow
def test_a_list_of_urls_is_resolved_through_discovery(
    tmp_path: Path, db_url: str, site: OjsSite, dspace: str
) -> None:
    config = write_config(tmp_path, {})
    urls = tmp_path / "urls.txt"
    gone = f"http://127.0.0.1:{_closed_port()}/index.php/j/issue/archive"
    article = site.articles("mhc")[0].url()
    other = dspace.split("/index.php", 1)[0] + "/"
    urls.write_text(f"# journals\n{article}\n{gone}\n{other}\nnot a url\n", encoding="utf-8")
    done = harvester("sources", "import", str(urls), config=config, db=db_url)
    assert done.stdout.strip().endswith("1 added, 0 updated, 0 unchanged, 3 rejected")
    rejected = _rejected(done)
    assert rejected[3].startswith(f"{gone}: unreachable: ")
    assert rejected[4].startswith(f"{other}: not an OJS journal")
    assert rejected[5] == "'not a url' is not an http(s) URL"
    [row] = _listed(config, db_url)
    assert (row["url"], row["oai_url"], row["strategy"]) == (
        site.journal_url("mhc"), site.oai_url("mhc"), "oai+html"
    )  # fmt: skip


@pytest.mark.slow
def test_the_toml_is_synced_and_a_removed_source_is_disabled_with_its_data_kept(
    tmp_path: Path, db_url: str, store: Store, site: OjsSite
) -> None:
    config = write_config(tmp_path, {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")})
    assert harvester("harvest", "jsas", config=config, db=db_url).returncode == 0
    write_config(tmp_path, {"mhc": site.journal_url("mhc")})
    rows = {row["name"]: row for row in _listed(config, db_url)}
    assert (rows["jsas"]["enabled"], rows["jsas"]["origin"]) == (False, "config")
    assert rows["jsas"]["articles"] == len([a for a in site.articles("jsas") if not a.deleted])
    assert rows["mhc"]["enabled"] is True
    status = harvester("status", config=config, db=db_url)
    assert "jsas: disabled" in status.stdout
    plain = harvester("sources", config=config, db=db_url).stdout.splitlines()
    assert plain[0].startswith("mhc\tenabled") and plain[1].startswith("jsas\tdisabled")

    write_config(tmp_path, {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")})
    assert [s["name"] for s in _listed(config, db_url, "--enabled")] == ["jsas", "mhc"]  # back in the TOML
    with store.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM sources")).scalar() == 2


@pytest.mark.slow
def test_a_worker_needs_postgresql(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    done = harvester("worker", config=config, db=f"sqlite:///{tmp_path / 'h.db'}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "harvester: error: harvester worker needs a PostgreSQL store (the job queue lives there); "
        "sqlite stores are worked by harvester run alone"
    ]


@pytest.mark.parametrize(
    ("fields", "url", "oai_url", "sets"),
    [
        (  # a site-wide endpoint and a journal's set: the journal's pages beside the site's context
            {"oai_url": "https://ojs.example.org/index.php/index/oai", "set_spec": "jsas"},
            "https://ojs.example.org/index.php/jsas",
            "https://ojs.example.org/index.php/index/oai",
            ("jsas",),
        ),
        (  # a journal's own endpoint: its base URL, no set needed
            {"oai_url": "https://ojs.example.org/index.php/jsas/oai/", "set_spec": "jsas"},
            "https://ojs.example.org/index.php/jsas",
            "https://ojs.example.org/index.php/jsas/oai",
            (),
        ),
        (  # a section set on a journal's endpoint is kept
            {"oai_url": "https://ojs.example.org/index.php/jsas/oai", "set_spec": "jsas:ART"},
            "https://ojs.example.org/index.php/jsas",
            "https://ojs.example.org/index.php/jsas/oai",
            ("jsas:ART",),
        ),
        (  # an install in a folder of its host
            {"oai_url": "https://ojs.example.org/journals/index.php/index/oai", "set_spec": "law"},
            "https://ojs.example.org/journals/index.php/law",
            "https://ojs.example.org/journals/index.php/index/oai",
            ("law",),
        ),
    ],
)
def test_beacon_rows_name_their_journal(
    fields: dict[str, str], url: str, oai_url: str, sets: tuple[str, ...]
) -> None:
    journal = journal_from_fields(fields, {})
    assert (journal.url, journal.oai_url, journal.sets) == (url, oai_url, sets)
    assert journal.name == f"ojs.example.org-{url.rsplit('/', 1)[1]}"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"oai_url": "ftp://ojs.example.org/index.php/j/oai"}, "is not an http(s) URL"),
        ({"oai_url": "https://repo.example.org/oai/request"}, "is not an OJS endpoint"),
        ({"set_spec": "j"}, "no oai_url (nor url)"),
        ({"oai_url": "https://u:pw@ojs.example.org/index.php/j/oai"}, "carries a password"),
        ({"oai_url": "https://ojs.example.org/index.php/j/oai", "application": "ops"}, "application 'ops'"),
    ],
)
def test_unusable_beacon_rows_say_why(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        journal_from_fields(fields, {})


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("beacon.csv", "", "csv"),
        ("list.ndjson", "", "jsonl"),
        ("-", '{"url": "https://x.org/index.php/j"}\n', "jsonl"),
        ("-", "context_name,oai_url,set_spec\n", "csv"),
        ("journals.txt", "https://x.org/index.php/j\n", "urls"),
    ],
)
def test_the_format_is_told_by_extension_or_first_line(name: str, text: str, expected: str) -> None:
    assert detect_format(name, text) == expected
