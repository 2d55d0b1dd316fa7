"""Migration 0009 (issue 17): a store written before works gets one work per article at once,
twins of two sources already together, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, text

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
    # Written as by the 0007 code path: no works hook, so stub it out; then taken down to 0007
    # (today's writer needs today's schema).
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
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0007")
        assert "work_id" not in list(conn.exec_driver_sql("SELECT * FROM current_articles").keys())
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


def _old_shape(conn: Connection, ids: dict[str, int]) -> None:
    """Works as 0009/0010 stored them: ids of their own, a row for every work."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    works = [  # id, founder, version, members
        (10, ids["old/1"], 2, [ids["old/1"], ids["new/7"]]),
        (11, ids["old/2"], 1, [ids["old/2"]]),
        (12, ids["new/8"], 2, [ids["new/8"]]),  # split off a work before: its version says so
    ]
    for work_id, founder, version, members in works:
        conn.execute(
            text(
                "INSERT INTO works (id, founder, version, title, articles, sources, created_at, updated_at) "
                "VALUES (:id, :founder, :version, 'T', :articles, '[]', :now, :now)"
            ),
            {"id": work_id, "founder": founder, "version": version, "articles": str(members), "now": now},
        )
        for aid in members:
            conn.execute(
                text(
                    "INSERT INTO work_members (article_id, work_id, source_id, doi, issns, title, rule) "
                    "SELECT :aid, :work, source_id, doi, '[]', title, :rule FROM articles WHERE id = :aid"
                ),
                {"aid": aid, "work": work_id, "rule": "split" if work_id == 12 else "alone"},
            )
    conn.execute(
        text("INSERT INTO work_overrides (kind, article_id, created_at) VALUES ('split', :aid, :now)"),
        {"aid": ids["new/8"], "now": now},
    )


def test_upgrading_from_0010_names_each_work_after_its_first_article(store: Store) -> None:
    from harvester.store import articles

    hook, articles.cluster_page = articles.cluster_page, lambda *_: None  # type: ignore[assignment]
    try:
        _ingest(
            store,
            "old",
            [(1, _article("Rivers", "10.5555/r.1", "Qureshi")), (2, _article("Famine", "10.5555/f", "Khan"))],
        )
        _ingest(
            store, "new", [(7, _article("RIVERS", None, "Qureshi")), (8, _article("Trade", None, "Shah"))]
        )
    finally:
        articles.cluster_page = hook
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0010")  # after writing: today's writer needs today's schema
        rows = conn.execute(text("SELECT oai_identifier, article_id FROM current_articles")).all()
        ids = {f"{i.split(':')[1].split('.')[0]}/{i.rsplit('/', 1)[1]}": aid for i, aid in rows}
        _old_shape(conn, ids)
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        work_of = dict(conn.execute(text("SELECT article_id, work_id FROM current_articles")).all())
        works = conn.execute(text("SELECT work_id, article_count, version FROM current_works")).all()
        rows_kept = {row[0] for row in conn.execute(text("SELECT id FROM works"))}
        overrides = conn.execute(text("SELECT kind, article_id FROM work_overrides")).all()
    first = min(ids["old/1"], ids["new/7"])
    assert work_of == {
        ids["old/1"]: first,
        ids["new/7"]: first,
        ids["old/2"]: ids["old/2"],
        ids["new/8"]: ids["new/8"],
    }
    assert sorted(works) == sorted([(first, 2, 2), (ids["old/2"], 1, 1), (ids["new/8"], 1, 2)])
    # A work of one article keeps its row only when it had a history of membership.
    assert rows_kept == {first, ids["new/8"]}
    assert overrides == [("split", ids["new/8"])]
    # A twin arriving now joins the converted work of one article: it gets its row then.
    _ingest(store, "new", [(9, _article("Famine", "10.5555/f", "Khan"))])
    with store.read() as conn:
        joined = conn.execute(
            text("SELECT work_id, article_count FROM current_works WHERE work_id = :id"), {"id": ids["old/2"]}
        ).all()
    assert joined == [(ids["old/2"], 2)]
