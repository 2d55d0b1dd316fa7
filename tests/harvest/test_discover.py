"""``harvester discover``: from any URL of an OJS site to a ready-to-paste ``[[sources]]`` block.

Real HTTP on loopback only: the recorded real OJS 3.3 site (``replay.py``) and a small local
server (below) for the URL forms, versions and failures the recording does not cover.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner

from harvester.cli import main
from harvester.config import HttpSettings, Settings, load_settings
from harvester.errors import NetworkError, PermanentHTTPStatusError, RobotsDisallowedError
from harvester.fetch.client import HttpClient
from harvester.harvest.discover import Discovery, discover, not_ojs_reason
from harvester.harvest.discover_report import format_discovery, sources_toml
from harvester.harvest.oai import OaiClient
from harvester.ojs.urls import article_url, galley_download_url, parse_ojs_url
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite
from tests.site.replay import ReplaySite, recorded_site_dir

ROOT = Path(__file__).resolve().parents[2]
RECORDED = "jsas_ojs3.3.0-11"
H = "https://host.example"
J = f"{H}/index.php/jsas"

# --- pure: URL shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "path", "route", "strong"),
    [
        (f"{J}/article/view/12", J, "jsas", "article/view/12", True),
        (f"{J}/article/view/12/7", J, "jsas", "article/view/12/7", True),
        (f"{J}/article/download/1/2/3", J, "jsas", "article/download/1/2/3", True),
        (f"{J}/article/viewFile/1/2", J, "jsas", "article/viewFile/1/2", True),
        (f"{H}/ojs/index.php/jsas/issue/archive/2", f"{H}/ojs/index.php/jsas", "jsas", "issue/archive/2",
         True),
        (f"{J}/issue/view/6", J, "jsas", "issue/view/6", True),
        (f"{J}/oai", J, "jsas", "oai", True),
        (f"{J}/gateway/plugin/WebFeedGatewayPlugin/atom", J, "jsas",
         "gateway/plugin/WebFeedGatewayPlugin/atom", True),
        (J, J, "jsas", "", False),
        (f"{J}/", J, "jsas", "", False),
        (f"{J}/about", J, "jsas", "about", False),
        (f"{H}/index.php/index", f"{H}/index.php/index", "index", "", False),
        (f"{H}/index.php/index/oai", f"{H}/index.php/index", "index", "oai", True),
        (f"{H}/jsas/article/view/3", f"{H}/jsas", "jsas", "article/view/3", True),
        (f"{H}/jsas/issue/archive", f"{H}/jsas", "jsas", "issue/archive", True),
        (f"{H}/index/oai", f"{H}/index", "index", "oai", True),
        (f"{H}/article/view/3", H, None, "article/view/3", True),
        (f"{H}/issue/current", H, None, "issue/current", True),
        (f"{H}/oai?verb=Identify", H, None, "oai", True),
        (f"{H}/index.php/article/view/3", f"{H}/index.php", None, "article/view/3", True),
        (f"{H}/index.php/stats/article/view/3", f"{H}/index.php/stats", "stats", "article/view/3", True),
        (f"{J}/en/article/view/3", J, "jsas", "en/article/view/3", True),  # OJS 3.5, multilingual
        (f"{J}/pt_BR/issue/archive", J, "jsas", "pt_BR/issue/archive", True),
        (f"{H}/index.php/stats/en/issue/current", f"{H}/index.php/stats", "stats", "en/issue/current", True),
        (f"{H}/j/article/viewDownloadInterstitial/7/12", f"{H}/j", "j",
         "article/viewDownloadInterstitial/7/12", True),  # OJS 2, rewritten
        (f"{H}/index.php?journal=j&page=article&op=view&path%5B%5D=3", f"{H}/index.php?journal=j", "j",
         "article/view/3", True),
        (f"{H}/index.php?journal=j&page=issue&op=archive", f"{H}/index.php?journal=j", "j", "issue/archive",
         True),
        (f"{H}/index.php?journal=j", f"{H}/index.php?journal=j", "j", "", False),
    ],
)  # fmt: skip
def test_parse_ojs_url(url: str, base: str, path: str | None, route: str, strong: bool) -> None:
    """Where any URL sits in an OJS site: journal base, journal path, ``page/op/args``."""
    shape = parse_ojs_url(url)
    assert shape is not None
    parts = "/".join(part for part in (shape.locale, shape.page, shape.op, *shape.args) if part)
    assert (shape.root, shape.journal, parts, shape.strong) == (base, path, route, strong)


def test_ojs_3_5_locale_stays_in_canonical_urls() -> None:
    """The page parsers' canonical URLs keep the locale segment of the URL they were given."""
    assert article_url(f"{J}/en/article/view/3/5") == f"{J}/en/article/view/3"
    assert galley_download_url(f"{J}/fr_CA/article/view/3/5") == f"{J}/fr_CA/article/download/3/5"


