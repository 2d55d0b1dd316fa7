"""Sources held in the database: the fleet's registry of journals, and per-host waits.

Adds to ``sources`` what a journal needs to be harvested without the TOML file: its explicit
OAI endpoint, sets, strategy, schedule, metadata prefix, ``enabled``, ``mirror_galleys``,
where the row came from (``origin``: ``config``, ``import``, or ``url`` for a one-off harvest
of a URL), the host its requests go to, a key naming the journal (endpoint and sets) so an
import finds it again, what the import or discovery learnt (``details``, JSON), the hash of
the TOML entry last synced into it and when the row changed.  Rows that exist already were
created by harvests; they stay disabled until the config is synced into them.

Adds ``host_waits``: per host, until when every job must leave it alone (a ``Retry-After``
or a back-off after repeated failures), how many failures in a row, why, and when its
politeness budget allows the next request (handed from one process to the next).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_Timestamp = sa.DateTime(timezone=True)


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("oai_url", sa.Text()),
        sa.Column("sets", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("strategy", sa.String(16), nullable=False, server_default="auto"),
        sa.Column("schedule", sa.String(100), nullable=False, server_default="6h"),
        sa.Column("metadata_prefix", sa.String(32), nullable=False, server_default="oai_dc"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("mirror_galleys", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("origin", sa.String(16), nullable=False, server_default="url"),
        sa.Column("host", sa.String(255)),
        sa.Column("journal_key", sa.Text()),
        sa.Column("details", sa.Text()),
        sa.Column("config_hash", sa.String(64)),
        sa.Column("updated_at", _Timestamp),
    )


def upgrade() -> None:
    for column in _columns():
        op.add_column("sources", column)
    op.create_index("ix_sources_host", "sources", ["host"])
    op.create_index("ix_sources_journal_key", "sources", ["journal_key"])
    op.create_table(
        "host_waits",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("wait_until", _Timestamp),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reason", sa.Text()),
        sa.Column("free_at", _Timestamp),
        sa.Column("updated_at", _Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_waits")
    op.drop_index("ix_sources_journal_key", "sources")
    op.drop_index("ix_sources_host", "sources")
    for column in reversed(_columns()):
        op.drop_column("sources", column.name)
