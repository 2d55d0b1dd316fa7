"""Identity keys scoped to their source (issue 17): a journal followed through two sources keeps
each source's articles apart, each holding its own DOI and URL keys; two articles of one source
with one landing URL are listed, not merged; migration 0014 gives an upgraded store the keys a
new one has.  On SQLite and PostgreSQL, the harvests over real HTTP to the test OJS site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.errors import NotFoundError
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.articles import url_key
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.page_ingest import ingest_article_page
from harvester.store.queries import find_article
from harvester.store.runs import ensure_source
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite


def _rows(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(sql), params).all())


def _context(store: Store, name: str) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name=name, url=f"https://{name}.org/"), datetime.now(UTC))
    return RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))


def _missing_keys(store: Store) -> list[Any]:
    """(source, article, kind) of each article's DOI or URL key that its source holds for no
    article: what the writer claims for every record, so none on a sound store."""
    rows = _rows(store, "SELECT id, source_id, doi, url FROM articles ORDER BY id")
    held = "SELECT a.source_id, k.kind, k.value FROM article_keys k JOIN articles a ON a.id = k.article_id"
    keys = {tuple(row) for row in _rows(store, held)}
    missing = []
    for article_id, source_id, doi, url in rows:
        wanted = [("doi", doi)] if doi else []
        wanted += [("url", url_key(url))] if url else []
        missing += [
            (source_id, article_id, kind) for kind, value in wanted if (source_id, kind, value) not in keys
        ]
    return missing


@pytest.mark.ojs_site(journals=1, articles_per_journal=8, seed=5)
def test_a_journal_followed_twice_keeps_each_sources_articles_and_keys(site: OjsSite, store: Store) -> None:
    # The journal's own endpoint, and the same endpoint again with the journal's set: the
    # same landing URLs and DOIs reach the store through two sources.
    url = site.journal_url("jsas")
    own = SourceSettings(name="own", url=url, strategy="oai+html")
    by_set = SourceSettings(name="by-set", url=url, strategy="oai+html", sets=("jsas",))
    for source in (own, by_set):
        result = harvest_source(source, make_settings(store.url), store)
        assert result.status == "ok", result.error
    live = sum(1 for art in site.journals["jsas"].articles if not art.deleted)
    counts = _rows(
        store,
        "SELECT s.name, COUNT(*), COUNT(DISTINCT a.url), COUNT(DISTINCT a.oai_identifier) "
        "FROM articles a JOIN sources s ON s.id = a.source_id GROUP BY s.name ORDER BY s.name",
    )
    assert counts == [("by-set", live, live, live), ("own", live, live, live)]
    assert _missing_keys(store) == []
    dois = _rows(store, "SELECT doi FROM articles WHERE doi IS NOT NULL")
    assert dois
    # A DOI both sources hold names two articles: the reference needs an id.
    with store.read() as conn, pytest.raises(NotFoundError, match="names 2 articles"):
        find_article(conn, dois[0][0])


def test_a_page_found_by_its_url_alone_is_its_own_sources_article(store: Store) -> None:
    # No OJS id (a custom URL path): the landing URL and the DOI identify the article.
    page = Article(title="Tanks", url="https://j.org/index.php/j/article/view/tanks", doi="10.1000/tanks")
    first, second = _context(store, "first"), _context(store, "second")
    done = []
    with store.write() as conn:
        for ctx, title in ((first, "Tanks"), (second, "Tanks"), (second, "Tanks, revised")):
            counts = ingest_article_page(conn, ctx, Article(title=title, url=page.url, doi=page.doi), None)
            done.append((counts.new, counts.changed))
    assert done == [(1, 0), (1, 0), (0, 1)]
    per_source = _rows(store, "SELECT source_id, COUNT(*) FROM articles GROUP BY source_id ORDER BY 1")
    assert per_source == [(first.source_id, 1), (second.source_id, 1)]
    assert _missing_keys(store) == []


def _record(number: int, url: str, doi: str | None = None) -> OaiRecord:
    header = RecordHeader(f"oai:j.org:article/{number}", "2024-01-01T00:00:00Z")
    return OaiRecord(header, Article(title=f"Article {number}", url=url, ojs_id=number, doi=doi))


def test_two_articles_of_one_source_with_one_url_are_listed_not_merged(store: Store) -> None:
    ctx = _context(store, "j")
    page = "https://j.org/index.php/j/article/view/1"
    with store.write() as conn:
        ingest_records(conn, ctx, [_record(1, page, "10.1000/one")])
        # Another submission whose record links the first one's page, in another spelling,
        # and repeats its DOI.
        ingest_records(conn, ctx, [_record(2, "http://J.org/j/article/view/1/", "10.1000/one")])
    first, second = (row[0] for row in _rows(store, "SELECT id FROM articles ORDER BY id"))
    problems = _rows(
        store, "SELECT article_id, kind, raw_value, reason FROM identifier_problems ORDER BY kind"
    )
    assert problems == [
        (second, "doi", "10.1000/one", f"also the DOI of article {first} of the same source: not merged"),
        (second, "url", url_key(page), f"also the URL of article {first} of the same source: not merged"),
    ]
    works = _rows(store, "SELECT article_id, work_id FROM work_members ORDER BY article_id")
    assert works == [(first, first), (second, second)]
    # The page itself is the first article's.
    with store.write() as conn:
        done = ingest_article_page(conn, ctx, Article(title="Article 1", url=page, doi="10.1000/one"), None)
    assert (done.new, _rows(store, "SELECT COUNT(*) FROM articles")[0][0]) == (0, 2)


def _history_and_feed(store: Store) -> tuple[int, int]:
    return (
        _rows(store, "SELECT COUNT(*) FROM article_history")[0][0],
        _rows(store, "SELECT COUNT(*) FROM change_log")[0][0],
    )


def test_upgrading_to_0014_gives_each_source_its_lost_keys(store: Store) -> None:
    first, second = _context(store, "first"), _context(store, "second")
    twin = "https://j.org/index.php/j/article/view/{}"
    with store.write() as conn:
        for ctx in (first, second):
            ingest_article_page(conn, ctx, Article(title="A", url=twin.format(1), doi="10.1000/a"), None)
            ingest_article_page(conn, ctx, Article(title="B", url=twin.format(2), ojs_id=2), None)
        # The second source also has a second article on the page of its first: a journal's error.
        ingest_records(conn, second, [_record(3, twin.format(1))])
    holders = _rows(store, "SELECT source_id, kind, value, article_id FROM article_keys ORDER BY 1, 2, 3, 4")
    # Down to 0013: one row per (kind, value), the lowest article id's, as 0013's code kept
    # them (and, as it did, nothing listed for the URL).
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0013")
        conn.execute(text("DELETE FROM identifier_issues"))
    lost = _rows(
        store, "SELECT kind, value, COUNT(*) FROM article_keys GROUP BY kind, value HAVING COUNT(*) > 1"
    )
    assert lost == []
    kept = _rows(store, "SELECT COUNT(*) FROM article_keys")[0][0]
    assert kept < len(holders)
    before = _history_and_feed(store)
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
    assert _history_and_feed(store) == before  # no version, no feed entry
    assert (
        _rows(store, "SELECT source_id, kind, value, article_id FROM article_keys ORDER BY 1, 2, 3, 4")
        == holders
    )
    assert _missing_keys(store) == []
    [(stray,)] = _rows(store, "SELECT id FROM articles WHERE oai_identifier IS NOT NULL")
    [(page_one,)] = _rows(
        store,
        "SELECT MIN(id) FROM articles WHERE source_id = :s AND url = :u",
        s=second.source_id,
        u=twin.format(1),
    )
    problems = _rows(store, "SELECT source, article_id, kind, raw_value, reason FROM identifier_problems")
    reason = f"also the URL of article {page_one} of the same source: not merged"
    assert problems == [("second", stray, "url", url_key(twin.format(1)), reason)]
    # And back down again: 0013's key holds the lowest article ids.
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0013")
    assert _rows(store, "SELECT COUNT(*) FROM article_keys")[0][0] == kept
    assert _history_and_feed(store) == before