@pytest.mark.parametrize(
    "url",
    [
        f"{H}/",
        H,
        f"{H}/index.php",
        f"{H}/blog/2024/05/hello",
        f"{H}/about",  # too common a path to mean OJS without index.php
        f"{H}/news/article/12",
        "ftp://host.example/index.php/j/article/view/1",
        "not a url",
    ],
)
def test_urls_without_an_ojs_shape(url: str) -> None:
    assert parse_ojs_url(url) is None


# --- a local server for the cases the recording lacks ----------------------------------------------

OJS33 = "Open Journal Systems 3.3.0.11"
NOT_FOUND = (404, "text/html; charset=UTF-8", b"<h1>404 Not Found</h1>")


class LocalSite:
    """A loopback server answering ``add``-ed routes (query order ignored), 404 otherwise."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[int, str, bytes]] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.site = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, target: str, body: str | bytes, status: int = 200, content_type: str = "") -> str:
        """Serve ``body`` at ``target`` (path and query); returns its absolute URL."""
        parts = urlsplit(target)
        data = body.encode() if isinstance(body, str) else body
        kind = content_type or (
            "text/xml;charset=UTF-8" if data.startswith(b"<?xml") else "text/html; charset=utf-8"
        )
        self.routes[(parts.path, _query_key(parts.query))] = (status, kind, data)
        return self.base + target

    def answer(self, raw: str) -> tuple[int, str, bytes]:
        parts = urlsplit(raw)
        self.requests.append(raw)
        return self.routes.get((parts.path, _query_key(parts.query)), NOT_FOUND)


def _query_key(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, kind, body = self.server.site.answer(self.path)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def ojs3_page(
    route: Callable[[str], str], *, title: str = "Journal of Tests", generator: str | None = OJS33
) -> str:
    """An OJS 3 article page (default theme) whose links come from ``route("page/op")``."""
    meta = f'<meta name="generator" content="{generator}">' if generator else ""
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8"><title>An Article | {title}</title>
{meta}<meta name="citation_journal_title" content="{title}"/>
<link rel="stylesheet" href="{route("$$$call$$$/page/page/css")}" type="text/css" />
</head><body class="pkp_page_article pkp_op_view"><div class="pkp_structure_page">
<div class="pkp_site_name"><a href="	{route("index")}
	" class="is_text">{title}</a></div>
<ul id="navigationPrimary" class="pkp_navigation_primary pkp_nav_list">
<li><a href="{route("issue/current")}">Current</a></li>
<li><a href="{route("issue/archive")}">Archives</a></li>
<li><a href="{route("about")}">About</a></li>
<li><a href="{route("about/submissions")}">Submissions</a></li></ul>
<div class="obj_article_details"><h1 class="page_title">An Article</h1>
<a class="obj_galley_link pdf" href="{route("article/view/3/5")}">PDF</a></div>
<div class="item references"><a href="https://other.example/index.php/x/article/view/9">ref</a></div>
</div></body></html>"""


