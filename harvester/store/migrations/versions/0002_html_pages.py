"""HTML pages: issue page fields, per-origin article records, the crawl's page cache.

Adds ``issues.url``, ``ojs_id``, ``published``, ``cover_url`` and ``page_read_at``; the
``article_sources`` and ``web_pages`` tables; and the new issue columns to the
``current_issues`` view (existing columns unchanged).  Stored records keep their hashes: the
fields the HTML pages add are left out of a record while unset (see ``model.record_json``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_Timestamp = sa.DateTime(timezone=True)

# The view as this revision defines it (frozen here: later revisions may change views.py).
_CURRENT_ISSUES = """
    SELECT i.id AS issue_id, s.name AS source, j.title AS journal_title, j.issn,
           i.volume, i.number, i.year, i.title, i.url, i.ojs_id, i.published, i.cover_url,
           (SELECT COUNT(*) FROM articles a
             WHERE a.issue_id = i.id AND a.deleted = FALSE) AS articles,
           i.version, i.first_seen, i.updated_at
    FROM issues i
    JOIN journals j ON j.id = i.journal_id
    JOIN sources s ON s.id = j.source_id
"""

_CURRENT_ISSUES_0001 = """
    SELECT i.id AS issue_id, s.name AS source, j.title AS journal_title, j.issn,
           i.volume, i.number, i.year, i.title,
           (SELECT COUNT(*) FROM articles a
             WHERE a.issue_id = i.id AND a.deleted = FALSE) AS articles,
           i.version, i.first_seen, i.updated_at
    FROM issues i
    JOIN journals j ON j.id = i.journal_id
    JOIN sources s ON s.id = j.source_id
"""

_ISSUE_COLUMNS = (
    ("url", sa.Text()),
    ("ojs_id", sa.Integer()),
    ("published", sa.String(10)),
    ("cover_url", sa.Text()),
    ("page_read_at", _Timestamp),
)


def upgrade() -> None:
    """Add the columns and tables, then rebuild the one view that shows them."""
    op.execute("DROP VIEW IF EXISTS current_issues")
    for name, type_ in _ISSUE_COLUMNS:
        op.add_column("issues", sa.Column(name, type_))
    op.create_table(
        "article_sources",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("origin", sa.String(8), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id")),
        sa.Column("fetched_at", _Timestamp, nullable=False),
    )
    op.create_table(
        "web_pages",
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), primary_key=True),
        sa.Column("url", sa.Text(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("links", sa.Text(), nullable=False),
        sa.Column("next_url", sa.Text()),
        sa.Column("checked_at", _Timestamp, nullable=False),
        sa.Column("changed_at", _Timestamp, nullable=False),
    )
    op.execute(f"CREATE VIEW current_issues AS {_CURRENT_ISSUES}")


def downgrade() -> None:
    """Back to 0001 (the per-origin records and the page cache are dropped)."""
    op.execute("DROP VIEW IF EXISTS current_issues")
    op.drop_table("web_pages")
    op.drop_table("article_sources")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of ``issues`` would
    # drop a table that ``articles`` references while foreign keys are enforced.
    for name, _ in reversed(_ISSUE_COLUMNS):
        op.drop_column("issues", name)
    op.execute(f"CREATE VIEW current_issues AS {_CURRENT_ISSUES_0001}")
