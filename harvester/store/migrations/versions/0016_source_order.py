"""A source's articles in id order and in change order, off an index.

Three readers take a source's articles a page or a chunk at a time:

- the end-of-run reconciliation (``store.sweeps``) and the galley mirror
  (``store.galleys``): ``WHERE source_id = ? AND id > ? ORDER BY id LIMIT n``;
- the OAI-PMH server, for a set (``store.serving``): ``WHERE source = ? AND updated_at >= ?
  … ORDER BY updated_at, id LIMIT n``.

The only index on ``source_id`` was (source_id, oai_identifier), so every chunk or page read
all of the source's articles and sorted them: quadratic in the size of the source.  On SQLite,
for a source of 200,000 articles, 0.25 s a chunk of 500 (100 s at the end of every complete
harvest) and 0.2-0.3 s a page of 100 records served.  These two indexes give either order at
once, on both databases.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_articles_source_id": ["source_id", "id"],
    "ix_articles_source_updated": ["source_id", "updated_at", "id"],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "articles", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="articles")
