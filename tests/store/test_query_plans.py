"""Reads that run again and again on a growing store cost what they return, not what the store
holds (migrations 0016-0018): a source's articles a chunk or a page at a time come off an index
in the order asked, never all of them read and sorted for each chunk, nor the list walked from
its start for each page; each source's newest runs and the feed's newest entries are sought,
never a pass over every run or entry ever written.

Each reader runs on a small store while its statements are noted; each statement is then
planned by the database, with every way around an index made dear on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert

from harvester.config import SourceSettings
from harvester.model import Article, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.galleys import listed_galleys
from harvester.store.ingest import ingest_records
from harvester.store.monitor import last_errors, last_successes, recent_runs
from harvester.store.queries import current_articles
from harvester.store.runs import ensure_source
from harvester.store.schema import runs
from harvester.store.serving import ArticleFilter, changed_articles
from harvester.store.sweeps import Sweep, reconcile

SOURCE = SourceSettings(name="plans", url="https://j.example.org/index.php/j")
ISSUE = IssueRef(journal_title="J", volume="1", number="2", year=2024)


def _record(number: int) -> OaiRecord:
    url = f"https://j.example.org/index.php/j/article/view/{number}"
    article = Article(title=f"Title {number}", url=url, ojs_id=number, issue=ISSUE, published="2024-01-01")
    return OaiRecord(RecordHeader(f"oai:j.example.org:article/{number}", "2024-01-01T00:00:00Z"), article)


@pytest.fixture
def ctx(store: Store) -> RunContext:
    """A source with ten articles."""
    with store.write() as conn:
        ids = ensure_source(conn, SOURCE, datetime.now(UTC))
    context = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
    with store.write() as conn:
        ingest_records(conn, context, [_record(n) for n in range(1, 11)])
    return context


def _statements(
    store: Store, read: Callable[[Connection], object], marker: str = "LIMIT"
) -> list[tuple[str, Any]]:
    """The statements ``read`` ran that hold ``marker`` (by default, those taking a limited
    number of rows in an order)."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY" in statement and marker in statement:
            seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        with store.write() as conn:
            read(conn)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    return seen


def _plans(store: Store, statements: list[tuple[str, Any]]) -> list[str]:
    with store.write() as conn:
        if conn.dialect.name == "sqlite":
            return [
                "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                for sql, params in statements
            ]
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.exec_driver_sql(f"SET LOCAL {setting} = off")
        return [
            "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
            for sql, params in statements
        ]


def _unsorted(plan: str) -> bool:
    return "TEMP B-TREE" not in plan and "Sort" not in plan


def test_chunks_of_a_source_in_id_order_come_off_the_source_index(store: Store, ctx: RunContext) -> None:
    """Reconciliation at the end of a run and the galley mirror: 100 s for a source of
    200,000 articles on SQLite before, 0.34 s after."""
    sweep = Sweep(5, None, True, "absent from the full OAI list")
    statements = _statements(store, lambda conn: reconcile(conn, ctx, sweep))
    statements += _statements(store, lambda conn: listed_galleys(conn, ctx.source_id, 0, 500))
    assert len(statements) >= 3  # the candidates' chunks, the last one empty; the galleys'
    for plan in _plans(store, statements):
        assert "ix_articles_source_id" in plan and _unsorted(plan), plan


def test_pages_served_after_a_cursor_start_at_the_cursor(store: Store, ctx: RunContext) -> None:
    """The OAI-PMH server's pages, of the whole store and of one set (a source): near the end
    of 200,000 articles on SQLite, 39 and 180-300 ms a page before, 4-6 ms after."""
    cursor = (datetime.now(UTC), 5)
    statements = []
    for where in (ArticleFilter(), ArticleFilter(source=SOURCE.name)):
        statements += _statements(store, lambda conn, w=where: changed_articles(conn, w, cursor, 100))
    whole, one_set = _plans(store, statements)
    if store.engine.dialect.name == "sqlite":
        assert "SEARCH articles USING COVERING INDEX ix_articles_updated (updated_at>?)" in whole, whole
        seek = (
            "SEARCH articles USING COVERING INDEX ix_articles_source_updated (source_id=? AND updated_at>?)"
        )
        assert seek in one_set, one_set
    else:  # which index serves a set depends on the table's statistics; both seek the cursor
        for plan in (whole, one_set):
            assert "Index Cond: (updated_at >=" in plan or "AND (updated_at >=" in plan, plan
    for plan in (whole, one_set):  # at most the page itself sorted, never the list
        assert plan.count("TEMP B-TREE") + plan.count("Sort Key") <= 1, plan


