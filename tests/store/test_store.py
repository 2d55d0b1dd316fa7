"""The store contract: identity, versions only on change, tombstones, an ordered change feed."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Connection, inspect

from harvester.config import SourceSettings
from harvester.model import Article, Author, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.articles import PageCounts, RawPage
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision, head_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.queries import article_versions, current_articles, find_article
from harvester.store.runs import ensure_source

SOURCE = SourceSettings(name="demo", url="https://journals.example.org/index.php/demo")
ISSUE = IssueRef(journal_title="Demo Journal", volume="3", number="1", year=2024, title="Borders")


def _record(
    number: int, title: str = "A title", *, deleted: bool = False, doi: str | None = None
) -> OaiRecord:
    header = RecordHeader(
        f"oai:journals.example.org:article/{number}", "2024-05-01T00:00:00Z", ("demo:ART",), deleted
    )
    if deleted:
        return OaiRecord(header, None)
    article = Article(
        title=title,
        authors=(Author(name="Ayesha Siddiqui", given="Ayesha", family="Siddiqui"),),
        keywords=("memory", "partition"),
        doi=doi,
        url=f"https://journals.example.org/index.php/demo/article/view/{number}",
        ojs_id=number,
        issue=ISSUE,
        issns=("2410-1303",),
        section="Articles",
        published="2024-05-01",
    )
    return OaiRecord(header, article)


def _ingest(store: Store, records: list[OaiRecord]) -> PageCounts:
    with store.write() as conn:
        ids = ensure_source(conn, SOURCE, datetime.now(UTC))
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        return ingest_records(conn, ctx, records, RawPage("https://x/oai", b"<xml/>"))


def _count(conn: Connection, table: str) -> int:
    return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def test_new_database_is_at_head_revision(store: Store) -> None:
    assert head_revision() == HEAD_REVISION  # the constant follows the migration files
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
    store.migrate()  # idempotent


def test_a_new_database_is_stamped_as_alembic_would(store: Store) -> None:
    """We write the version table ourselves (Alembic's import is a third of a first start-up):
    Alembic must read it as its own, and find nothing to upgrade."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with store.write() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == HEAD_REVISION
        ours = inspect(conn).get_pk_constraint("alembic_version")
        assert ours["constrained_columns"] == ["version_num"]
        assert ours["name"] in ("alembic_version_pkc", None)  # SQLite does not keep the name
        command.upgrade(_alembic_config(conn), "head")
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM alembic_version").scalar_one() == 1


def test_unchanged_records_write_nothing(store: Store) -> None:
    first = _ingest(store, [_record(1), _record(2)])
    assert (first.new, first.changed, first.unchanged) == (2, 0, 0)
    again = _ingest(store, [_record(1), _record(2)])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    with store.read() as conn:
        assert _count(conn, "article_versions") == 2
        assert _count(conn, "changes") == 4  # two articles, their issue and their journal (its ISSN)
        assert _count(conn, "current_issues") == 1


def test_edit_gives_one_version_and_one_change(store: Store) -> None:
    _ingest(store, [_record(1)])
    counts = _ingest(store, [_record(1, "A corrected title")])
    assert counts.changed == 1
    with store.read() as conn:
        (row,) = list(current_articles(conn))
        assert (row["title"], row["version"]) == ("A corrected title", 2)
        versions = article_versions(conn, row["article_id"])
        assert [v["record"]["title"] for v in versions] == ["A title", "A corrected title"]
        ops = conn.exec_driver_sql("SELECT entity, op, version FROM changes ORDER BY seq").all()
        assert [tuple(op) for op in ops] == [
            ("issue", "create", 1),
            ("journal", "create", 1),  # the ISSN the record names
            ("article", "create", 1),
            ("article", "update", 2),
        ]


def test_datestamp_alone_is_not_a_change(store: Store) -> None:
    _ingest(store, [_record(1)])
    bumped = _record(1)
    bumped = dataclasses.replace(
        bumped, header=dataclasses.replace(bumped.header, datestamp="2026-01-01T00:00:00Z")
    )
    assert _ingest(store, [bumped]).unchanged == 1


def test_deletion_is_a_tombstone_keeping_the_last_content(store: Store) -> None:
    _ingest(store, [_record(1)])
    assert _ingest(store, [_record(1, deleted=True)]).deleted == 1
    assert _ingest(store, [_record(1, deleted=True)]).unchanged == 1
    with store.read() as conn:
        (row,) = list(current_articles(conn))
        assert row["deleted"] is True
        assert row["title"] == "A title"
        versions = article_versions(conn, row["article_id"])
        assert [v["deleted"] for v in versions] == [False, True]
        assert versions[1]["record"]["title"] == "A title"
        assert _count(conn, "current_issues") == 1
        live = conn.exec_driver_sql("SELECT articles FROM current_issues").scalar_one()
        assert live == 0
    restored = _ingest(store, [_record(1)])
    assert restored.changed == 1


def test_tombstone_for_an_unseen_record_is_kept(store: Store) -> None:
    assert _ingest(store, [_record(9, deleted=True)]).deleted == 1
    with store.read() as conn:
        (row,) = list(current_articles(conn))
        assert row["deleted"] is True
        assert row["oai_identifier"] == "oai:journals.example.org:article/9"


def test_repeated_identifier_in_one_page_is_one_article(store: Store) -> None:
    counts = _ingest(store, [_record(1), _record(1, "Second sighting")])
    assert counts.new == 1
    with store.read() as conn:
        assert [r["title"] for r in current_articles(conn)] == ["Second sighting"]


def test_article_found_by_every_key(store: Store) -> None:
    _ingest(store, [_record(4, doi="10.5555/demo.4")])
    with store.read() as conn:
        article_id = find_article(conn, "oai:journals.example.org:article/4")
        assert find_article(conn, "https://doi.org/10.5555/DEMO.4") == article_id
        assert find_article(conn, "http://journals.example.org/index.php/demo/article/view/4/") == article_id
        assert find_article(conn, str(article_id)) == article_id


def test_json_columns_and_views(store: Store) -> None:
    _ingest(store, [_record(1)])
    with store.read() as conn:
        raw = conn.exec_driver_sql("SELECT authors, keywords, issn, volume, year FROM current_articles").one()
        assert json.loads(raw[0])[0] == {
            "name": "Ayesha Siddiqui",
            "given": "Ayesha",
            "family": "Siddiqui",
            "affiliation": None,
            "orcid": None,
        }
        assert json.loads(raw[1]) == ["memory", "partition"]
        assert tuple(raw[2:]) == ("2410-1303", "3", 2024)


def test_change_feed_commits_in_sequence_order(store: Store, db_url: str) -> None:
    """A poller reading "seq > N" must never see a higher seq before a lower one commits."""
    _ingest(store, [_record(1)])
    with store.read() as conn:
        start = conn.exec_driver_sql("SELECT MAX(seq) FROM changes").scalar_one()
    first_done, release = threading.Event(), threading.Event()
    second = Store(db_url)

    def slow_writer() -> None:
        with store.write() as conn:
            ids = ensure_source(conn, SOURCE, datetime.now(UTC))
            ingest_records(
                conn, RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC)), [_record(1, "B")]
            )
            first_done.set()
            release.wait(10)

    def fast_writer() -> None:
        with second.write() as conn:
            ids = ensure_source(conn, SOURCE, datetime.now(UTC))
            ingest_records(
                conn, RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC)), [_record(2, "C")]
            )

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert first_done.wait(10)
    fast = threading.Thread(target=fast_writer)
    fast.start()
    time.sleep(0.5)
    with second.read() as conn:  # the fast writer must still be waiting: nothing visible yet
        assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM changes WHERE seq > {start}").scalar_one() == 0
    release.set()
    slow.join(10)
    fast.join(10)
    second.close()
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT seq, entity_id, op FROM changes WHERE seq > {start} ORDER BY seq"
        ).all()
    assert [row[2] for row in rows] == ["update", "create"]


