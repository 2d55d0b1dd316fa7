"""References and the journal's identity.

Adds ``articles.references`` (a JSON array of ``{"text", "doi"}``, in the list's order),
fills it from each article's current version (empty where that version has none, as every
version stored before this revision), and appends it to the ``current_articles`` view.
Adds ``journals.online_issn``, ``print_issn``, ``primary_locale`` and ``ojs_version`` and
the ``current_journals`` view; the next harvest fills them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JOURNAL_COLUMNS = (
    ("online_issn", sa.String(9)),
    ("print_issn", sa.String(9)),
    ("primary_locale", sa.String(16)),
    ("ojs_version", sa.String(32)),
)

# The views as this revision defines them (frozen here: later revisions may change views.py).
_CURRENT_ARTICLES = """
    SELECT a.id AS article_id, s.name AS source, a.oai_identifier, a.doi, a.url, a.title,
           a.authors, a.abstract, a.keywords, a.section, a.pages, a.language, a.published,
           j.title AS journal_title, j.issn, i.volume, i.number, i.year,
           i.title AS issue_title, a.deleted, a.version, a.first_seen, a.updated_at,
           a.withdrawn_at, a.withdrawn_evidence,
           a.titles, a.subtitles, a.abstracts, a.keywords_by_language, a."references"
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN journals j ON j.id = a.journal_id
    LEFT JOIN issues i ON i.id = a.issue_id
"""

_CURRENT_JOURNALS = """
    SELECT j.id AS journal_id, s.name AS source, j.title, j.issn, j.online_issn, j.print_issn,
           j.issns, j.publisher, j.primary_locale, j.ojs_version, j.url, j.updated_at
    FROM journals j
    JOIN sources s ON s.id = j.source_id
"""

# As 0005 defined it (0006 changes no view).
_CURRENT_ARTICLES_0006 = """
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


_CURRENT_RECORDS = sa.text(
    "SELECT a.id, h.record FROM articles a "
    "JOIN article_history h ON h.article_id = a.id AND h.version = a.version ORDER BY a.id"
)
_FILL = sa.text('UPDATE articles SET "references" = :refs WHERE id = :b_id')


def _fill_from_current_versions() -> None:
    """``references`` of every article from its current version's record."""
    conn = op.get_bind()
    batch: list[dict[str, object]] = []
    for article_id, text in conn.execute(_CURRENT_RECORDS):
        references = (json.loads(text) or {}).get("references") or []
        batch.append({"b_id": article_id, "refs": json.dumps(references)})
        if len(batch) >= 500:
            conn.execute(_FILL, batch)
            batch = []
    if batch:
        conn.execute(_FILL, batch)


def upgrade() -> None:
    """Add the columns, fill ``references``, then rebuild the views."""
    op.execute("DROP VIEW IF EXISTS current_articles")
    op.add_column("articles", sa.Column("references", sa.Text()))
    _fill_from_current_versions()
    for name, kind in _JOURNAL_COLUMNS:
        op.add_column("journals", sa.Column(name, kind))
    op.execute(f"CREATE VIEW current_articles AS {_CURRENT_ARTICLES}")
    op.execute(f"CREATE VIEW current_journals AS {_CURRENT_JOURNALS}")


def downgrade() -> None:
    """Back to 0006: the new columns and ``current_journals`` go (versions keep references)."""
    op.execute("DROP VIEW IF EXISTS current_journals")
    op.execute("DROP VIEW IF EXISTS current_articles")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as 0002 does.
    for name, _ in reversed(_JOURNAL_COLUMNS):
        op.drop_column("journals", name)
    op.drop_column("articles", "references")
    op.execute(f"CREATE VIEW current_articles AS {_CURRENT_ARTICLES_0006}")