def identify(endpoint: str, name: str, version: str = "3.3.0.11") -> str:
    """An OJS-shaped Identify answer."""
    endpoint = escape(endpoint)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-01-01T00:00:00Z</responseDate><request verb="Identify">{endpoint}</request>
<Identify><repositoryName>{name}</repositoryName><baseURL>{endpoint}</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>
<earliestDatestamp>2020-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent</deletedRecord>
<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>
<description><toolkit xmlns="http://oai.dlib.vt.edu/OAI/metadata/toolkit"><title>Open Journal Systems</title>
<version>{version}</version></toolkit></description></Identify></OAI-PMH>"""


def path_route(base: str) -> Callable[[str], str]:
    return lambda route: f"{base}/{route}"


def query_route(base: str, journal: str) -> Callable[[str], str]:
    """Links of an install with path info off: ``index.php?journal=J&page=P&op=O&path[]=…``."""

    def route(target: str) -> str:
        page, *rest = target.split("/")
        pairs = [("journal", journal), ("page", page), *(("op", op) for op in rest[:1])]
        return f"{base}/index.php?" + urlencode([*pairs, *(("path[]", arg) for arg in rest[1:])])

    return route


@pytest.fixture
def local() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(HttpSettings(requests_per_second=1000, max_retries=0, backoff=0)) as client:
        yield client


def loads(tmp_path: Path, found: Discovery) -> Settings:
    """The printed blocks, written to a config file and loaded as the harvester loads it."""
    path = tmp_path / "discovered.toml"
    path.write_text(sources_toml(found), encoding="utf-8")
    return load_settings(str(path), environ={})


# --- the recorded real OJS 3.3 site ----------------------------------------------------------------


@pytest.fixture
def recorded() -> Iterator[ReplaySite]:
    site_dir = recorded_site_dir(RECORDED)
    with ReplaySite(site_dir) as site:
        yield site


@pytest.mark.parametrize(
    "path",
    [
        "/index.php/jsas/article/view/1",  # article
        "/index.php/jsas/issue/view/6",  # issue
        "/index.php/jsas/article/view/1/1",  # galley (pdf.js viewer)
        "/index.php/jsas/article/download/1/1",  # galley file
        "/index.php/jsas/issue/archive",  # archive
        "/index.php/jsas",  # journal home
        "/",  # site root: a 302 to the only journal
        "/index.php/index",  # site index: the same 302
        "/index.php/jsas/oai",  # the OAI endpoint itself
    ],
)
def test_recorded_site_from_any_url(
    recorded: ReplaySite, http: HttpClient, path: str, tmp_path: Path
) -> None:
    found = discover(recorded.base_url + path, http)
    assert found.is_ojs
    assert found.version == recorded.ojs_version == "3.3.0.11"
    assert found.site_url == recorded.base_url
    [journal] = found.journals
    assert (journal.path, journal.base_url) == ("jsas", recorded.journal_url)
    assert (journal.oai_url, journal.oai_ok, journal.strategy) == (recorded.oai_url, True, "oai+html")
    assert journal.title == journal.repository_name == "Journal of South Asian Studies"
    [source] = loads(tmp_path, found).sources
    assert (source.name, source.url, source.endpoint, source.strategy) == (
        "jsas",
        recorded.journal_url,
        recorded.oai_url,
        "oai+html",
    )
    assert all(status < 500 for _, _, status in recorded.requests)


def test_recorded_site_evidence_and_politeness(recorded: ReplaySite, http: HttpClient) -> None:
    found = discover(f"{recorded.base_url}/index.php/jsas/article/download/1/1", http)
    paths = [path for path, _, _ in recorded.requests]
    assert paths[0] == "/robots.txt"
    assert "/index.php/jsas/article/download/1/1" not in paths  # a PDF is not fetched to learn the base
    assert found.generator == "Open Journal Systems 3.3.0.11"
    assert found.markup == "pkp_structure_page"
    assert found.site_oai_ok is None  # the journal's endpoint answered: no need for the site-wide one
    evidence = "\n".join(found.evidence)
    assert "a file download (article/download)" in evidence
    assert f"OAI-PMH Identify at {recorded.oai_url}: answers" in evidence
    assert "index.php/index: redirects to" in evidence and "(one journal)" in evidence


def test_recorded_site_through_the_cli(recorded: ReplaySite, tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    url = f"{recorded.base_url}/index.php/jsas/article/view/7"
    done = CliRunner().invoke(main, ["--config", str(config), "discover", url])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"{url}: OJS 3.3.0.11\n")
    block = done.output[done.output.index("# Journal of South Asian Studies") :]
    assert block == (
        "# Journal of South Asian Studies\n[[sources]]\n"
        f'name = "jsas"\nurl = "{recorded.journal_url}"\noai_url = "{recorded.oai_url}"\n'
        'strategy = "oai+html"\n'
    )
    as_json = CliRunner().invoke(main, ["--config", str(config), "discover", "--json", url])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert (data["is_ojs"], data["version"]) == (True, "3.3.0.11")
    assert data["journals"][0]["oai_url"] == recorded.oai_url
    assert data["journals"][0]["oai_ok"] is True


def test_generated_ojs_site_pages(http: HttpClient) -> None:
    """Discovery from an article page of the OJS-shaped test server."""
    with OjsSite.generate(journals=2, articles_per_journal=3, seed=1) as site:
        article = next(a for a in site.articles("mhc") if not a.deleted)
        found = discover(f"{site.journal_url('mhc')}/article/view/{article.id}", http)
        [journal] = found.journals
        assert (journal.path, journal.base_url) == ("mhc", site.journal_url("mhc"))
        assert (journal.oai_url, journal.oai_ok) == (site.oai_url("mhc"), True)
        assert found.is_ojs and found.version


# --- URL forms, versions and sites the recording does not cover -------------------------------------


def test_index_php_query_form(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    route = query_route(local.base, "j")
    url = local.add("/index.php?journal=j&page=article&op=view&path%5B%5D=3", ojs3_page(route))
    local.add("/index.php?journal=j&page=oai&verb=Identify", identify(route("oai"), "Journal of Tests"))
    found = discover(url, http)
    [journal] = found.journals
    assert (journal.path, journal.base_url) == ("j", f"{local.base}/index.php?journal=j")
    assert (journal.oai_url, journal.oai_ok) == (f"{local.base}/index.php?journal=j&page=oai", True)
    assert found.site_url == local.base
    [source] = loads(tmp_path, found).sources
    assert source.endpoint == journal.oai_url
    assert "/index.php?journal=index" in "\n".join(found.evidence)  # the site index was looked at

    from_oai = discover(f"{route('oai')}&verb=ListRecords&metadataPrefix=oai_dc", http)  # no big page fetched
    assert [(j.base_url, j.oai_ok) for j in from_oai.journals] == [(journal.base_url, True)]
    assert not any("ListRecords" in line for line in local.requests)


def test_rewritten_urls(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    url = local.add("/j/article/view/3", ojs3_page(path_route(f"{local.base}/j")))
    local.add("/j/oai?verb=Identify", identify(f"{local.base}/j/oai", "Journal of Tests"))
    found = discover(url, http)
    [journal] = found.journals
    assert (journal.path, journal.base_url, journal.oai_url) == (
        "j",
        f"{local.base}/j",
        f"{local.base}/j/oai",
    )
    assert journal.oai_ok and found.is_ojs and found.site_url == local.base
    assert [s.url for s in loads(tmp_path, found).sources] == [f"{local.base}/j"]


@pytest.mark.parametrize(
    ("script", "page"),
    [("", "/"), ("", "/article/view/3"), ("/index.php", "/index.php/article/view/3")],
)
def test_journal_on_its_own_host(
    local: LocalSite, http: HttpClient, tmp_path: Path, script: str, page: str
) -> None:
    base = local.base + script  # the host root, or its index.php when URLs are not rewritten
    local.add(page, ojs3_page(path_route(base), title="Own Host Review"))
    local.add(f"{script}/oai?verb=Identify", identify(f"{base}/oai", "Own Host Review"))
    found = discover(local.base + page, http)
    [journal] = found.journals
    assert (journal.path, journal.base_url, journal.oai_url) == (None, base, f"{base}/oai")
    assert journal.oai_ok and journal.title == "Own Host Review"
    assert found.site_url == local.base
    assert not any("/index/" in line or line.endswith("/index") for line in local.requests)  # no site index
    [source] = loads(tmp_path, found).sources
    assert source.name == f"127.0.0.1-{urlsplit(local.base).port}"
    assert source.url == base


SITE_INDEX = """<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>Hosted Journals</title>
<meta name="generator" content="Open Journal Systems 3.4.0.4">
<link rel="stylesheet" type="text/css"
 href="{base}/index.php/index/$$$call$$$/page/page/css?name=stylesheet" />
