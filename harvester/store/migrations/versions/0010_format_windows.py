"""One OAI window per metadata format: checkpoints and high-water marks keyed by prefix too.

A source's OAI harvest may walk a second window in another format (``jats``, whose references
enrich the articles harvested in ``oai_dc``: ``store.enrich``), resumed and advanced on its
own.  ``checkpoints`` already records each window's ``metadata_prefix``; it joins the primary
key, now (source_id, set_spec, metadata_prefix).  ``harvest_state`` gains the column, with
every existing row meaning ``oai_dc`` (the only prefix a source could be configured with), and
the same key.

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

_KEY = ["source_id", "set_spec", "metadata_prefix"]


def _rekey(table: str, columns: list[str]) -> None:
    """Give ``table`` the primary key ``columns``: in place on PostgreSQL (the key keeps its
    default name ``<table>_pkey``), by Alembic's copy-and-move on SQLite, which cannot alter a
    primary key."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({', '.join(columns)})")
        return
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.create_primary_key(f"pk_{table}", columns)


def upgrade() -> None:
    """Add ``harvest_state.metadata_prefix`` (existing rows: oai_dc), then widen both keys."""
    op.add_column(
        "harvest_state",
        sa.Column("metadata_prefix", sa.Text(), nullable=False, server_default="oai_dc"),
    )
    _rekey("checkpoints", _KEY)
    _rekey("harvest_state", _KEY)


def downgrade() -> None:
    """Back to 0007: the windows of other formats are forgotten, the keys narrowed again."""
    op.execute("DELETE FROM checkpoints WHERE metadata_prefix <> 'oai_dc'")
    op.execute("DELETE FROM harvest_state WHERE metadata_prefix <> 'oai_dc'")
    _rekey("checkpoints", _KEY[:2])
    _rekey("harvest_state", _KEY[:2])
    with op.batch_alter_table("harvest_state") as batch:
        batch.drop_column("metadata_prefix")