def test_readers_are_not_blocked_by_a_writer(store: Store, db_url: str) -> None:
    _ingest(store, [_record(1)])
    reader = Store(db_url)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE articles SET title = 'uncommitted'")
        with reader.read() as other:
            assert other.exec_driver_sql("SELECT title FROM current_articles").scalar_one() == "A title"
    reader.close()


def test_bulk_insert_stores_exactly_what_sqlalchemy_would(store: Store) -> None:
    from sqlalchemy import insert

    from harvester.store.bulk import insert_many
    from harvester.store.schema import change_log

    at = datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=UTC)
    row = {"entity": "article", "entity_id": 1, "version": 1, "op": "create", "run_id": None, "at": at}
    with store.write() as conn:
        source_id = ensure_source(conn, SOURCE, at).source_id
        insert_many(conn, change_log, [row | {"source_id": source_id, "entity_id": 1}])
        conn.execute(insert(change_log), [row | {"source_id": source_id, "entity_id": 2}])
    with store.read() as conn:
        stored = (
            conn.exec_driver_sql("SELECT CAST(at AS TEXT) FROM change_log ORDER BY entity_id").scalars().all()
        )
    assert stored[0] == stored[1]


def test_upgrade_from_the_first_release_keeps_data_and_hashes(store: Store) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from harvester.store.engine import _alembic_config
    from harvester.store.schema import metadata

    _ingest(store, [_record(1), _record(2, doi="10.5555/x")])
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0001")
        assert current_revision(conn) == "0001"
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        # The upgraded schema is the one a new database gets (views aside).
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert _count(conn, "current_issues") == 1
        assert _count(conn, "current_galleys") == _count(conn, "galley_versions") == 0
    # Records stored before the upgrade keep their hashes: seeing them again writes nothing.
    again = _ingest(store, [_record(1), _record(2, doi="10.5555/x")])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