</head><body class="pkp_page_index pkp_op_index"><div class="pkp_structure_page">
<div class="pkp_site_name"><a href="{base}/index.php/index/index">Hosted Journals</a></div>
<div class="page_index_site"><div class="journals"><h2>Journals</h2><ul>
<li class="has_thumb"><div class="thumb"><a href="{base}/index.php/first"><img src="x.png" alt="x"></a></div>
<div class="body"><h3><a href="{base}/index.php/first" rel="bookmark">First &amp; Foremost</a></h3>
<ul class="links"><li class="view"><a href="{base}/index.php/first">View Journal</a></li>
<li class="current"><a href="{base}/index.php/first/issue/current">Current Issue</a></li></ul></div></li>
<li><div class="body"><h3><a href="{base}/index.php/second" rel="bookmark">Second Journal</a></h3>
<ul class="links"><li class="view"><a href="{base}/index.php/second">View Journal</a></li>
<li class="current"><a href="{base}/index.php/second/issue/current">Current Issue</a></li></ul></div></li>
</ul></div></div></div></body></html>"""


def test_multi_journal_site_index(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    index = SITE_INDEX.format(base=local.base)
    local.add("/", index)
    local.add("/index.php/index", index)
    local.add("/index.php/first/oai?verb=Identify", identify(f"{local.base}/index.php/first/oai", "First"))
    found = discover(f"{local.base}/", http)  # "second" has its OAI switched off
    assert found.is_ojs and found.version == "3.4.0.4"
    assert [(j.path, j.title, j.oai_ok, j.strategy) for j in found.journals] == [
        ("first", "First & Foremost", True, "oai+html"),
        ("second", "Second Journal", False, "html"),
    ]
    settings = loads(tmp_path, found)
    assert [(s.name, s.url, s.oai_url, s.strategy) for s in settings.sources] == [
        ("first", f"{local.base}/index.php/first", f"{local.base}/index.php/first/oai", "oai+html"),
        ("second", f"{local.base}/index.php/second", None, "html"),
    ]

    local.add("/index.php/first/article/view/3", ojs3_page(path_route(f"{local.base}/index.php/first")))
    from_article = discover(f"{local.base}/index.php/first/article/view/3", http)
    assert [j.path for j in from_article.journals] == ["first"]  # the block is for the journal asked about
    assert [j.path for j in from_article.site_journals] == ["first", "second"]  # the site's others are named
    runner = CliRunner().invoke(
        main,
        [
            "--config",
            str(write_config(tmp_path, {})),
            "discover",
            f"{local.base}/index.php/first/article/view/3",
        ],
    )
    assert "the site also hosts 1 other journal(s)" in runner.output
    assert f"second: Second Journal ({local.base}/index.php/second)" in runner.output


OJS2_ARTICLE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en-US" xml:lang="en-US">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>An Old Article | Old Journal</title>
<meta name="generator" content="Open Journal Systems 2.4.8.0" />
<link rel="stylesheet" href="{base}/lib/pkp/styles/pkp.css" type="text/css" />
</head><body id="pkp-common-openJournalSystems"><div id="container"><div id="header">
<div id="headerTitle"><h1>Old Journal</h1></div></div>
<div id="navbar"><ul class="menu"><li id="home"><a href="{j}/index">Home</a></li>
<li id="about"><a href="{j}/about">About</a></li><li id="search"><a href="{j}/search">Search</a></li>
<li id="current"><a href="{j}/issue/current">Current</a></li>
<li id="archives"><a href="{j}/issue/archive">Archives</a></li>
</ul></div><div id="content"><div id="articleTitle"><h3>An Old Article</h3></div>
<a href="{j}/article/viewFile/7/12" class="file">PDF</a></div></div></body></html>"""


