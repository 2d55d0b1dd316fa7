"""ORCID iDs stored in their URL form (issue 17), and migration 0012: a store written with bare
iDs is rewritten, hashes and all, so that the next harvest of the same source writes no
version and no change-feed entry; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, Author, OaiRecord, RecordHeader
from harvester.parse.html import parse_article_page
from harvester.store import Store
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.page_ingest import ingest_article_page
from harvester.store.runs import ensure_source
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite

PAGE = Path(__file__).parents[1] / "fixtures" / "html" / "article-ojs2-default.html"
URL = "http://journals.example.edu/index.php/jrs/article/view/118"
HALE = "https://orcid.org/0000-0002-9079-593X"


def _page(href: str = HALE) -> Article:
    """The OJS 2 fixture page as the parser reads it, Hale's ORCID link set to ``href``."""
    return parse_article_page(PAGE.read_bytes().replace(HALE.encode(), href.encode()), URL)


def _bare(article: Article) -> Article:
    """The page as the parser of 0011 read it: ORCIDs bare ("0000-0002-9079-593X")."""
    authors = tuple(
        dataclasses.replace(a, orcid=a.orcid.removeprefix("https://orcid.org/") if a.orcid else None)
        for a in article.authors
    )
    return dataclasses.replace(article, authors=authors)


def _oai(page: Article) -> OaiRecord:
    """The same article over OAI: no ORCIDs (oai_dc has none), its authors family first."""
    authors = tuple(Author(name=a.name, given=a.given, family=a.family) for a in page.authors)
    article = Article(title=page.title, authors=authors, url=page.url, ojs_id=page.ojs_id, doi=page.doi)
    return OaiRecord(RecordHeader("oai:journals.example.edu:article/118", "2024-01-01"), article)


def _context(store: Store, name: str) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name=name, url=f"https://{name}.org/"), datetime.now(UTC))
    return RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))


def _harvest(store: Store, contexts: dict[str, RunContext], page: Article) -> list[tuple[int, int, int]]:
    """Source "pages" reads the page only; source "both" the OAI record, then the page."""
    counts = []
    with store.write() as conn:
        done = ingest_article_page(conn, contexts["pages"], page, None)
        counts.append((done.new, done.changed, done.unchanged))
        done = ingest_records(conn, contexts["both"], [_oai(page)])
        counts.append((done.new, done.changed, done.unchanged))
        done = ingest_article_page(conn, contexts["both"], page, None)
        counts.append((done.new, done.changed, done.unchanged))
    return counts


def _snapshot(store: Store) -> dict[str, Any]:
    with store.read() as conn:
        return {
            "history": conn.execute(
                text("SELECT article_id, version, content_hash, record FROM article_history ORDER BY 1, 2")
            ).all(),
            "origins": conn.execute(
                text("SELECT article_id, origin, content_hash, record FROM article_sources ORDER BY 1, 2")
            ).all(),
            "articles": conn.execute(text("SELECT id, content_hash, authors FROM articles ORDER BY 1")).all(),
            "changes": conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar_one(),
        }


def test_a_page_stores_its_orcids_in_url_form_and_lists_a_broken_one(store: Store) -> None:
    good, broken = _context(store, "good"), _context(store, "broken")
    bad = "https://orcid.org/0000-0002-9079-5930"
    with store.write() as conn:
        ingest_article_page(conn, good, _page("orcid.org/0000-0002-9079-593X"), None)
        ingest_article_page(conn, broken, _page(bad), None)
    with store.read() as conn:
        rows = conn.execute(text("SELECT source, authors FROM current_articles ORDER BY source")).all()
        problems = conn.execute(text("SELECT source, kind, raw_value, reason FROM identifier_problems")).all()
    authors = {source: [a["orcid"] for a in json.loads(value)] for source, value in rows}
    assert authors == {"broken": [None, None], "good": [None, HALE]}
    assert [p for p in problems if p.kind == "orcid"] == [("broken", "orcid", bad, "wrong check digit")]


def test_upgrading_to_0012_rewrites_bare_orcids_and_a_new_harvest_writes_nothing(store: Store) -> None:
    contexts = {name: _context(store, name) for name in ("pages", "both")}
    # What 0011's code wrote: a page-only article, and one merged from OAI and its page (written
    # by today's code, whose store 0011 cannot read, then taken down to 0011).
    assert _harvest(store, contexts, _bare(_page())) == [(1, 0, 0), (1, 0, 0), (0, 1, 0)]
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0011")
    before = _snapshot(store)
    assert sum('"orcid":"0000-0002-9079-593X"' in row.record for row in before["history"]) == 2
    store.migrate()
    after = _snapshot(store)
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
    # Same rows, ORCIDs in URL form, each hash the sha256 of its record; nothing in the feed.
    assert [row[:2] for row in after["history"]] == [row[:2] for row in before["history"]]
    assert after["changes"] == before["changes"]
    for row in [*after["history"], *after["origins"]]:
        assert "0000-0002-9079-593X" not in row.record.replace(HALE, "")
        assert row.content_hash == hashlib.sha256(row.record.encode()).hexdigest()
    assert sum(HALE in row.record for row in after["history"]) == 2
    current = {(row.article_id, row.version): row.content_hash for row in after["history"]}
    with store.read() as conn:
        versions = dict(conn.execute(text("SELECT id, version FROM articles")).all())
    assert {row.id: row.content_hash for row in after["articles"]} == {
        aid: current[aid, version] for aid, version in versions.items()
    }
    assert all(HALE in row.authors and '"orcid":"0000' not in row.authors for row in after["articles"])
    # The same source read again by today's parser: nothing new, nothing in the feed.
    assert _harvest(store, contexts, _page()) == [(0, 0, 1)] * 3
    assert _snapshot(store) == after
    # And back: 0011's data exactly as it was written.
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0011")
    assert _snapshot(store) == before


@pytest.mark.ojs_site(journals=1, articles_per_journal=12, seed=5)
def test_a_harvested_store_upgraded_to_0012_is_harvested_again_without_a_version(
    site: OjsSite, store: Store
) -> None:
    source = SourceSettings(name="jsas", url=site.journal_url("jsas"), strategy="oai+html")
    assert harvest_source(source, make_settings(store.url), store).status == "ok"
    with store.write() as conn:  # 0011's store: 0012's downgrade writes the bare iDs back
        command.downgrade(_alembic_config(conn), "0011")
    before = _snapshot(store)
    assert any('"orcid":"0000-' in row.record for row in before["origins"])
    store.migrate()
    upgraded = _snapshot(store)
    assert any('"orcid":"https://orcid.org/0000-' in row.record for row in upgraded["origins"])
    with store.write() as conn:  # every page read and parsed again, not skipped as unchanged
        conn.execute(text("DELETE FROM web_pages"))
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.status, again.counts.new, again.counts.changed, again.counts.deleted) == ("ok", 0, 0, 0)
    assert again.counts.unchanged > 0
    assert _snapshot(store) == upgraded  # no version, no feed entry, no hash moved
