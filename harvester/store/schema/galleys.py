"""The tables of mirrored galley files:
one blob per distinct content, each galley's file and its versions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .core import Timestamp, metadata

__all__ = [
    "file_blobs",
    "galley_file_versions",
    "galley_files",
]

# Mirrored galley files.  One stored file per distinct content (sha256), however many galleys
# share it; ``path`` is where the mirror placed it (``[mirror] path``/sha256/ab/cd/<sha256>).
file_blobs = Table(
    "file_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("path", Text, nullable=False),
    Column("stored_at", Timestamp, nullable=False),
)

# One row per galley of an article (by its view page URL): where its file was found, the
# outcome of the latest check and the validators for the next conditional request.
# ``version`` and ``sha256`` name the newest stored file (version 0: none yet); a removed
# galley (gone from the article's current record) keeps its row and files, ``removed_at`` set.
galley_files = Table(
    "galley_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", ForeignKey("articles.id"), nullable=False),
    Column("source_url", Text, nullable=False),  # the galley's view page, as the article links it
    Column("label", Text),
    Column("declared_type", Text),  # the MIME type the journal gives the galley
    Column("file_url", Text),  # where the file was found (final URL, after redirects)
    Column("status", String(16), nullable=False),  # ok | refused | failed
    Column("reason", Text),
    Column("version", Integer, nullable=False),
    Column("sha256", String(64)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("checked_at", Timestamp),
    Column("removed_at", Timestamp),
    UniqueConstraint("article_id", "source_url"),
)

# Every file a galley has had, oldest first; old files stay on disk.
galley_file_versions = Table(
    "galley_file_versions",
    metadata,
    Column("galley_id", ForeignKey("galley_files.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("sha256", ForeignKey("file_blobs.sha256"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", Text, nullable=False),
    Column("file_url", Text, nullable=False),
    Column("file_name", Text),  # from Content-Disposition, when the server names the file
    Column("fetched_at", Timestamp, nullable=False),
)