def test_ojs_2(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    journal_url = f"{local.base}/index.php/old"
    url = local.add("/index.php/old/article/view/7", OJS2_ARTICLE.format(base=local.base, j=journal_url))
    local.add("/index.php/old/oai?verb=Identify", identify(f"{journal_url}/oai", "Old Journal", "2.4.8.0"))
    found = discover(url, http)
    assert found.is_ojs and found.version == "2.4.8.0"
    assert found.markup == "id pkp-common-openJournalSystems"
    [journal] = found.journals
    assert (journal.path, journal.base_url, journal.oai_ok, journal.title) == (
        "old",
        journal_url,
        True,
        "Old Journal",
    )
    assert loads(tmp_path, found).sources[0].strategy == "oai+html"


def test_oai_switched_off(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    url = local.add("/index.php/j/issue/archive", ojs3_page(path_route(f"{local.base}/index.php/j")))
    found = discover(url, http)  # /index.php/j/oai: 404
    assert found.is_ojs
    [journal] = found.journals
    assert (journal.oai_ok, journal.strategy) == (False, "html")
    assert "404" in (journal.oai_error or "")
    assert (found.site_oai_url, found.site_oai_ok) == (f"{local.base}/index.php/index/oai", False)
    block = sources_toml(found)
    assert "oai_url" not in block
    [source] = loads(tmp_path, found).sources
    assert (source.name, source.url, source.strategy) == ("j", f"{local.base}/index.php/j", "html")


def test_version_from_assets_when_the_generator_tag_is_gone(local: LocalSite, http: HttpClient) -> None:
    page = ojs3_page(path_route(f"{local.base}/index.php/j"), generator=None).replace(
        "</head>", f'<script src="{local.base}/lib/pkp/js/lib/jquery.min.js?v=3.4.0.7"></script></head>'
    )
    found = discover(local.add("/index.php/j/article/view/3", page), http)
    assert found.is_ojs  # an OJS route and OJS theme markup, though no generator tag and no OAI
    assert found.version == "3.4.0.7"


PLAIN = (
    "<!DOCTYPE html><html><head><title>Bakery</title><meta name='generator' content='WordPress 6.5'></head>"
)


def test_a_site_that_is_not_ojs(local: LocalSite, http: HttpClient, tmp_path: Path) -> None:
    local.add(
        "/", PLAIN + "<body><a href='/about'>About</a><a href='/blog/article/12'>Post</a></body></html>"
    )
    found = discover(f"{local.base}/", http)
    assert not found.is_ojs and found.journals == []
    assert found.site_oai_ok is False  # it was asked, at the OJS place
    config = write_config(tmp_path, {})
    done = CliRunner().invoke(main, ["--config", str(config), "discover", f"{local.base}/"])
    assert done.exit_code == 1
    assert (
        f"harvester: error: {local.base}/: not an OJS journal "
        "(the generator tag names WordPress 6.5, no OAI-PMH endpoint, no OJS URL shape)"
    ) in done.output


def test_another_pkp_application_is_not_ojs(local: LocalSite, http: HttpClient) -> None:
    page = ojs3_page(path_route(f"{local.base}/index.php/press"), generator="Open Monograph Press 3.3.0.15")
    found = discover(local.add("/index.php/press/catalog", page), http)
    assert not found.is_ojs
    assert "not OJS: the generator tag names Open Monograph Press 3.3.0.15" in found.evidence


def test_errors_on_the_given_url(local: LocalSite, http: HttpClient) -> None:
    with pytest.raises(PermanentHTTPStatusError, match="404"):
        discover(f"{local.base}/index.php/j/article/view/99999", http)
    local.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    with (
        HttpClient(HttpSettings(max_retries=0)) as fresh,  # robots.txt is cached per client
        pytest.raises(RobotsDisallowedError, match=r"disallowed by robots\.txt"),
    ):
        discover(f"{local.base}/index.php/j/article/view/1", fresh)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_host(http: HttpClient) -> None:
    with pytest.raises(NetworkError, match="connection refused"):
        discover(f"http://127.0.0.1:{free_port()}/index.php/j/article/view/1", http)


# --- the command as a user meets it ---------------------------------------------------------------


def _run(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harvester", "--config", str(config), "discover", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("harvester: error:")]
    return line


def test_subprocess_exit_codes_and_one_line_errors(local: LocalSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    port = free_port()
    line = _one_error_line(_run(f"http://127.0.0.1:{port}/index.php/j/article/view/1", config=config))
    assert f"127.0.0.1:{port}" in line and "connection refused" in line
    local.add("/", PLAIN + "<body>cakes</body></html>")
    assert "not an OJS journal" in _one_error_line(_run(f"{local.base}/", config=config))


def test_help_and_readme() -> None:
    done = CliRunner().invoke(main, ["discover", "--help"])
    assert done.exit_code == 0 and "Usage:" in done.output and "--json" in done.output
    assert "harvester discover" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- other OAI-PMH providers are named, never taken for OJS --------------------------------------

# DSpace 7 (XOAI): repositoryName is ``dspace.name`` ("DSpace at My University" by default), deletedRecord
# transient, second granularity, and one description, the oai-identifier of description.xml
# (DSpace/DSpace dspace-oai/.../DSpaceRepositoryConfiguration.java, dspace/config/crosswalks/oai/
# description.xml); no toolkit, nothing naming the software.
DSPACE_IDENTIFY = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2026-01-01T00:00:00Z</responseDate><request verb="Identify">{endpoint}</request>
<Identify><repositoryName>DSpace at My University</repositoryName><baseURL>{endpoint}</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>dspace-help@myu.edu</adminEmail>
<earliestDatestamp>2019-05-02T10:11:12Z</earliestDatestamp><deletedRecord>transient</deletedRecord>
<granularity>YYYY-MM-DDThh:mm:ssZ</granularity><compression>gzip</compression><compression>deflate</compression>
<description><oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">
<scheme>oai</scheme><repositoryIdentifier>repo.myu.edu</repositoryIdentifier><delimiter>:</delimiter>
<sampleIdentifier>oai:repo.myu.edu:123456789/1</sampleIdentifier></oai-identifier></description>
</Identify></OAI-PMH>"""

# EPrints 3 (eprints/eprints cgi/oai2 ``Identify``): an oai-identifier description, then the OAI
# "eprints" description (content, metadataPolicy, dataPolicy, submissionPolicy, comments), with the
# texts of an unconfigured repository (the default cfg.d/oai.pl).
EPRINTS_IDENTIFY = """<?xml version='1.0' encoding='UTF-8'?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
  <responseDate>2026-01-01T00:00:00Z</responseDate>
  <request verb="Identify">{endpoint}</request>
  <Identify>
    <repositoryName>Test Repository</repositoryName>
    <baseURL>{endpoint}</baseURL>
    <protocolVersion>2.0</protocolVersion>
    <adminEmail>admin@eprints.example</adminEmail>
    <earliestDatestamp>2015-03-02T09:00:00Z</earliestDatestamp>
    <deletedRecord>persistent</deletedRecord>
    <granularity>YYYY-MM-DDThh:mm:ssZ</granularity>
    <description>
      <oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"
        xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">
        <scheme>oai</scheme>
        <repositoryIdentifier>eprints.example</repositoryIdentifier>
        <delimiter>:</delimiter>
        <sampleIdentifier>oai:eprints.example:1</sampleIdentifier>
      </oai-identifier>
    </description>
    <description>
      <eprints xmlns="http://www.openarchives.org/OAI/1.1/eprints"
        xsi:schemaLocation="http://www.openarchives.org/OAI/1.1/eprints http://www.openarchives.org/OAI/1.1/eprints.xsd">
        <content>
          <text>OAI Site description has not been configured.</text>
        </content>
        <metadataPolicy>
          <text>No metadata policy defined. This server has not yet been fully configured.</text>
        </metadataPolicy>
        <dataPolicy>
          <text>No data policy defined. This server has not yet been fully configured.</text>
        </dataPolicy>
      </eprints>
    </description>
  </Identify>
</OAI-PMH>"""


@pytest.mark.parametrize(
    ("body", "named"),
    [(DSPACE_IDENTIFY, "software not named in Identify"), (EPRINTS_IDENTIFY, "EPrints")],
    ids=["dspace", "eprints"],
)
def test_another_oai_provider_is_named_and_never_reported_as_ojs(
    local: LocalSite, http: HttpClient, body: str, named: str
) -> None:
    endpoint = f"{local.base}/index.php/repo/oai"
    local.add("/index.php/repo/oai?verb=Identify", body.format(endpoint=endpoint))
    found = discover(endpoint, http)
    assert (found.is_ojs, found.version, found.other_oai, found.journals) == (False, None, named, [])
    summary = format_discovery(found)
    assert summary.startswith(f"{endpoint}: not OJS (an OAI-PMH repository of {named})")
    assert "OJS 2.5.0" not in summary
    assert f"an OAI-PMH endpoint of other software answers ({named})" in (not_ojs_reason(found) or "")


def test_a_toolkit_of_another_title_gives_no_ojs_version(local: LocalSite, http: HttpClient) -> None:
    # The toolkit description other software writes too (pkp-lib OAI Identify writes its application's
    # title there; Open Preprint Systems and Open Monograph Press share the code).
    endpoint = f"{local.base}/index.php/press/oai"
    other = identify(endpoint, "A Press", "3.4.0.5").replace("Open Journal Systems", "Open Monograph Press")
    local.add("/index.php/press/oai?verb=Identify", other)
    info = OaiClient(endpoint, http).identify()
    assert (info.software, info.software_version, info.ojs_version) == (
        "Open Monograph Press",
        "3.4.0.5",
        None,
    )
    found = discover(endpoint, http)
    assert (found.is_ojs, found.version, found.other_oai) == (False, None, "Open Monograph Press")


@pytest.mark.parametrize(
    ("site", "oai_path", "version"),
    [
        ("jsas_ojs3.3.0-11", "/index.php/jsas/oai", "3.3.0.11"),
        ("ajpa_ojs3.5.0-1", "/index.php/ajpa/en/oai", "3.5.0.1"),
    ],
)
def test_recorded_ojs_identify_names_ojs_and_its_version(
    http: HttpClient, site: str, oai_path: str, version: str
) -> None:
    with ReplaySite(recorded_site_dir(site)) as replay:
        info = OaiClient(replay.base_url + oai_path, http).identify()
        found = discover(replay.base_url + oai_path, http)
    assert (info.software, info.ojs_version) == ("Open Journal Systems", version)
    assert (found.is_ojs, found.version, found.other_oai) == (True, version, None)
