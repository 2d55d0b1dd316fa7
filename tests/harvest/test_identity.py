"""References and the journal's identity, harvested from the recorded OJS 3.3.0-11 and
3.5.0-1 sites (../shared/samples/sites, served again on loopback) in every strategy."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from harvester.config import SourceSettings
from harvester.errors import PageError
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, OaiRecord, RecordHeader, Reference
from harvester.parse.html import parse_article_page
from harvester.parse.journal_feed import parse_journal_feed
from harvester.store import Store
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.queries import article_versions, current_articles
from harvester.store.runs import ensure_source
from tests.cli.test_cli import harvester
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite
from tests.site.replay import ReplaySite, recorded_site_dir

SITES = ("jsas_ojs3.3.0-11", "ajpa_ojs3.5.0-1")


@pytest.fixture(params=SITES)
def recorded(request: pytest.FixtureRequest) -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    site_dir = recorded_site_dir(request.param)
    truth = json.loads((Path(site_dir) / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(Path(site_dir)) as site:
        yield site, truth


def _source(site: ReplaySite, truth: dict[str, Any], strategy: str) -> SourceSettings:
    # 3.5: the OAI endpoint of a multilingual journal has a locale segment (OJS.md O5).
    primary = truth["journal"]["primary_locale"]
    oai_url = f"{site.journal_url}/{primary}/oai" if site.ojs_version.startswith("3.5") else site.oai_url
    return SourceSettings(
        name=truth["journal"]["path"], url=site.journal_url, oai_url=oai_url, strategy=strategy
    )


def _journal_row(store: Store) -> dict[str, Any]:
    """The one row of ``current_journals``."""
    with store.read() as conn:
        return dict(conn.exec_driver_sql("SELECT * FROM current_journals").one()._mapping)


def _harvest(site: ReplaySite, truth: dict[str, Any], strategy: str, store: Store) -> None:
    result = harvest_source(_source(site, truth, strategy), make_settings(store.url), store)
    assert result.status == "ok", result.error


@pytest.mark.parametrize("strategy", ["html", "oai+html"])
def test_references_are_stored_in_order_with_their_dois(
    recorded: tuple[ReplaySite, dict[str, Any]], strategy: str, store: Store
) -> None:
    site, truth = recorded
    _harvest(site, truth, strategy, store)
    with store.read() as conn:
        rows = {row["url"].rsplit("/", 1)[-1]: row for row in current_articles(conn) if not row["deleted"]}
    live = [a for a in truth["articles"] if not a["unpublished"]]
    assert len(rows) == len(live)
    for article in live:
        references = rows[str(article["id"])]["references"]
        assert [r["text"] for r in references] == article["citations"], article["id"]
        for reference in references:
            if "doi.org/" in reference["text"] or "doi:" in reference["text"]:
                assert reference["doi"] and reference["doi"] in reference["text"].lower()
            else:
                assert reference["doi"] is None


def _cited(truth: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """truth.json's citations of a stored article (none for a tombstone)."""
    found = [a["citations"] for a in truth["articles"] if a["oai_identifier"] == row["oai_identifier"]]
    return [] if row["deleted"] else found[0]


def test_references_are_exported_and_an_oai_only_harvest_has_none_before_35(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store, db_url: str
) -> None:
    site, truth = recorded
    # oai_dc carries no references (OJS.md section 7); 3.5's jats format does (test_jats_references).
    _harvest(site, truth, "oai", store)
    with_jats = site.ojs_version.startswith("3.5")
    with store.read() as conn:
        assert all(
            bool(row["references"]) == (with_jats and bool(_cited(truth, row)))
            for row in current_articles(conn)
        )
    _harvest(site, truth, "html", store)
    exported = harvester("export", db=db_url)
    assert exported.returncode == 0, exported.stderr
    rows = [row for row in map(json.loads, exported.stdout.splitlines()) if not row["deleted"]]
    by_id = {row["url"].rsplit("/", 1)[-1]: row for row in rows}
    cited = next(a for a in truth["articles"] if a["citations"])
    assert [r["text"] for r in by_id[str(cited["id"])]["references"]] == cited["citations"]


# --- the test OJS site: a reference list rendered as the template does -------------------------

