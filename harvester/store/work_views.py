"""The public views of works and identifier problems (README "Works"), as of revision 0011.

``current_works``: one row per work, its best values (``store.work_writes``), its articles
and sources (JSON arrays), how many articles it has and whether any of them is live.  A work
of several articles (or one an article left another work for) has a row in ``works``; an
article alone that never was in another work is a work of its own, named by its id, shown
from its member row (its values are its own; its version 1, its times its article's).
``identifier_problems``: every identifier value that failed its check, with its source, its
journal, the article (NULL for a value of the journal, such as an ISSN) and the reason.
"""

from __future__ import annotations

__all__ = ["WORK_VIEWS"]

WORK_VIEWS: dict[str, str] = {
    "current_works": """
        SELECT w.id AS work_id, w.title, w.doi, w.year, w.first_author, w.articles, w.sources,
               (SELECT COUNT(*) FROM work_members m WHERE m.work_id = w.id) AS article_count,
               CASE WHEN EXISTS (
                   SELECT 1 FROM work_members m JOIN articles a ON a.id = m.article_id
                    WHERE m.work_id = w.id AND a.deleted = FALSE AND a.withdrawn_at IS NULL
               ) THEN TRUE ELSE FALSE END AS live,
               w.version, w.created_at, w.updated_at
        FROM works w
        UNION ALL
        SELECT m.article_id, m.title, m.doi, m.year, m.first_author,
               '[' || CAST(m.article_id AS TEXT) || ']', '["' || s.name || '"]', 1,
               CASE WHEN a.deleted = FALSE AND a.withdrawn_at IS NULL THEN TRUE ELSE FALSE END,
               1, a.first_seen, a.updated_at
        FROM work_members m
        JOIN articles a ON a.id = m.article_id
        JOIN sources s ON s.id = m.source_id
        WHERE m.work_id = m.article_id AND NOT EXISTS (SELECT 1 FROM works w WHERE w.id = m.work_id)
    """,
    "identifier_problems": """
        SELECT p.id AS problem_id, s.name AS source, j.title AS journal_title, p.article_id,
               p.kind, p.raw AS raw_value, p.reason, p.found_at
        FROM identifier_issues p
        JOIN sources s ON s.id = p.source_id
        LEFT JOIN journals j ON j.source_id = p.source_id
    """,
}
