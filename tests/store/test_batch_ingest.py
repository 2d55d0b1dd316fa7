"""The batch ingest (``store.batch``): a page costs the same statements whatever its size, and a
page mixing every case (new, unchanged, changed, deleted, repeated, seen on its page first, a
DOI another article holds) gives the versions, feed and keys the store contract asks for."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from harvester.config import SourceSettings
from harvester.model import Article, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.articles import PageCounts, RawPage
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.page_ingest import ingest_article_page
from harvester.store.runs import ensure_source

SOURCE = SourceSettings(name="batch", url="https://j.example.org/index.php/j")
ISSUE = IssueRef(journal_title="J", volume="1", number="2", year=2024)


def _record(number: int, title: str = "Title", *, deleted: bool = False, doi: str | None = None) -> OaiRecord:
    header = RecordHeader(f"oai:j.example.org:article/{number}", "2024-01-01T00:00:00Z", ("j:ART",), deleted)
    if deleted:
        return OaiRecord(header, None)
    url = f"https://j.example.org/index.php/j/article/view/{number}"
    article = Article(title=title, url=url, ojs_id=number, doi=doi, issue=ISSUE, published="2024-01-01")
    return OaiRecord(header, article)


def _ctx(store: Store) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(conn, SOURCE, datetime.now(UTC))
    return RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))


def _ingest(store: Store, records: list[OaiRecord]) -> PageCounts:
    ctx = _ctx(store)
    with store.write() as conn:
        return ingest_records(conn, ctx, records, RawPage("https://j.example.org/oai", b"<xml/>"))


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile (an executemany counts once)."""
    sent: list[str] = []

    def note(*args: Any) -> None:
        sent.append(args[2])

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", note)


def test_a_page_costs_the_same_statements_whatever_its_size(store: Store) -> None:
    _ingest(store, [_record(1)])  # the source, its journal and the issue exist from here on
    with _statements(store) as small:
        _ingest(store, [_record(n) for n in range(2, 5)])
    with _statements(store) as large:
        _ingest(store, [_record(n) for n in range(100, 300)])
    assert len(large) == len(small)
    # Seen again unchanged: nothing written but the identity keys' claim, which finds them all
    # taken (a key missing since an older release would be added here, as before the batch).
    keys = _rows(store, "SELECT COUNT(*) FROM article_keys")
    with _statements(store) as again:
        counts = _ingest(store, [_record(n) for n in range(100, 300)])
    assert counts == PageCounts(unchanged=200)
    written = [sql for sql in again if not sql.lstrip().upper().startswith(("SELECT", "BEGIN"))]
    assert [sql.split("(")[0].strip() for sql in written] == ["INSERT INTO article_keys"]
    assert _rows(store, "SELECT COUNT(*) FROM article_keys") == keys


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql).all()]


def test_a_page_mixing_every_case_writes_what_the_store_contract_asks(store: Store) -> None:
    _ingest(store, [_record(1), _record(2), _record(3, doi="10.1000/shared")])
    # Article 4 is first seen on its page: the OAI record finds it by its OJS id.
    page, ctx = _record(4).article, _ctx(store)
    assert page is not None
    with store.write() as conn:
        ingest_article_page(conn, ctx, dataclasses.replace(page, title="From its page"), None)
    counts = _ingest(
        store,
        [
            _record(1),  # unchanged
            _record(2, "First title"),  # repeated in the page: its last occurrence counts
            _record(3, deleted=True),  # live until now: a tombstone keeping the last content
            _record(4),  # merged with its page record
            _record(5, doi="10.1000/shared"),  # new; the DOI stays article 3's
            _record(2, "A new title"),
        ],
    )
    assert counts == PageCounts(new=1, changed=2, unchanged=1, deleted=1)
    versions = _rows(
        store,
        "SELECT a.oai_identifier, v.version, v.deleted, v.record FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id ORDER BY a.oai_identifier, v.version",
    )
    by_article: dict[str, list[tuple[int, bool, dict[str, Any]]]] = {}
    for oai, version, deleted, record in versions:
        by_article.setdefault(oai.rsplit("/", 1)[1], []).append((version, bool(deleted), json.loads(record)))
    assert [v[0] for v in by_article["1"]] == [1]
    assert [(v[0], v[2]["title"]) for v in by_article["2"]] == [(1, "Title"), (2, "A new title")]
    assert [(v[0], v[1], v[2]["title"]) for v in by_article["3"]] == [(1, False, "Title"), (2, True, "Title")]
    assert [v[0] for v in by_article["4"]] == [1, 2]  # the page's version, then the merge
    assert by_article["4"][1][2]["title"] == "Title"  # OAI's title first (merge.merge_records)
    assert [v[0] for v in by_article["5"]] == [1]
    feed = _rows(store, "SELECT entity, version, op FROM changes WHERE entity = 'article' ORDER BY seq")
    assert sorted(feed[-4:]) == sorted([("article", 2, "update"), ("article", 2, "delete"),
                                        ("article", 2, "update"), ("article", 1, "create")])  # fmt: skip
    holder = _rows(
        store,
        "SELECT a.oai_identifier FROM article_keys k JOIN articles a ON a.id = k.article_id "
        "WHERE k.kind = 'doi' AND k.value = '10.1000/shared'",
    )
    assert holder == [("oai:j.example.org:article/3",)]
    origins = _rows(store, "SELECT origin FROM article_sources ORDER BY origin")
    assert origins == [("html",), ("oai",)]  # article 4's two records, kept apart
