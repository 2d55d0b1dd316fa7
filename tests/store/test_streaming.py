"""``export`` reads the whole store: its views are read a batch at a time, so its memory does
not grow with the store.  On PostgreSQL that takes a server-side cursor (psycopg otherwise
holds the whole result in the client); SQLite reads rows as they are asked for anyway."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from harvester.config import SourceSettings
from harvester.model import Article, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.queries import current_articles, with_galleys
from harvester.store.runs import ensure_source
from harvester.store.work_overrides import current_works

COUNT = 30


def _fill(store: Store) -> None:
    """Two sources of one journal: every article a twin of the other source's (30 works)."""
    for name in ("one", "two"):
        with store.write() as conn:
            ids = ensure_source(
                conn, SourceSettings(name=name, url=f"https://{name}.example.org/j"), datetime.now(UTC)
            )
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        records = [
            OaiRecord(
                RecordHeader(f"oai:{name}.example.org:article/{n}", "2024-01-01T00:00:00Z"),
                Article(title=f"Title {n}", doi=f"10.5555/j.{n}", published="2024-01-01"),
            )
            for n in range(1, COUNT + 1)
        ]
        with store.write() as conn:
            ingest_records(conn, ctx, records)


Reader = Callable[[Connection], Iterator[dict[str, Any]]]


@pytest.mark.parametrize(("read", "total"), [(current_articles, 2 * COUNT), (current_works, COUNT)])
def test_export_reads_its_view_through_a_server_side_cursor(store: Store, read: Reader, total: int) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads a result row by row whatever the options")
    _fill(store)
    with store.read() as conn:
        rows = read(conn)
        first = next(rows)
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM pg_cursors").scalar_one() == 1
        assert 1 + sum(1 for _ in rows) == total
        assert first


def test_works_of_one_source_are_chosen_by_the_database(store: Store) -> None:
    """``export --works --source``: the works holding an article of the source, and only those
    (the filter was a pass in Python over every work of the store)."""
    _fill(store)
    with store.write() as conn:
        ids = ensure_source(
            conn, SourceSettings(name="three", url="https://three.example.org/j"), datetime.now(UTC)
        )
        header = RecordHeader("oai:three.example.org:article/1", "2024-01-01T00:00:00Z")
        article = Article(title="Only here", doi="10.5555/three.1", published="2024-01-01")
        ingest_records(
            conn,
            RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC)),
            [OaiRecord(header, article)],
        )
    with store.read() as conn:
        assert [work["title"] for work in current_works(conn, source="three")] == ["Only here"]
        both = list(current_works(conn, source="one"))
        assert len(both) == COUNT and all(work["sources"] == ["one", "two"] for work in both)
        assert len(list(current_works(conn))) == COUNT + 1


def test_galleys_are_merged_into_their_articles_as_both_stream_by() -> None:
    """``export --galleys``: articles and galleys both come in article id order; each article
    gets its own, none of another's (galleys of articles not exported, as after ``--since``,
    are passed over), and neither stream is read ahead of the other."""
    rows = [{"article_id": n} for n in (2, 3, 5, 9)]
    galleys = [(1, {"url": "a"}), (2, {"url": "b"}), (2, {"url": "c"}), (4, {"url": "d"}), (5, {"url": "e"})]
    drawn: list[int] = []

    def stream() -> Iterator[tuple[int, dict[str, Any]]]:
        for galley in galleys:
            drawn.append(galley[0])
            yield galley

    merged = with_galleys(iter(rows), stream())
    assert next(merged) == {"article_id": 2, "galleys": [{"url": "b"}, {"url": "c"}]}
    assert drawn == [1, 2, 2, 4]  # one galley past the article: nothing held ahead
    assert [row["galleys"] for row in merged] == [[], [{"url": "e"}], []]
