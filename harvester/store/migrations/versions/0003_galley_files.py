"""Galley files: the mirror's stored files, each galley's state and its file versions.

Adds the ``file_blobs``, ``galley_files`` and ``galley_file_versions`` tables and the
``current_galleys`` and ``galley_versions`` views.  Nothing existing changes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_Timestamp = sa.DateTime(timezone=True)

# The views as this revision defines them (frozen here: later revisions may change views.py).
_CURRENT_GALLEYS = """
    SELECT g.article_id, s.name AS source, g.label,
           COALESCE(v.mime_type, g.declared_type) AS mime_type, g.source_url, g.file_url,
           v.size, v.sha256, b.path, v.fetched_at, g.version, g.status, g.reason,
           v.file_name, g.checked_at
    FROM galley_files g
    JOIN articles a ON a.id = g.article_id
    JOIN sources s ON s.id = a.source_id
    LEFT JOIN galley_file_versions v ON v.galley_id = g.id AND v.version = g.version
    LEFT JOIN file_blobs b ON b.sha256 = v.sha256
    WHERE g.removed_at IS NULL AND a.deleted = FALSE
"""

_GALLEY_VERSIONS = """
    SELECT g.article_id, s.name AS source, g.source_url, v.version, v.mime_type, v.file_url,
           v.size, v.sha256, b.path, v.file_name, v.fetched_at
    FROM galley_file_versions v
    JOIN galley_files g ON g.id = v.galley_id
    JOIN articles a ON a.id = g.article_id
    JOIN sources s ON s.id = a.source_id
    JOIN file_blobs b ON b.sha256 = v.sha256
"""


def upgrade() -> None:
    """Create the tables, then the views over them."""
    op.create_table(
        "file_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("stored_at", _Timestamp, nullable=False),
    )
    op.create_table(
        "galley_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("label", sa.Text()),
        sa.Column("declared_type", sa.Text()),
        sa.Column("file_url", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("checked_at", _Timestamp),
        sa.Column("removed_at", _Timestamp),
        sa.UniqueConstraint("article_id", "source_url"),
    )
    op.create_table(
        "galley_file_versions",
        sa.Column("galley_id", sa.Integer(), sa.ForeignKey("galley_files.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("file_blobs.sha256"), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.Text(), nullable=False),
        sa.Column("file_url", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text()),
        sa.Column("fetched_at", _Timestamp, nullable=False),
    )
    op.create_index("ix_galley_file_versions_sha256", "galley_file_versions", ["sha256"])
    op.execute(f"CREATE VIEW current_galleys AS {_CURRENT_GALLEYS}")
    op.execute(f"CREATE VIEW galley_versions AS {_GALLEY_VERSIONS}")


def downgrade() -> None:
    """Back to 0002: the mirror's records go (the files on disk stay where they are)."""
    op.execute("DROP VIEW IF EXISTS galley_versions")
    op.execute("DROP VIEW IF EXISTS current_galleys")
    op.drop_index("ix_galley_file_versions_sha256", "galley_file_versions")
    op.drop_table("galley_file_versions")
    op.drop_table("galley_files")
    op.drop_table("file_blobs")
