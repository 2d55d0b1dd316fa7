"""An article is served anew (its ``updated_at``: the OAI-PMH datestamp and list order of
``harvester serve``) when what ``current_articles`` shows of it from another table changes:
its issue's identification, its journal's name or ISSN.  Its work id: ``tests/works/test_work_ids``.
Store-level, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from harvester.config import SourceSettings
from harvester.model import Article, IssuePage, IssueRef, JournalFacts, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.journals import update_journal
from harvester.store.page_ingest import ingest_issue_toc
from harvester.store.queries import current_articles
from harvester.store.runs import as_utc, ensure_source
from harvester.store.schema import articles, change_log

T0 = datetime(2026, 3, 1, tzinfo=UTC)
FIRST = IssueRef(volume="1", number="1", year=2020)
SECOND = IssueRef(volume="1", number="2", year=2020)


def _context(store: Store, at: datetime) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="j", url="https://j.example.org/index.php/j"), T0)
    return RunContext(ids.source_id, ids.journal_id, None, at)


def _served(store: Store) -> dict[str, datetime]:
    """Each article's ``updated_at``, by its OAI identifier."""
    with store.read() as conn:
        rows = conn.execute(select(articles.c.oai_identifier, articles.c.updated_at)).all()
    return {identifier: as_utc(updated) for identifier, updated in rows}


def _last_seq(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.max(change_log.c.seq))).scalar_one())


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_articles_are_served_anew_when_their_issue_or_journal_shows_something_new(store: Store) -> None:
    records = [
        OaiRecord(
            RecordHeader(f"oai:j:article/{n}", "2026-03-01"), Article(title=f"Article {n}", issue=issue)
        )
        for n, issue in ((1, FIRST), (2, FIRST), (3, SECOND))
    ]
    ctx = _context(store, _at(0))
    with store.write() as conn:
        ingest_records(conn, ctx, records)
    assert set(_served(store).values()) == {_at(0)}

    def issue_page(title: str, cover: str, hours: int) -> None:
        page = IssuePage(issue=IssueRef(volume="1", number="1", year=2020, title=title), cover_url=cover)
        ctx = _context(store, _at(hours))
        with store.write() as conn:
            ingest_issue_toc(conn, ctx, page)

    seq = _last_seq(store)
    issue_page("Rivers", "https://j.example.org/cover.png", 1)  # the first issue gets a title
    first, second = {"oai:j:article/1": _at(1), "oai:j:article/2": _at(1)}, {"oai:j:article/3": _at(0)}
    assert _served(store) == first | second
    with store.read() as conn:  # and ``export --since``
        assert {row["oai_identifier"] for row in current_articles(conn, since=seq)} == set(first)
    issue_page("Rivers", "https://j.example.org/cover-2.png", 2)  # a new version, nothing shown changed
    assert _served(store) == first | second

    def journal(facts: JournalFacts, hours: int) -> None:
        ctx = _context(store, _at(hours))
        with store.write() as conn:
            update_journal(conn, ctx, facts)

    journal(JournalFacts(publisher="River Press"), 3)  # not shown with the articles
    assert _served(store) == first | second
    journal(JournalFacts(title="Journal of Rivers", issn="0317-8471"), 4)
    assert set(_served(store).values()) == {_at(4)}
    journal(JournalFacts(title="Journal of Rivers", issn="0317-8471"), 5)  # nothing new
    assert set(_served(store).values()) == {_at(4)}
