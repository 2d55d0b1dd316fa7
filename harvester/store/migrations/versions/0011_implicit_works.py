"""An article alone is its own work, with no ``works`` row (issue 17: the cost of works).

A work's id becomes the id of one of its articles (the first there: its anchor), so a new
article that meets nobody costs its member row only: no ``works`` row, no id to read back,
no change-feed entry of its own (its article's entry tells of it).  ``works`` loses
``founder`` and its sequence; ``work_members.work_id`` no longer references ``works`` (an
article alone names itself).  ``current_works`` shows the works without a row from their
member rows.

Existing data is converted: each work is renamed after its first article; a work of one
article keeps its row only when its version says its membership changed before.  Articles
without a work (a store upgraded from before 0009) are then clustered from their current
versions, source by source in id order, as the ingest does page by page.  A downgrade
forgets the works (the overrides stay) and an upgrade clusters again.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from alembic import op

from harvester.store.feed import RunContext
from harvester.store.schema import work_members, works
from harvester.store.views import VIEWS
from harvester.store.works import cluster_records
from harvester.works.matching import RecordKeys, record_keys

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_MEMBER_COLUMNS = "source_id, doi, block, issns, title, year, first_author, url, rule, evidence"
_WORK_COLUMNS = "version, title, doi, year, first_author, articles, sources, created_at, updated_at"
_ANCHORS = (
    "(SELECT work_id, MIN(article_id) AS anchor, COUNT(*) AS n FROM work_members_0010 GROUP BY work_id)"
)
_LIVE_UNPLACED = sa.text(
    "SELECT a.id, a.source_id, a.journal_id, h.record FROM articles a "
    "JOIN article_history h ON h.article_id = a.id AND h.version = a.version "
    "WHERE a.deleted = FALSE AND NOT EXISTS (SELECT 1 FROM work_members m WHERE m.article_id = a.id) "
    "ORDER BY a.source_id, a.id"
)


def _convert() -> None:
    """Copy the works and members aside, recreate both tables, copy them back renamed."""
    conn = op.get_bind()
    for table in ("works", "work_members"):
        op.execute(f"CREATE TABLE {table}_0010 AS SELECT * FROM {table}")
    op.drop_table("work_members")
    op.drop_table("works")
    works.create(conn)
    work_members.create(conn)
    op.execute(
        f"INSERT INTO work_members (article_id, work_id, {_MEMBER_COLUMNS}) "
        f"SELECT m.article_id, g.anchor, {', '.join('m.' + c for c in _MEMBER_COLUMNS.split(', '))} "
        f"FROM work_members_0010 m JOIN {_ANCHORS} g ON g.work_id = m.work_id"
    )
    op.execute(
        f"INSERT INTO works (id, {_WORK_COLUMNS}) "
        f"SELECT g.anchor, {', '.join('w.' + c for c in _WORK_COLUMNS.split(', '))} "
        f"FROM works_0010 w JOIN {_ANCHORS} g ON g.work_id = w.id WHERE g.n > 1 OR w.version > 1"
    )
    for table in ("works", "work_members"):
        op.drop_table(f"{table}_0010")


def _cluster_unplaced() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    batch: dict[int, RecordKeys] = {}
    ctx: RunContext | None = None
    for article_id, source_id, journal_id, record in conn.execute(_LIVE_UNPLACED).all():
        if ctx is None or ctx.source_id != source_id or len(batch) >= 500:
            if ctx is not None:
                cluster_records(conn, ctx, batch)
            ctx, batch = RunContext(source_id, journal_id, None, now), {}
        batch[article_id] = record_keys(orjson.loads(record))
    if ctx is not None:
        cluster_records(conn, ctx, batch)


def upgrade() -> None:
    """Convert the works, cluster the articles without one, recreate the views on them."""
    for view in ("current_works", "current_articles"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    _convert()
    _cluster_unplaced()
    for view in ("current_articles", "current_works"):
        op.execute(f"CREATE VIEW {view} AS {VIEWS[view]}")


def downgrade() -> None:
    """Back to 0010's tables, empty (an upgrade clusters every article again)."""
    before = importlib.import_module("harvester.store.migrations.versions.0009_works")
    for view in ("current_works", "current_articles"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    op.drop_table("work_members")
    op.drop_table("works")
    before.create_works_tables()
    op.execute(f"CREATE VIEW current_articles AS {before.WITH_WORKS}")
    op.execute(f"CREATE VIEW current_works AS {before.CURRENT_WORKS}")
