"""Journals versioned as issues are: ``journal_history`` and ``journals.version``.

The journal row was updated in place, its old values lost and no change-feed entry written, so
a journal renamed or given a new ISSN was invisible to a reader of the feed.  The writer now
keeps every version (``store.journals``); this revision:

1. adds ``journals.version`` (null: no facts stated yet) and ``journal_history``
   (journal_id, version, content_hash, record, run_id, fetched_at), shaped as
   ``issue_history``;
2. gives every existing journal version 1: its current record (the columns the writer records,
   ``store.journals.journal_record``, frozen here), no run, fetched at the row's
   ``updated_at`` (the migration's time for a row never updated);
3. rebuilds ``current_journals`` with ``version`` as its last column.

Nothing is written to the change feed: an upgrade must not hand every downstream reader every
journal again.  The downgrade drops the view's column, the table, the row's column and the
feed's ``journal`` entries (versions that no longer exist).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_BATCH = 500

# The columns a version records, as ``store.journals`` records them at this revision.
_RECORDED = (
    "title",
    "issn",
    "online_issn",
    "print_issn",
    "publisher",
    "primary_locale",
    "issns",
    "url",
)

# The view as this revision defines it, and as 0007 left it (frozen: views.py may change).
_CURRENT_JOURNALS = """
    SELECT j.id AS journal_id, s.name AS source, j.title, j.issn, j.online_issn, j.print_issn,
           j.issns, j.publisher, j.primary_locale, j.ojs_version, j.url, j.updated_at, j.version
    FROM journals j
    JOIN sources s ON s.id = j.source_id
"""
_CURRENT_JOURNALS_0014 = """
    SELECT j.id AS journal_id, s.name AS source, j.title, j.issn, j.online_issn, j.print_issn,
           j.issns, j.publisher, j.primary_locale, j.ojs_version, j.url, j.updated_at
    FROM journals j
    JOIN sources s ON s.id = j.source_id
"""

_Timestamp = sa.DateTime(timezone=True)
# The two tables as this revision reads and writes them (typed, so times are bound as the
# writer binds them).
_JOURNALS = sa.table(
    "journals",
    sa.column("id", sa.Integer),
    sa.column("updated_at", _Timestamp),
    *(sa.column(name, sa.Text) for name in _RECORDED),
)
_HISTORY = sa.table(
    "journal_history",
    sa.column("journal_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("content_hash", sa.String),
    sa.column("record", sa.Text),
    sa.column("fetched_at", _Timestamp),
)


def _version_one(row: sa.Row[tuple[object, ...]], now: datetime) -> dict[str, object]:
    """The history row of a journal's first version: its record as the writer encodes one
    (``model.encode_record``: canonical JSON, sorted keys, and its sha256)."""
    record = {name: getattr(row, name) for name in _RECORDED}
    issns = record["issns"]
    record["issns"] = orjson.loads(str(issns)) if issns else None
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return {
        "journal_id": row.id,
        "version": 1,
        "content_hash": hashlib.sha256(canonical).hexdigest(),
        "record": canonical.decode("utf-8"),
        "fetched_at": row.updated_at or now,
    }


def _give_version_one(conn: sa.Connection) -> None:
    """Version 1 for every journal, in batches along its id; then the rows' version."""
    now = datetime.now(UTC)
    read = sa.select(_JOURNALS).order_by(_JOURNALS.c.id).limit(_BATCH)
    rows = conn.execute(read).all()
    while rows:
        conn.execute(sa.insert(_HISTORY), [_version_one(row, now) for row in rows])
        rows = conn.execute(read.where(_JOURNALS.c.id > rows[-1].id)).all()
    op.execute("UPDATE journals SET version = 1")


def upgrade() -> None:
    """Add the column and the table, version every journal once, then rebuild the view."""
    op.execute("DROP VIEW IF EXISTS current_journals")
    op.add_column("journals", sa.Column("version", sa.Integer()))
    op.create_table(
        "journal_history",
        sa.Column("journal_id", sa.Integer, sa.ForeignKey("journals.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    _give_version_one(op.get_bind())
    op.execute(f"CREATE VIEW current_journals AS {_CURRENT_JOURNALS}")


def downgrade() -> None:
    """Back to 0014: the journals' versions and their feed entries go; the rows stay."""
    op.execute("DROP VIEW IF EXISTS current_journals")
    op.execute("DELETE FROM change_log WHERE entity = 'journal'")
    op.drop_table("journal_history")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as 0002 does.
    op.drop_column("journals", "version")
    op.execute(f"CREATE VIEW current_journals AS {_CURRENT_JOURNALS_0014}")
