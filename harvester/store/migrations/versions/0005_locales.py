"""Every language: per-language columns of ``articles`` and ``current_articles``.

Adds ``articles.titles``, ``subtitles``, ``abstracts`` and ``keywords_by_language`` (JSON
objects keyed by language), fills them from each article's current version, and appends
them to the ``current_articles`` view (existing columns unchanged).  Stored records keep
their hashes: the fields the record gains are left out of it while unset (see
``model.record_json``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("titles", "subtitles", "abstracts", "keywords_by_language")

# The view as this revision defines it (frozen here: later revisions may change views.py).
_CURRENT_ARTICLES = """
    SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
           a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
           j.title AS journal_title, j.issn, i.volume, i.number, i.year,
           i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at,
           a.withdrawn_at, a.withdrawn_evidence,
           a.titles, a.subtitles, a.abstracts, a.keywords_by_language
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN journals j ON j.id = a.journal_id
    LEFT JOIN issues i ON i.id = a.issue_id
"""

_CURRENT_ARTICLES_0004 = """
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

_CURRENT_RECORDS = sa.text(
    "SELECT a.id, h.record FROM articles a "
    "JOIN article_history h ON h.article_id = a.id AND h.version = a.version ORDER BY a.id"
)
_FILL = sa.text(
    "UPDATE articles SET titles = :titles, subtitles = :subtitles, abstracts = :abstracts, "
    "keywords_by_language = :keywords_by_language WHERE id = :b_id"
)


def _fill_from_current_versions() -> None:
    """The new columns of every article, from its current version's record (a tombstone
    without content keeps them empty, as the ingest does)."""
    conn = op.get_bind()
    batch: list[dict[str, object]] = []
    for article_id, text in conn.execute(_CURRENT_RECORDS):
        record = json.loads(text)
        if not record:
            continue
        batch.append({"b_id": article_id} | {name: json.dumps(record.get(name) or {}) for name in _COLUMNS})
        if len(batch) >= 500:
            conn.execute(_FILL, batch)
            batch = []
    if batch:
        conn.execute(_FILL, batch)


def upgrade() -> None:
    """Add the columns, fill them, then rebuild the view that shows them."""
    op.execute("DROP VIEW IF EXISTS current_articles")
    for name in _COLUMNS:
        op.add_column("articles", sa.Column(name, sa.Text()))
    _fill_from_current_versions()
    op.execute(f"CREATE VIEW current_articles AS {_CURRENT_ARTICLES}")


def downgrade() -> None:
    """Back to 0004: the per-language columns go (the versions keep the values)."""
    op.execute("DROP VIEW IF EXISTS current_articles")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as 0002 does.
    for name in reversed(_COLUMNS):
        op.drop_column("articles", name)
    op.execute(f"CREATE VIEW current_articles AS {_CURRENT_ARTICLES_0004}")
