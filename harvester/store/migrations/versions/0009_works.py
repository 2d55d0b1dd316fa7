"""Works and identifier problems (issue 17).

Adds ``works``, ``work_members``, ``work_overrides`` and ``identifier_issues``; adds
``work_id`` and ``canonical_url`` to ``current_articles``; creates ``current_works`` and
``identifier_problems``.  The articles already stored are clustered by 0011, whose clustering
code writes the later shape of these tables.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from harvester.store.schema import identifier_issues, work_overrides

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CURRENT_ARTICLES = """
    SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
           a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
           j.title AS journal_title, j.issn, i.volume, i.number, i.year,
           i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at,
           a.withdrawn_at, a.withdrawn_evidence,
           a.titles, a.subtitles, a.abstracts, a.keywords_by_language, a."references"{extra}
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN journals j ON j.id = a.journal_id
    LEFT JOIN issues i ON i.id = a.issue_id{join}
"""
WITH_WORKS = _CURRENT_ARTICLES.format(
    extra=",\n           wm.work_id, wm.url AS canonical_url",
    join="\n    LEFT JOIN work_members wm ON wm.article_id = a.id",
)
_WITHOUT = _CURRENT_ARTICLES.format(extra="", join="")

CURRENT_WORKS = """
    SELECT w.id AS work_id, w.title, w.doi, w.year, w.first_author, w.articles, w.sources,
           (SELECT COUNT(*) FROM work_members m WHERE m.work_id = w.id) AS article_count,
           CASE WHEN EXISTS (
               SELECT 1 FROM work_members m JOIN articles a ON a.id = m.article_id
                WHERE m.work_id = w.id AND a.deleted = FALSE AND a.withdrawn_at IS NULL
           ) THEN TRUE ELSE FALSE END AS live,
           w.version, w.created_at, w.updated_at
    FROM works w
"""
_IDENTIFIER_PROBLEMS = """
    SELECT p.id AS problem_id, s.name AS source, j.title AS journal_title, p.article_id,
           p.kind, p.raw AS raw_value, p.reason, p.found_at
    FROM identifier_issues p
    JOIN sources s ON s.id = p.source_id
    LEFT JOIN journals j ON j.source_id = p.source_id
"""

_Timestamp = sa.DateTime(timezone=True)


def create_works_tables() -> None:
    """``works`` and ``work_members`` as this revision made them (0011 changed both)."""
    op.create_table(
        "works",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("founder", sa.Integer, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("first_author", sa.Text),
        sa.Column("articles", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("created_at", _Timestamp, nullable=False),
        sa.Column("updated_at", _Timestamp, nullable=False),
    )
    op.create_table(
        "work_members",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id"), nullable=False, index=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("doi", sa.Text, index=True),
        sa.Column("block", sa.String(40), index=True),
        sa.Column("issns", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("first_author", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("rule", sa.String(24), nullable=False),
        sa.Column("evidence", sa.Text),
    )


def upgrade() -> None:
    """Create the tables and views (0011 clusters the articles already stored)."""
    conn = op.get_bind()
    create_works_tables()
    for table in (work_overrides, identifier_issues):
        table.create(conn)
    op.execute("DROP VIEW IF EXISTS current_articles")
    op.execute(f"CREATE VIEW current_articles AS {WITH_WORKS}")
    op.execute(f"CREATE VIEW current_works AS {CURRENT_WORKS}")
    op.execute(f"CREATE VIEW identifier_problems AS {_IDENTIFIER_PROBLEMS}")


def downgrade() -> None:
    """Back to 0008: works, overrides and problems go."""
    for view in ("identifier_problems", "current_works", "current_articles"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("identifier_issues", "work_overrides", "work_members", "works"):
        op.drop_table(table)
    op.execute(f"CREATE VIEW current_articles AS {_WITHOUT}")
