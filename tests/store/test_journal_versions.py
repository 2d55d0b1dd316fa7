"""Journals are versioned as issues are: a new name or ISSN is a new version with the old one
kept and one change-feed entry, which brings the journal's articles into ``export --since``;
facts that change nothing write nothing (and cost one read); one run makes one version however
many times it states facts; migration 0015 gives every stored journal version 1 and writes no
feed entry.  On SQLite and PostgreSQL; the first harvest over real HTTP to the test OJS site."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import Connection, event, inspect, text

from harvester.config import SourceSettings
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, IssueRef, JournalFacts, OaiRecord, RecordHeader, encode_record
from harvester.store import Store
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext, write_changes
from harvester.store.ingest import ingest_records
from harvester.store.journals import journal_record, update_journal
from harvester.store.queries import current_articles
from harvester.store.runs import ensure_source, start_run
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RIVERS = JournalFacts(title="Journal of Rivers", issn="0317-8471", issns=("0317-8471",))


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def _rows(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(sql), params).all())


def _context(store: Store, at: datetime, *, name: str = "j", run_id: int | None = None) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(
            conn, SourceSettings(name=name, url=f"https://{name}.example.org/index.php/j"), T0
        )
    return RunContext(ids.source_id, ids.journal_id, run_id, at)


def _state(store: Store, ctx: RunContext, facts: JournalFacts, *, keep_title: bool = False) -> None:
    """State ``facts`` of the journal in a transaction of its own, as the pipeline does."""
    with store.write() as conn:
        write_changes(conn, update_journal(conn, ctx, facts, keep_title=keep_title))


def _versions(store: Store, journal_id: int) -> list[tuple[int, dict[str, Any], int | None]]:
    rows = _rows(
        store,
        "SELECT version, record, run_id FROM journal_history WHERE journal_id = :j ORDER BY version",
        j=journal_id,
    )
    return [(version, orjson.loads(record), run_id) for version, record, run_id in rows]


def _journal_feed(store: Store, after: int = 0) -> list[tuple[Any, ...]]:
    rows = _rows(
        store,
        "SELECT entity_id, version, op FROM changes WHERE entity = 'journal' AND seq > :s ORDER BY seq",
        s=after,
    )
    return [tuple(row) for row in rows]


def _last_seq(store: Store) -> int:
    return int(_rows(store, "SELECT COALESCE(MAX(seq), 0) FROM change_log")[0][0])


def _exported(store: Store, since: int) -> set[str]:
    with store.read() as conn:
        return {row["oai_identifier"] for row in current_articles(conn, since=since)}


def _articles(store: Store, ctx: RunContext) -> set[str]:
    issue = IssueRef(volume="1", number="1", year=2020)
    records = [
        OaiRecord(
            RecordHeader(f"oai:j:article/{n}", "2026-03-01"), Article(title=f"Article {n}", issue=issue)
        )
        for n in (1, 2)
    ]
    with store.write() as conn:
        ingest_records(conn, ctx, records)
    return {record.header.identifier for record in records}


def test_a_new_name_or_issn_is_a_new_version_in_the_feed_with_its_articles(store: Store) -> None:
    ctx = _context(store, _at(0))
    identifiers = _articles(store, ctx)
    _state(store, _context(store, _at(1)), RIVERS)
    journal = ctx.journal_id
    assert _journal_feed(store) == [(journal, 1, "create")]

    seq = _last_seq(store)
    _state(store, _context(store, _at(2)), JournalFacts(title="Rivers Review"))  # renamed
    assert _journal_feed(store, seq) == [(journal, 2, "update")]
    versions = _versions(store, journal)
    assert [(v, record["title"], record["issn"]) for v, record, _ in versions] == [
        (1, "Journal of Rivers", "0317-8471"),
        (2, "Rivers Review", "0317-8471"),
    ]
    assert _rows(store, "SELECT title, version FROM current_journals") == [("Rivers Review", 2)]
    assert _exported(store, seq) == identifiers  # ``export --since``

    seq = _last_seq(store)
    _state(store, _context(store, _at(3)), JournalFacts(issns=("0317-8471", "1940-5960")))  # a new ISSN
    assert _journal_feed(store, seq) == [(journal, 3, "update")]
    (_, first, _), (_, _, _), (_, third, _) = _versions(store, journal)
    assert (first["issns"], third["issns"]) == (["0317-8471"], ["0317-8471", "1940-5960"])
    assert _exported(store, seq) == identifiers
    # A version's record is the row as stored, and its hash that record's.
    with store.read() as conn:
        row = conn.execute(text("SELECT * FROM journals WHERE id = :j"), {"j": journal}).one()
        stored = conn.execute(
            text("SELECT record, content_hash FROM journal_history WHERE journal_id = :j AND version = 3"),
            {"j": journal},
        ).one()
    assert tuple(stored) == encode_record(journal_record(row._mapping))


@contextmanager
def _statements(conn: Connection) -> Iterator[list[str]]:
    """The SQL statements ``conn`` runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(conn, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", note)


def test_facts_that_change_nothing_write_nothing_and_cost_one_read(store: Store) -> None:
    ctx = _context(store, _at(0))
    _state(store, ctx, RIVERS)
    seq = _last_seq(store)
    unchanged = (
        RIVERS,  # the same values
        JournalFacts(issns=("0317-8471",)),  # an ISSN list adding nothing
        JournalFacts(issn="0317-8471", publisher=None),  # None says nothing
        JournalFacts(title="Revista de Ríos"),  # an OAI record's name (``keep_title``) below
    )
    for n, facts in enumerate(unchanged, start=1):
        later = _context(store, _at(n))
        with store.write() as conn, _statements(conn) as statements:
            changes = update_journal(conn, later, facts, keep_title=n == len(unchanged))
        assert (changes, len(statements)) == ([], 1)  # the journal's row, read once
    assert [v for v, _, _ in _versions(store, ctx.journal_id)] == [1]
    assert _journal_feed(store, seq) == []
    assert _exported(store, seq) == set()


def test_one_run_stating_facts_several_times_makes_one_version(store: Store) -> None:
    ctx = _context(store, _at(0))
    with store.write() as conn:
        run_id = start_run(conn, ctx.source_id, "harvest", _at(0), (None, None))
    run = RunContext(ctx.source_id, ctx.journal_id, run_id, _at(0))
    _state(store, run, JournalFacts(title="Journal of Rivers", ojs_version="3.4.0.5"))  # Identify
    first = _last_seq(store)
    oai_page = JournalFacts(title="Revista de Ríos", issn="0317-8471", issns=("0317-8471", "1940-5960"))
    _state(store, run, oai_page, keep_title=True)  # each OAI page
    _state(store, run, oai_page, keep_title=True)
    _state(store, run, JournalFacts(publisher="River Press", primary_locale="en"))  # the web feed
    [(version, record, written_by)] = _versions(store, ctx.journal_id)
    assert (version, written_by) == (1, run_id)
    assert record == {
        "title": "Journal of Rivers",
        "issn": "0317-8471",
        "online_issn": None,
        "print_issn": None,
        "issns": ["0317-8471", "1940-5960"],
        "publisher": "River Press",
        "primary_locale": "en",
        "url": "https://j.example.org/index.php/j",
    }
    # One entry, moved past the first one's seq with each amendment.
    assert _journal_feed(store) == [(ctx.journal_id, 1, "create")]
    assert _journal_feed(store, first) == [(ctx.journal_id, 1, "create")]
    # An upgrade of OJS is kept in the row, without a version or an entry.
    _state(store, _context(store, _at(5)), JournalFacts(ojs_version="3.4.0.8"))
    assert [v for v, _, _ in _versions(store, ctx.journal_id)] == [1]
    assert _rows(store, "SELECT ojs_version FROM journals") == [("3.4.0.8",)]
    assert _journal_feed(store) == [(ctx.journal_id, 1, "create")]
    # The next run's change is a version of its own.
    _state(store, _context(store, _at(6)), JournalFacts(publisher="Delta Press"))
    assert [v for v, _, _ in _versions(store, ctx.journal_id)] == [1, 2]
    assert _journal_feed(store) == [(ctx.journal_id, 1, "create"), (ctx.journal_id, 2, "update")]


@pytest.mark.ojs_site(journals=1, articles_per_journal=6, seed=5)
def test_a_first_harvest_makes_one_journal_version_and_the_next_none(site: OjsSite, store: Store) -> None:
    source = SourceSettings(name="own", url=site.journal_url("jsas"), strategy="oai+html")
    for _ in range(2):
        result = harvest_source(source, make_settings(store.url), store)
        assert result.status == "ok", result.error
        [(journal, title)] = _rows(store, "SELECT id, title FROM journals")
        assert title
        assert [v for v, _, _ in _versions(store, journal)] == [1]
        assert _journal_feed(store) == [(journal, 1, "create")]


def _columns(store: Store, table: str) -> set[str]:
    with store.read() as conn:
        return {column["name"] for column in inspect(conn).get_columns(table)}


def _tables(store: Store) -> set[str]:
    with store.read() as conn:
        return set(inspect(conn).get_table_names())


def test_migration_0015_gives_every_journal_version_1_and_no_feed_entry(store: Store) -> None:
    named = _context(store, _at(1), name="named")
    _articles(store, named)
    _state(store, named, RIVERS)
    bare = _context(store, _at(1), name="bare")  # never harvested: no facts
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0014")
    assert "journal_history" not in _tables(store)
    assert "version" not in _columns(store, "journals")
    assert "version" not in _columns(store, "current_journals")
    assert _journal_feed(store) == []  # versions gone, their entries too
    feed = _rows(store, "SELECT seq, entity, entity_id, version, op FROM change_log ORDER BY seq")

    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        journals = {row.id: row for row in conn.execute(text("SELECT * FROM journals"))}
    assert _rows(store, "SELECT seq, entity, entity_id, version, op FROM change_log ORDER BY seq") == feed
    for ctx in (named, bare):
        row = journals[ctx.journal_id]
        assert row.version == 1
        [(version, record, run_id)] = _versions(store, ctx.journal_id)
        assert (version, record, run_id) == (1, journal_record(row._mapping), None)
        [(content_hash,)] = _rows(
            store, "SELECT content_hash FROM journal_history WHERE journal_id = :j", j=ctx.journal_id
        )
        assert content_hash == encode_record(record)[1]  # as the writer hashes it
    assert _versions(store, named.journal_id)[0][1]["title"] == "Journal of Rivers"
    assert _versions(store, bare.journal_id)[0][1]["title"] is None
    assert _rows(store, "SELECT source, version FROM current_journals ORDER BY source") == [
        ("bare", 1),
        ("named", 1),
    ]
    # The writer goes on from there: the same facts write nothing, new ones version 2.
    seq = _last_seq(store)
    _state(store, _context(store, _at(2), name="named"), RIVERS)
    assert _journal_feed(store, seq) == []
    _state(store, _context(store, _at(3), name="named"), JournalFacts(title="Rivers Review"))
    assert _journal_feed(store, seq) == [(named.journal_id, 2, "update")]

    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0014")
    assert "journal_history" not in _tables(store)
    assert "version" not in _columns(store, "journals")
    assert _journal_feed(store) == []
    assert _rows(store, "SELECT title FROM journals ORDER BY id") == [("Rivers Review",), (None,)]
