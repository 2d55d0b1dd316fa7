"""A source's newest runs off an index: ``ix_runs_source_id`` on (source_id, id) and
``ix_runs_source_status`` on (source_id, status, finished_at, id).

The run table keeps every run of every source.  ``store.monitor`` (the daemon's schedule,
``status``, the fleet scheduler's every tick) read each source's newest runs with a window
over the whole table: for 2,000 sources of 500 runs each, 6 s on SQLite and 1.5 s on
PostgreSQL, every minute for the fleet.  It now reads them per source off these indexes.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_runs_source_id", table_name="runs")
    op.create_index("ix_runs_source_id", "runs", ["source_id", "id"])
    op.create_index("ix_runs_source_status", "runs", ["source_id", "status", "finished_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_runs_source_status", table_name="runs")
    op.drop_index("ix_runs_source_id", table_name="runs")
    op.create_index("ix_runs_source_id", "runs", ["source_id"])
