"""Baseline: the first released schema.

A new database is built from ``schema.metadata`` and the views, then stamped with the head
revision (see ``store.engine.migrate``), so this revision has nothing to do; later revisions
alter databases created at or after it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: databases start at this revision."""


def downgrade() -> None:
    """Nothing below the baseline."""