CITED = [
    "Ostrom, E. (1990). Governing the Commons. Cambridge University Press.",
    "Fukuyama, F. (2013). What Is Governance? Governance, 26(3), 347–368. https://doi.org/10.1111/GOVE.12035.",
    "Ansell, C. & Gash, A. (2008). Collaborative Governance. J-PART, 18(4). doi:10.1093/jopart/mum032",
    "Smith, J. (1998). Tables (1). Reprinted (10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0).",
]


def test_a_reference_list_on_the_test_site_gives_each_reference_and_its_doi(
    store: Store, db_url: str
) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=3, seed=5) as site:
        journal = next(iter(site.journals.values()))
        source = SourceSettings(name=journal.path, url=site.journal_url(journal.path), strategy="html")
        cited = site.edit(journal.path, journal.articles[0].id, references=CITED[:3])
        assert harvest_source(source, make_settings(store.url), store).status == "ok"
        site.edit(journal.path, cited.id, references=CITED)  # a reference added: a new version
        assert harvest_source(source, make_settings(store.url), store).counts.changed == 1
    with store.read() as conn:
        rows = {row["url"]: row for row in current_articles(conn)}
    assert rows[cited.url()]["references"] == [
        {"text": CITED[0], "doi": None},
        {"text": CITED[1], "doi": "10.1111/gove.12035"},
        {"text": CITED[2], "doi": "10.1093/jopart/mum032"},
        {"text": CITED[3], "doi": "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"},
    ]
    assert all(row["references"] == [] for url, row in rows.items() if url != cited.url())
    shown = harvester("history", cited.url(), db=db_url)
    assert shown.returncode == 0, shown.stderr
    assert "version 2 " in shown.stdout and "    references: [" in shown.stdout
    assert "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0" in shown.stdout


def test_references_come_from_citation_reference_tags_when_the_theme_shows_none() -> None:
    tags = "".join(f'<meta name="citation_reference" content="{html.escape(text)}"/>' for text in CITED[:2])
    page = (
        f'<html lang="en"><head><meta name="citation_title" content="T"/>{tags}</head>'
        "<body><div class='custom-theme'><h1>T</h1></div></body></html>"
    ).encode()
    article = parse_article_page(page, "https://journal.example.org/index.php/j/article/view/5")
    assert article.references == (Reference(CITED[0], None), Reference(CITED[1], "10.1111/gove.12035"))


def test_raw_references_shown_one_per_line_are_one_reference_each() -> None:
    # article_details.tpl with no parsed citations: {$publication->getData('citationsRaw')|escape|nl2br}
    raw = "<br />\n".join(html.escape(text) for text in CITED[:3])
    page = (
        '<html lang="en"><head><meta name="citation_title" content="T"/></head><body>'
        '<article class="obj_article_details"><h1 class="page_title">T</h1>'
        '<section class="item references"><h2 class="label">References</h2>'
        f'<div class="value">{raw}</div></section></article></body></html>'
    ).encode()
    article = parse_article_page(page, "https://journal.example.org/index.php/j/article/view/5")
    assert [r.text for r in article.references] == CITED[:3]
    assert [r.doi for r in article.references] == [None, "10.1111/gove.12035", "10.1093/jopart/mum032"]


# --- the journal's identity in every mode ------------------------------------------------------


@pytest.mark.parametrize("strategy", ["html", "oai", "oai+html"])
def test_the_journal_row_is_the_journals_own_identity(
    recorded: tuple[ReplaySite, dict[str, Any]], strategy: str, store: Store
) -> None:
    site, truth = recorded
    journal = truth["journal"]
    _harvest(site, truth, strategy, store)
    row = _journal_row(store)
    primary = journal["primary_locale"]
    assert row["title"] == journal["name"][primary]  # the 3.5 site's es-primary #311 must not win
    assert (row["online_issn"], row["print_issn"]) == (journal["online_issn"], journal["print_issn"])
    assert row["issn"] == journal["online_issn"]
    assert json.loads(row["issns"]) == [journal["online_issn"], journal["print_issn"]]
    assert row["publisher"] == journal["publisher"]  # 3.3 site: none, though dc:publisher names the journal
    assert row["ojs_version"] == site.ojs_version
    expected_locale = primary.replace("_", "-") if strategy != "oai" else None  # only the web feed says it
    assert row["primary_locale"] == expected_locale


