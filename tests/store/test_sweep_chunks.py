"""The end-of-run reconciliation (``store.sweeps.reconcile``) reads a source's articles a chunk
at a time: articles missed by a complete sweep in every chunk are withdrawn, those seen
again come back, and a sweep that saw none of them withdraws nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.model import Article, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
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
