"""A work is named after one of its articles (migration 0011): an article alone is its own
work without a ``works`` row; when the article a work is named after leaves, the others go on
under the first of them, and the feed says so.  Store-level, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from harvester.store import Store
from harvester.store.queries import current_articles
from harvester.store.work_overrides import merge_articles, show_work, split_article
from tests.works.test_works_migration import _article, _ingest


def _rows(store: Store, sql: str) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(sql)).all())


def _ids(store: Store) -> dict[str, int]:
    rows = _rows(store, "SELECT source, article_id FROM current_articles")
    return dict(rows)


def test_a_work_goes_on_under_another_article_when_its_namesake_leaves(store: Store) -> None:
    for source in ("a", "b", "c"):
        _ingest(store, source, [(1, _article("Rivers", "10.5555/r", "Qureshi"))])
    ids = _ids(store)
    first = ids["a"]
    assert {row.work_id for row in _rows(store, "SELECT work_id FROM current_articles")} == {first}
    with store.write() as conn:
        split_article(conn, first, datetime.now(UTC))
    works = _rows(store, "SELECT work_id, article_count FROM current_works ORDER BY work_id")
    rest = min(ids["b"], ids["c"])
    assert works == [(first, 1), (rest, 2)]
    feed = _rows(store, "SELECT entity_id, version, op FROM changes WHERE entity = 'work' ORDER BY seq")
    assert feed == [(first, 1, "create"), (first, 2, "update"), (first, 3, "update"), (rest, 1, "create")]
    with store.read() as conn:
        assert [m["article_id"] for m in show_work(conn, rest)["members"]] == sorted([ids["b"], ids["c"]])
    # Seen again, the split article stays alone.
    _ingest(store, "a", [(1, _article("Rivers revisited", "10.5555/r", "Qureshi"))])
    assert _rows(store, "SELECT work_id, article_count FROM current_works ORDER BY work_id") == works


def test_articles_alone_have_no_works_row_until_merged(store: Store) -> None:
    _ingest(store, "a", [(1, _article("Rivers", None, "Qureshi"))])
    _ingest(store, "b", [(1, _article("Famine", None, "Khan"))])
    ids = _ids(store)
    assert _rows(store, "SELECT COUNT(*) FROM works") == [(0,)]
    alone = _rows(store, "SELECT work_id, articles, sources, article_count, version, live FROM current_works")
    assert sorted(alone) == [
        (ids["a"], f"[{ids['a']}]", '["a"]', 1, 1, True),
        (ids["b"], f"[{ids['b']}]", '["b"]', 1, 1, True),
    ]
    with store.write() as conn:
        merge_articles(conn, ids["b"], ids["a"], datetime.now(UTC))
    merged = _rows(store, "SELECT work_id, article_count FROM current_works")
    assert merged == [(ids["a"], 2)]
    assert _rows(store, "SELECT id FROM works") == [(ids["a"],)]


def _served(store: Store) -> dict[int, tuple[int, Any]]:
    """article id -> (work id, updated_at) as ``current_articles`` serves them."""
    rows = _rows(store, "SELECT article_id, work_id, updated_at FROM current_articles")
    return {aid: (work, updated) for aid, work, updated in rows}


def test_an_article_whose_work_id_changes_is_served_and_exported_anew(store: Store) -> None:
    for source in ("a", "b", "c"):
        _ingest(store, source, [(1, _article("Rivers", "10.5555/r", "Qureshi"))])
    ids = _ids(store)
    before = _served(store)
    (seq,) = _rows(store, "SELECT MAX(seq) FROM changes")[0]
    with store.write() as conn:
        split_article(conn, ids["a"], datetime.now(UTC))  # b and c go on under another name
    after = _served(store)
    renamed = {ids["b"], ids["c"]}
    for aid in renamed:
        assert after[aid][0] != before[aid][0]
        assert after[aid][1] > before[aid][1]  # the OAI-PMH datestamp: served anew `from` then
    assert after[ids["a"]] == before[ids["a"]]  # its work id is its own, as before
    with store.read() as conn:
        exported = {row["article_id"] for row in current_articles(conn, since=seq)}
    assert exported == renamed | {ids["a"]}  # a: its work changed (it left), its id did not
