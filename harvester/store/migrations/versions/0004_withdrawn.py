"""Withdrawn articles, full-sweep marks, and one version per article on a first harvest.

Adds ``articles.withdrawn_at`` and ``withdrawn_evidence`` (an article absent from a complete
sweep: see ``store.sweeps``) with the same two columns on ``article_history`` (the version
that records the withdrawal); ``articles.oai_sweep`` (the run that started the last full OAI
list that showed the article) and ``checkpoints.sweep_run`` (that run, kept while a full
sweep is resumed); and an index on ``change_log (entity, entity_id, version)`` to move the
feed entry of a version its run amends.  Views: ``current_articles`` and ``article_versions``
gain the two withdrawal columns (existing columns unchanged); ``current_issues`` counts and
``current_galleys`` lists live articles only, a withdrawn one no longer live.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_Timestamp = sa.DateTime(timezone=True)

# The views as this revision defines them (frozen here: later revisions may change views.py).
_CURRENT_ARTICLES = """
    SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
           a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
           j.title AS journal_title, j.issn, i.volume, i.number, i.year,
           i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at,
           a.withdrawn_at, a.withdrawn_evidence
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN journals j ON j.id = a.journal_id
    LEFT JOIN issues i ON i.id = a.issue_id
"""

_CURRENT_ISSUES = """
    SELECT i.id AS issue_id, s.name AS source, j.title AS journal_title, j.issn,
           i.volume, i.number, i.year, i.title, i.url, i.ojs_id, i.published, i.cover_url,
           (SELECT COUNT(*) FROM articles a
             WHERE a.issue_id = i.id AND a.deleted = FALSE AND a.withdrawn_at IS NULL) AS articles,
           i.version, i.first_seen, i.updated_at
    FROM issues i
    JOIN journals j ON j.id = i.journal_id
    JOIN sources s ON s.id = j.source_id
"""

_ARTICLE_VERSIONS = """
    SELECT h.article_id, h.version, h.content_hash, h.record, h.deleted, h.datestamp,
           s.name AS source, h.run_id, h.fetched_at, h.withdrawn_at, h.withdrawn_evidence
    FROM article_history h
    JOIN sources s ON s.id = h.source_id
"""

_CURRENT_GALLEYS = """
    SELECT g.article_id, s.name AS source, g.label,
           COALESCE(v.mime_type, g.declared_type) AS mime_type, g.source_url, g.file_url,
           v.size, v.sha256, b.path, v.fetched_at, g.version, g.status, g.reason,
           v.file_name, g.checked_at
    FROM galley_files g
    JOIN articles a ON a.id = g.article_id
    JOIN sources s ON s.id = a.source_id
    LEFT JOIN galley_file_versions v ON v.galley_id = g.id AND v.version = g.version
    LEFT JOIN file_blobs b ON b.sha256 = v.sha256
    WHERE g.removed_at IS NULL AND a.deleted = FALSE AND a.withdrawn_at IS NULL
"""

# The same four views as 0003 left them, for the downgrade.
_CURRENT_ARTICLES_0003 = """
    SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
           a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
           j.title AS journal_title, j.issn, i.volume, i.number, i.year,
           i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN journals j ON j.id = a.journal_id
    LEFT JOIN issues i ON i.id = a.issue_id
"""

_CURRENT_ISSUES_0003 = """
    SELECT i.id AS issue_id, s.name AS source, j.title AS journal_title, j.issn,
           i.volume, i.number, i.year, i.title, i.url, i.ojs_id, i.published, i.cover_url,
           (SELECT COUNT(*) FROM articles a
             WHERE a.issue_id = i.id AND a.deleted = FALSE) AS articles,
           i.version, i.first_seen, i.updated_at
    FROM issues i
    JOIN journals j ON j.id = i.journal_id
    JOIN sources s ON s.id = j.source_id
"""

_ARTICLE_VERSIONS_0003 = """
    SELECT h.article_id, h.version, h.content_hash, h.record, h.deleted, h.datestamp,
           s.name AS source, h.run_id, h.fetched_at
    FROM article_history h
    JOIN sources s ON s.id = h.source_id
"""

_CURRENT_GALLEYS_0003 = """
    SELECT g.article_id, s.name AS source, g.label,
           COALESCE(v.mime_type, g.declared_type) AS mime_type, g.source_url, g.file_url,
           v.size, v.sha256, b.path, v.fetched_at, g.version, g.status, g.reason,
           v.file_name, g.checked_at
    FROM galley_files g
    JOIN articles a ON a.id = g.article_id
    JOIN sources s ON s.id = a.source_id
    LEFT JOIN galley_file_versions v ON v.galley_id = g.id AND v.version = g.version
    LEFT JOIN file_blobs b ON b.sha256 = v.sha256
    WHERE g.removed_at IS NULL AND a.deleted = FALSE
"""

_VIEWS = ("current_articles", "current_issues", "article_versions", "current_galleys")

_COLUMNS = (
    ("articles", "withdrawn_at", _Timestamp),
    ("articles", "withdrawn_evidence", sa.Text()),
    ("articles", "oai_sweep", sa.Integer()),
    ("article_history", "withdrawn_at", _Timestamp),
    ("article_history", "withdrawn_evidence", sa.Text()),
    ("checkpoints", "sweep_run", sa.Integer()),
)


def _create_views(*selects: str) -> None:
    for name, select in zip(_VIEWS, selects, strict=True):
        op.execute(f"CREATE VIEW {name} AS {select}")


def _drop_views() -> None:
    for name in _VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    """Add the columns and the index, then rebuild the views that show or filter on them."""
    _drop_views()
    for table, name, type_ in _COLUMNS:
        op.add_column(table, sa.Column(name, type_))
    op.create_index("ix_change_log_entity", "change_log", ["entity", "entity_id", "version"])
    _create_views(_CURRENT_ARTICLES, _CURRENT_ISSUES, _ARTICLE_VERSIONS, _CURRENT_GALLEYS)


def downgrade() -> None:
    """Back to 0003: withdrawals and sweep marks are dropped (withdrawn articles look live)."""
    _drop_views()
    op.drop_index("ix_change_log_entity", "change_log")
    # Plain ALTER TABLE … DROP COLUMN, as 0002 does (a batch rebuild would drop tables that
    # others reference while foreign keys are enforced).
    for table, name, _ in reversed(_COLUMNS):
        op.drop_column(table, name)
    _create_views(_CURRENT_ARTICLES_0003, _CURRENT_ISSUES_0003, _ARTICLE_VERSIONS_0003, _CURRENT_GALLEYS_0003)
