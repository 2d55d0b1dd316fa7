"""``ix_articles_source_id``: a source's articles in id order, a chunk at a time.

The end-of-run reconciliation (``store.sweeps``) and the galley mirror (``store.galleys``)
read a source's articles ``WHERE source_id = ? AND id > ? ORDER BY id LIMIT n``.  The only
index on ``source_id`` was (source_id, oai_identifier), so every chunk read all of the
source's articles and sorted them: quadratic in the size of the source (on SQLite, 0.25 s per
chunk of 500 for a source of 200,000 articles: 100 s at the end of each complete harvest).
This index on (source_id, id) gives the order at once on both databases.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_source_id", "articles", ["source_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_articles_source_id", table_name="articles")
