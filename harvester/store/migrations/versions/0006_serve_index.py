"""An index for ``harvester serve``: articles by the time their current version was written.

OAI-PMH lists page through ``current_articles`` in ``(updated_at, article_id)`` order from a
keyset cursor and filter by ``from``/``until`` on ``updated_at``; with this index a page costs
the same at the start and at the end of a large repository.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_updated", "articles", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_articles_updated", table_name="articles")
