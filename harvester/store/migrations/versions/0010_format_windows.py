"""One OAI window per metadata format: checkpoints and high-water marks keyed by prefix too.

A source's OAI harvest may walk a second window in another format (``jats``, whose references
enrich the articles harvested in ``oai_dc``: ``store.enrich``), resumed and advanced on its
own.  ``checkpoints`` already records each window's ``metadata_prefix``; it joins the primary
key, now (source_id, set_spec, metadata_prefix).  ``harvest_state`` gains the column, with
every existing row meaning ``oai_dc`` (the only prefix a source could be configured with), and
the same key.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KEY = ["source_id", "set_spec", "metadata_prefix"]
_Timestamp = sa.DateTime(timezone=True)


def _columns(table: str, *, prefix: bool) -> list[sa.Column[Any]]:
    """The table's columns as 0007 and this revision define them (frozen here), with or
    without ``metadata_prefix`` (``harvest_state`` before this revision has none)."""
    key: list[sa.Column[Any]] = [
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("set_spec", sa.Text),
    ]
    if table == "checkpoints":
        return [
            *key,
            sa.Column("metadata_prefix", sa.Text, nullable=False),
            sa.Column("window_from", sa.String(32)),
            sa.Column("window_until", sa.String(32)),
            sa.Column("full_sweep", sa.Boolean, nullable=False),
            sa.Column("started_response_date", sa.String(32), nullable=False),
            sa.Column("resumption_token", sa.Text),
            sa.Column("pages", sa.Integer, nullable=False),
            sa.Column("updated_at", _Timestamp, nullable=False),
            sa.Column("sweep_run", sa.Integer),
        ]
    columns: list[sa.Column[Any]] = [
        *key,
        sa.Column("high_water", sa.String(32), nullable=False),
        sa.Column("last_full_sweep", _Timestamp),
        sa.Column("updated_at", _Timestamp, nullable=False),
    ]
    if prefix:
        columns.append(sa.Column("metadata_prefix", sa.Text, nullable=False, server_default="oai_dc"))
    return columns


def _rekey(table: str, key: list[str], *, prefix: bool) -> None:
    """Give ``table`` the primary key ``key``: in place on PostgreSQL (the key keeps its default
    name ``<table>_pkey``); on SQLite, which cannot alter a primary key, by building the table
    anew and copying its rows (SQLite's documented 12-step ALTER)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({', '.join(key)})")
        return
    columns = _columns(table, prefix=prefix)
    names = ", ".join(column.name for column in columns)
    op.create_table(f"_new_{table}", *columns, sa.PrimaryKeyConstraint(*key))
    op.execute(f"INSERT INTO _new_{table} ({names}) SELECT {names} FROM {table}")
    op.drop_table(table)
    op.rename_table(f"_new_{table}", table)


def upgrade() -> None:
    """Add ``harvest_state.metadata_prefix`` (existing rows: oai_dc), then widen both keys."""
    op.add_column(
        "harvest_state",
        sa.Column("metadata_prefix", sa.Text(), nullable=False, server_default="oai_dc"),
    )
    _rekey("checkpoints", _KEY, prefix=True)
    _rekey("harvest_state", _KEY, prefix=True)


def downgrade() -> None:
    """Back to 0009 (checkpoints as 0007 defined them): the windows of other formats are
    forgotten, the keys narrowed again."""
    op.execute("DELETE FROM checkpoints WHERE metadata_prefix <> 'oai_dc'")
    op.execute("DELETE FROM harvest_state WHERE metadata_prefix <> 'oai_dc'")
    _rekey("checkpoints", _KEY[:2], prefix=True)
    _rekey("harvest_state", _KEY[:2], prefix=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("harvest_state", "metadata_prefix")
