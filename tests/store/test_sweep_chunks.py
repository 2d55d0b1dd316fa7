"""The end-of-run reconciliation (``store.sweeps.reconcile``) reads a source's articles a chunk
at a time: articles missed by a complete sweep in every chunk are withdrawn, those seen
again come back, and a sweep that saw none of them withdraws nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from harvester.config import SourceSettings
from harvester.model import Article, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.galleys import listed_galleys
from harvester.store.ingest import ingest_records
from harvester.store.runs import ensure_source
from harvester.store.sweeps import _CHUNK, Sweep, mark_oai_sweep, reconcile

SOURCE = SourceSettings(name="chunks", url="https://j.example.org/index.php/j")
ISSUE = IssueRef(journal_title="J", volume="1", number="2", year=2024)
COUNT = 2 * _CHUNK + 234  # three chunks
MISSED = {1, _CHUNK + 100, COUNT}  # one in each


def _identifier(number: int) -> str:
    return f"oai:j.example.org:article/{number}"


def _record(number: int) -> OaiRecord:
    url = f"https://j.example.org/index.php/j/article/view/{number}"
    article = Article(title=f"Title {number}", url=url, ojs_id=number, issue=ISSUE, published="2024-01-01")
    return OaiRecord(RecordHeader(_identifier(number), "2024-01-01T00:00:00Z"), article)


def _sweep(store: Store, ctx: RunContext, run: int, seen: list[int]) -> tuple[int, int]:
    """A complete full OAI list started by ``run`` that listed ``seen``; reconciled."""
    with store.write() as conn:
        mark_oai_sweep(conn, ctx.source_id, [_identifier(n) for n in seen], run)
        return reconcile(conn, ctx, Sweep(run, None, True, "absent from the full OAI list"))


def _withdrawn(store: Store) -> set[str]:
    with store.read() as conn:
        rows = conn.execute(text("SELECT oai_identifier FROM articles WHERE withdrawn_at IS NOT NULL"))
        return {row[0] for row in rows}


def test_a_complete_sweep_withdraws_and_brings_back_articles_in_every_chunk(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with store.write() as conn:
        ids = ensure_source(conn, SOURCE, datetime.now(UTC))
    ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
    with store.write() as conn:
        ingest_records(conn, ctx, [_record(n) for n in range(1, COUNT + 1)])
    numbers = range(1, COUNT + 1)

    assert _sweep(store, ctx, 10, [n for n in numbers if n not in MISSED]) == (3, 0)
    assert _withdrawn(store) == {_identifier(n) for n in MISSED}
    with store.read() as conn:
        ops = conn.execute(
            text("SELECT op, COUNT(*) FROM changes WHERE entity = 'article' GROUP BY op ORDER BY op")
        ).all()
    assert [tuple(row) for row in ops] == [("create", COUNT), ("withdraw", 3)]

    assert _sweep(store, ctx, 11, list(numbers)) == (0, 3)
    assert _withdrawn(store) == set()

    with caplog.at_level(logging.WARNING):
        assert _sweep(store, ctx, 12, []) == (0, 0)
    assert f"saw none of {COUNT} known articles; withdrawing nothing" in caplog.text
    assert _withdrawn(store) == set()


def _chunk_reads(store: Store, read: Callable[[Connection], object]) -> list[tuple[str, Any]]:
    """The statements ``read`` ran that take a source's articles a chunk at a time."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY articles.id" in statement and "LIMIT" in statement:
            seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        with store.write() as conn:
            read(conn)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    return seen


def _plan(conn: Connection, statement: str, params: Any) -> str:
    """The database's plan for one statement, with every way around an index made dear."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        return "\n".join(str(row[-1]) for row in rows)
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        conn.exec_driver_sql(f"SET LOCAL {setting} = off")
    return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params))


def test_each_chunk_is_read_off_the_source_index_in_id_order(store: Store) -> None:
    """Reconciliation and the galley mirror read a source's articles a chunk at a time: each
    chunk comes off the (source, id) index in order, never from all of the source's articles
    read and sorted (quadratic in the source's size: 100 s at the end of a complete harvest
    of 200,000 articles on SQLite, before migration 0016)."""
    with store.write() as conn:
        ids = ensure_source(conn, SOURCE, datetime.now(UTC))
    ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
    with store.write() as conn:
        ingest_records(conn, ctx, [_record(n) for n in range(1, 11)])
    sweep = Sweep(5, None, True, "absent from the full OAI list")
    statements = _chunk_reads(store, lambda conn: reconcile(conn, ctx, sweep))
    statements += _chunk_reads(store, lambda conn: listed_galleys(conn, ctx.source_id, 0, 500))
    assert len(statements) >= 3  # the candidates' chunks, the last one empty; the galleys'
    with store.write() as conn:
        for statement, params in statements:
            plan = _plan(conn, statement, params)
            assert "ix_articles_source_id" in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