def test_a_second_html_run_over_unchanged_pages_keeps_the_journal_row(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    # OJS sends no validators, so the second run sees the same bodies and parses no page:
    # only the web feed is read again, and its ISSN (the print one) must not become ``issn``.
    site, truth = recorded
    _harvest(site, truth, "html", store)
    first = _journal_row(store)
    _harvest(site, truth, "html", store)
    assert _journal_row(store) == first
    assert first["issn"] == truth["journal"]["online_issn"]


def test_oai_and_pages_agree_into_one_journal_row(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, truth = recorded
    _harvest(site, truth, "oai", store)
    after_oai = _journal_row(store)
    _harvest(site, truth, "html", store)
    both = _journal_row(store)  # one row (``.one()``)
    for name in ("title", "issn", "online_issn", "print_issn", "issns", "publisher", "ojs_version"):
        assert both[name] == after_oai[name], name


def test_a_journal_without_a_web_feed_keeps_what_oai_said_of_it(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    # The test site serves no web feed (a journal with the plugin off): the pages still give the
    # name and citation_issn, and nothing OAI stored (both ISSNs and their kinds) is lost.
    with OjsSite.generate(journals=1, articles_per_journal=3, seed=5) as site:
        journal = next(iter(site.journals.values()))
        journal.issn_online, journal.issn_print = "2410-1303", "1028-818X"
        oai = SourceSettings(name=journal.path, url=site.journal_url(journal.path), strategy="oai")
        assert harvest_source(oai, make_settings(store.url), store).status == "ok"
        with caplog.at_level("INFO", logger="harvester.harvest.crawl"):
            html_only = oai.model_copy(update={"strategy": "html"})
            assert harvest_source(html_only, make_settings(store.url), store).status == "ok"
    assert "no journal feed" in caplog.text and "WebFeedGatewayPlugin/rss" in caplog.text
    row = _journal_row(store)
    assert (row["title"], row["issn"], row["online_issn"], row["print_issn"]) == (
        journal.title,
        "2410-1303",
        "2410-1303",
        "1028-818X",
    )
    assert json.loads(row["issns"]) == ["2410-1303", "1028-818X"]


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Not Found</body></html>", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'],
    ids=["html-page", "rss2"],
)
def test_a_feed_that_is_not_rss_1_is_a_clear_page_error(body: bytes) -> None:
    with pytest.raises(PageError, match=r"^https://j\.example/feed: not an RSS"):
        parse_journal_feed(body, "https://j.example/feed")


def test_the_recorded_feeds_name_publisher_primary_locale_and_print_issn() -> None:
    for name in SITES:
        site_dir = recorded_site_dir(name)
        truth = json.loads((site_dir / "truth.json").read_text(encoding="utf-8"))["journal"]
        rows = [
            json.loads(line) for line in (site_dir / "index.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        feed = next(r for r in rows if r["path"].endswith("WebFeedGatewayPlugin/rss") and r["status"] == 200)
        facts = parse_journal_feed((site_dir / feed["body"]).read_bytes(), feed["path"])
        assert facts.title == truth["name"][truth["primary_locale"]]
        assert (facts.publisher, facts.print_issn) == (truth["publisher"], truth["print_issn"])
        assert facts.primary_locale == truth["primary_locale"].replace("_", "-")


def test_migration_0007_adds_references_and_the_journal_columns(store: Store) -> None:
    article = Article(title="T", references=(Reference("Cited. doi:10.1000/1", "10.1000/1"),))
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="j", url="https://j.org/"), datetime.now(UTC))
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        ingest_records(conn, ctx, [OaiRecord(RecordHeader("oai:j.org:article/1", "2024-01-01"), article)])
        command.downgrade(_alembic_config(conn), "0006")
        assert "references" not in list(conn.exec_driver_sql("SELECT * FROM current_articles").keys())
        assert "online_issn" not in list(conn.exec_driver_sql("SELECT * FROM journals").keys())
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        [row] = current_articles(conn)
        [version] = article_versions(conn, row["article_id"])
    # Filled from the current version; seeing the article unchanged again writes no version.
    assert row["references"] == version["record"]["references"]
    assert row["references"] == [{"text": "Cited. doi:10.1000/1", "doi": "10.1000/1"}]
    journal = _journal_row(store)
    assert (journal["source"], journal["online_issn"], journal["primary_locale"]) == ("j", None, None)
    with store.write() as conn:
        again = ingest_records(
            conn, ctx, [OaiRecord(RecordHeader("oai:j.org:article/1", "2024-01-01"), article)]
        )
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)