def test_export_since_reads_what_changed_since(store: Store, ctx: RunContext) -> None:
    """``export --since N``: each kind's feed entries after N off (entity, seq), and a changed
    journal's articles off (journal_id): never the whole feed or every article of the store
    (26 ms for five rows at 200,000 articles on SQLite before, 2.5 ms after)."""
    with store.read() as conn:
        since = conn.exec_driver_sql("SELECT MAX(seq) FROM change_log").scalar_one() - 3
    (statement,) = _statements(store, lambda conn: list(current_articles(conn, since=since)), "change_log")
    (plan,) = _plans(store, [statement])
    if store.engine.dialect.name == "sqlite":
        feed = [line for line in plan.splitlines() if "change_log" in line]
        assert len(feed) == 4 and all(
            "ix_change_log_entity_seq (entity=? AND seq>?)" in line for line in feed
        ), plan
        assert "ix_articles_journal_id (journal_id=?)" in plan, plan
        assert _full_scans(plan, ("articles", "change_log")) == [], plan
    else:  # how the view's rows are joined to the ids depends on the tables' statistics
        assert plan.count("ix_change_log_entity_seq") == 4 and "ix_articles_journal_id" in plan, plan
        assert _full_scans(plan, ("change_log",)) == [], plan


def _runs(store: Store) -> dict[str, list[int]]:
    """Three sources with six runs each (every third failed, one of them without an error);
    the ids of each source's runs, oldest first."""
    now = datetime(2026, 5, 1, tzinfo=UTC)
    made: dict[str, list[int]] = {}
    with store.write() as conn:
        for name in ("a", "b", "c"):
            source = ensure_source(conn, SourceSettings(name=name, url=f"https://{name}.example.org/j"), now)
            for k in range(6):
                at = now + timedelta(hours=k)
                failed = k % 3 == 2
                row = {
                    "source_id": source.source_id,
                    "kind": "harvest",
                    "status": "failed" if failed else "ok",
                }
                row |= {"error": f"boom {k}" if failed and k < 5 else None, "host": "h", "pid": 1}
                row |= {"started_at": at, "finished_at": at + timedelta(minutes=1), "heartbeat_at": at}
                made.setdefault(name, []).append(
                    conn.execute(insert(runs).values(row)).inserted_primary_key[0]
                )
    return made


def test_each_sources_newest_runs_come_off_the_runs_index(store: Store) -> None:
    """The daemon's schedule, ``status`` and the fleet scheduler's every tick read each
    source's newest runs: source by source off an index, never a pass over every run ever made
    (2,000 sources of 500 runs: 6 s on SQLite and 1.5 s on PostgreSQL a tick before, 46 and
    85 ms after)."""
    made = _runs(store)
    with store.read() as conn:
        recent = recent_runs(conn, 2)
        hours = {name: [run.started_at.hour for run in newest] for name, newest in recent.items()}
        assert hours == {name: [5, 4] for name in "abc"}
        assert [r.status for r in recent["a"]] == ["failed", "ok"]
        assert {name: at.hour for name, at in last_successes(conn).items()} == dict.fromkeys("abc", 4)
        assert {name: error for name, (_, error) in last_errors(conn).items()} == dict.fromkeys(
            "abc", "boom 2"
        )
    assert all(len(ids) == 6 for ids in made.values())
    read = lambda conn: (recent_runs(conn, 2), last_successes(conn), last_errors(conn))  # noqa: E731
    plans = _plans(store, _statements(store, read))
    assert len(plans) == 3
    for plan in plans:
        assert _full_scans(plan, ("runs", "newest", "older")) == [], plan


def _full_scans(plan: str, tables: tuple[str, ...]) -> list[str]:
    """The plan's nodes that read one of ``tables`` whole: SQLite's ``SCAN``; on PostgreSQL a
    scan without an index condition."""
    names = "|".join(tables)
    lines = plan.splitlines()
    if not any("->" in line or "Scan" in line for line in lines if "(cost=" in line):
        return [line for line in lines if re.match(rf"\s*SCAN ({names})\b", line)]
    found = []
    for n, line in enumerate(lines):
        if re.search(rf"Scan.* on ({names})\b", line):
            details = []
            for later in lines[n + 1 :]:
                if "->" in later:
                    break
                details.append(later)
            if not any("Index Cond" in d or "Recheck Cond" in d for d in details):
                found.append(line)
    return found
