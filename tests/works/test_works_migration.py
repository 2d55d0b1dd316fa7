"""Migration 0009 (issue 17): a store written before works gets one work per article at once,
twins of two sources already together, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.model import Article, Author, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.runs import ensure_source


def _article(title: str, doi: str | None, family: str) -> Article:
    author = Author(name=f"Amina {family}", given="Amina", family=family)
    return Article(title=title, doi=doi, authors=(author,), published="2021-05-01", issns=("0317-8471",))


def _ingest(store: Store, source: str, records: list[tuple[int, Article]]) -> None:
    with store.write() as conn:
        ids = ensure_source(
            conn, SourceSettings(name=source, url=f"https://{source}.org/"), datetime.now(UTC)
        )
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        page = [OaiRecord(RecordHeader(f"oai:{source}.org:article/{n}", "2024-01-01"), a) for n, a in records]
        ingest_records(conn, ctx, page)


def test_upgrading_clusters_the_articles_already_stored(store: Store) -> None:
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0007")
        assert "work_id" not in list(conn.exec_driver_sql("SELECT * FROM current_articles").keys())
    # Written by the 0007 code path: no works hook has tables to write to, so stub it out.
    from harvester.store import articles

    hook, articles.cluster_page = articles.cluster_page, lambda *_: None  # type: ignore[assignment]
    try:
        _ingest(
            store,
            "old",
            [(1, _article("Rivers", "10.5555/r.1", "Qureshi")), (2, _article("Famine", None, "Khan"))],
        )
        _ingest(
            store,
            "new",
            [(7, _article("RIVERS", None, "Qureshi")), (8, _article("Famine", "10.5555/f", "Khan"))],
        )
    finally:
        articles.cluster_page = hook
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        rows = conn.execute(text("SELECT source, oai_identifier, work_id FROM current_articles")).all()
        works = conn.execute(text("SELECT work_id, title, sources, article_count FROM current_works")).all()
    work_of = {identifier: work for _, identifier, work in rows}
    # Title, year and first author agree, no identifier against it: one work each pair.
    assert work_of["oai:old.org:article/1"] == work_of["oai:new.org:article/7"]
    assert work_of["oai:old.org:article/2"] == work_of["oai:new.org:article/8"]
    assert len(works) == 2
    assert all(row.sources == '["new","old"]' and row.article_count == 2 for row in works)
