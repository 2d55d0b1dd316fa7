"""The public, documented views: the interface downstream tools read.

Their columns are a contract (see README "Reading the store"); the tables behind them may
change with migrations.  The SQL is portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Connection

from .work_views import WORK_VIEWS

__all__ = ["VIEWS", "create_views", "drop_views"]

VIEWS: dict[str, str] = {
    "current_articles": """
        SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
               a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
               j.title AS journal_title, j.issn, i.volume, i.number, i.year,
               i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at,
               a.withdrawn_at, a.withdrawn_evidence,
               a.titles, a.subtitles, a.abstracts, a.keywords_by_language, a."references",
               wm.work_id, wm.url AS canonical_url
        FROM articles a
        JOIN sources s ON s.id = a.source_id
        JOIN journals j ON j.id = a.journal_id
        LEFT JOIN issues i ON i.id = a.issue_id
        LEFT JOIN work_members wm ON wm.article_id = a.id
    """,
    "current_issues": """
        SELECT i.id AS issue_id, s.name AS source, j.title AS journal_title, j.issn,
               i.volume, i.number, i.year, i.title, i.url, i.ojs_id, i.published, i.cover_url,
               (SELECT COUNT(*) FROM articles a
                 WHERE a.issue_id = i.id AND a.deleted = FALSE AND a.withdrawn_at IS NULL) AS articles,
               i.version, i.first_seen, i.updated_at
        FROM issues i
        JOIN journals j ON j.id = i.journal_id
        JOIN sources s ON s.id = j.source_id
    """,
    "current_journals": """
        SELECT j.id AS journal_id, s.name AS source, j.title, j.issn, j.online_issn, j.print_issn,
               j.issns, j.publisher, j.primary_locale, j.ojs_version, j.url, j.updated_at, j.version
        FROM journals j
        JOIN sources s ON s.id = j.source_id
    """,
    "article_versions": """
        SELECT h.article_id, h.version, h.content_hash, h.record, h.deleted, h.datestamp,
               s.name AS source, h.run_id, h.fetched_at, h.withdrawn_at, h.withdrawn_evidence
        FROM article_history h
        JOIN sources s ON s.id = h.source_id
    """,
    "current_galleys": """
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
    """,
    "galley_versions": """
        SELECT g.article_id, s.name AS source, g.source_url, v.version, v.mime_type, v.file_url,
               v.size, v.sha256, b.path, v.file_name, v.fetched_at
        FROM galley_file_versions v
        JOIN galley_files g ON g.id = v.galley_id
        JOIN articles a ON a.id = g.article_id
        JOIN sources s ON s.id = a.source_id
        JOIN file_blobs b ON b.sha256 = v.sha256
    """,
    "current_works": WORK_VIEWS["current_works"],
    "identifier_problems": WORK_VIEWS["identifier_problems"],
    "changes": """
        SELECT c.seq, c.entity, c.entity_id, c.version, c.op, c.at, s.name AS source
        FROM change_log c
        JOIN sources s ON s.id = c.source_id
    """,
}


def create_views(conn: Connection) -> None:
    """Create every public view (after the tables exist)."""
    for name, select in VIEWS.items():
        conn.exec_driver_sql(f"CREATE VIEW {name} AS {select}")


def drop_views(conn: Connection) -> None:
    """Drop every public view, e.g. before a migration that changes a table under one."""
    for name in VIEWS:
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")
