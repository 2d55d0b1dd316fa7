"""Works and identifier problems (issue 17).

Adds ``works``, ``work_members``, ``work_overrides`` and ``identifier_issues``; adds
``work_id`` and ``canonical_url`` to ``current_articles``; creates ``current_works`` and
``identifier_problems``.  Every article already stored is then clustered from its current
version, source by source in id order, as the ingest path does page by page
(``store.works.cluster_records``), so an upgraded store has one work per article at once.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from alembic import op

from harvester.store.feed import RunContext
from harvester.store.schema import identifier_issues, work_members, work_overrides, works
from harvester.store.works import cluster_records

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
_WITH_WORKS = _CURRENT_ARTICLES.format(
    extra=",\n           wm.work_id, wm.url AS canonical_url",
    join="\n    LEFT JOIN work_members wm ON wm.article_id = a.id",
)
_WITHOUT = _CURRENT_ARTICLES.format(extra="", join="")

_CURRENT_WORKS = """
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

_LIVE_RECORDS = sa.text(
    "SELECT a.id, a.source_id, a.journal_id, h.record FROM articles a "
    "JOIN article_history h ON h.article_id = a.id AND h.version = a.version "
    "WHERE a.deleted = FALSE ORDER BY a.source_id, a.id"
)


def _cluster_existing() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    batch: dict[int, dict[str, object]] = {}
    ctx: RunContext | None = None
    for article_id, source_id, journal_id, record in conn.execute(_LIVE_RECORDS):
        if ctx is None or ctx.source_id != source_id or len(batch) >= 500:
            if ctx is not None:
                cluster_records(conn, ctx, batch)
            ctx, batch = RunContext(source_id, journal_id, None, now), {}
        batch[article_id] = orjson.loads(record)
    if ctx is not None:
        cluster_records(conn, ctx, batch)


def upgrade() -> None:
    """Create the tables and views, then cluster the articles already stored."""
    conn = op.get_bind()
    for table in (works, work_members, work_overrides, identifier_issues):
        table.create(conn)
    op.execute("DROP VIEW IF EXISTS current_articles")
    op.execute(f"CREATE VIEW current_articles AS {_WITH_WORKS}")
    op.execute(f"CREATE VIEW current_works AS {_CURRENT_WORKS}")
    op.execute(f"CREATE VIEW identifier_problems AS {_IDENTIFIER_PROBLEMS}")
    _cluster_existing()


def downgrade() -> None:
    """Back to 0008: works, overrides and problems go."""
    for view in ("identifier_problems", "current_works", "current_articles"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("identifier_issues", "work_overrides", "work_members", "works"):
        op.drop_table(table)
    op.execute(f"CREATE VIEW current_articles AS {_WITHOUT}")
