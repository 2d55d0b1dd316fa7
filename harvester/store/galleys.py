"""The mirror's records: which galleys the current articles list, what each galley's file is,
its versions, and the stored files by sha256.

Each galley's check is written in one transaction (``record_check``), after its file is in
place on disk, so the store never names a file that is not there.  A new version is written
only when the bytes (sha256) differ from the galley's newest file; old files stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Row, and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .bulk import upsert
from .runs import as_utc
from .schema import article_history, articles, file_blobs, galley_file_versions, galley_files, sources

__all__ = [
    "Check",
    "GalleyRef",
    "GalleyState",
    "StoredBlob",
    "StoredFile",
    "galley_states",
    "galleys_using",
    "listed_galleys",
    "mark_removed",
    "record_check",
    "source_id_of",
    "stored_blobs",
]


@dataclass(frozen=True)
class GalleyRef:
    """A galley as its article's current record lists it."""

    article_id: int
    url: str  # the view page (the galley's identity within its article)
    label: str | None = None
    mime_type: str | None = None  # as the journal declares it
    download_url: str | None = None  # as the article page links it, when known

    @property
    def key(self) -> tuple[int, str]:
        return (self.article_id, self.url)


@dataclass(frozen=True)
class GalleyState:
    """What the store knows of a galley's file after earlier checks."""

    file_url: str | None
    status: str
    version: int  # 0: no file stored yet
    sha256: str | None
    size: int | None
    path: str | None
    etag: str | None
    last_modified: str | None
    checked_at: datetime | None


@dataclass(frozen=True)
class StoredFile:
    """A body that arrived whole, passed the checks and is in place on disk."""

    sha256: str
    size: int
    mime_type: str
    path: str
    file_name: str | None = None


@dataclass(frozen=True)
class Check:
    """The outcome of checking one galley: ``ok`` (with a new body in ``stored``, or not
    modified), ``refused`` (the answer was not the promised file) or ``failed``."""

    status: str
    file_url: str | None = None
    reason: str | None = None
    stored: StoredFile | None = None
    validators: tuple[str | None, str | None] | None = None  # (ETag, Last-Modified); None: keep


@dataclass(frozen=True)
class StoredBlob:
    """One stored file as the store records it."""

    sha256: str
    size: int
    path: str


def source_id_of(conn: Connection, name: str) -> int | None:
    """The id of a source by name, None if it was never harvested."""
    found = conn.execute(select(sources.c.id).where(sources.c.name == name)).scalar()
    return int(found) if found is not None else None


def _refs(article_id: int, record: str) -> tuple[GalleyRef, ...]:
    galleys = orjson.loads(record).get("galleys") or []
    return tuple(
        GalleyRef(article_id, g["url"], g.get("label"), g.get("mime_type"), g.get("download_url"))
        for g in galleys
        if g.get("url")
    )


def listed_galleys(
    conn: Connection, source_id: int, after: int, limit: int
) -> list[tuple[int, tuple[GalleyRef, ...]]]:
    """The galleys of up to ``limit`` live articles with ids above ``after``, by article id."""
    current = and_(
        article_history.c.article_id == articles.c.id, article_history.c.version == articles.c.version
    )
    rows = conn.execute(
        select(articles.c.id, article_history.c.record)
        .join(article_history, current)
        .where(
            articles.c.source_id == source_id,
            articles.c.deleted.is_(False),
            articles.c.withdrawn_at.is_(None),
            articles.c.id > after,
            article_history.c.article_id > after,  # PostgreSQL merge-joined from the first id
        )
        .order_by(articles.c.id)
        .limit(limit)
    )
    return [(row.id, _refs(row.id, row.record)) for row in rows]


def _state(row: Row[Any]) -> GalleyState:
    checked = as_utc(row.checked_at) if row.checked_at is not None else None
    return GalleyState(
        row.file_url,
        row.status,
        row.version,
        row.sha256,
        row.size,
        row.path,
        row.etag,
        row.last_modified,
        checked,
    )


def _in_range(column: Any, after: int, last: int | None) -> ColumnElement[bool]:
    """Article ids above ``after`` and up to ``last`` (None: to the end)."""
    return and_(column > after, column <= last) if last is not None else column > after


def galley_states(
    conn: Connection, source_id: int, after: int = 0, last: int | None = None
) -> dict[tuple[int, str], GalleyState]:
    """Every galley the mirror has checked of the source's articles with ids above ``after``
    and up to ``last`` (None: to the end), by (article id, view URL)."""
    newest = and_(
        galley_file_versions.c.galley_id == galley_files.c.id,
        galley_file_versions.c.version == galley_files.c.version,
    )
    rows = conn.execute(
        select(galley_files, galley_file_versions.c.size, file_blobs.c.path)
        .join(articles, articles.c.id == galley_files.c.article_id)
        .outerjoin(galley_file_versions, newest)
        .outerjoin(file_blobs, file_blobs.c.sha256 == galley_file_versions.c.sha256)
        .where(articles.c.source_id == source_id, _in_range(galley_files.c.article_id, after, last))
    )
    return {(row.article_id, row.source_url): _state(row) for row in rows}


@dataclass(frozen=True)
class _Current:
    id: int
    version: int
    sha256: str | None


def _locked_row(conn: Connection, ref: GalleyRef) -> _Current:
    """The galley's row (created on first sight), locked until commit on PostgreSQL."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        dialect_insert(galley_files)
        .values(article_id=ref.article_id, source_url=ref.url, status="new", version=0)
        .on_conflict_do_nothing(index_elements=["article_id", "source_url"])
    )
    row = conn.execute(
        select(galley_files.c.id, galley_files.c.version, galley_files.c.sha256)
        .where(galley_files.c.article_id == ref.article_id, galley_files.c.source_url == ref.url)
        .with_for_update()
    ).one()
    return _Current(row.id, row.version, row.sha256)


def _add_version(
    conn: Connection, row: _Current, check: Check, stored: StoredFile, now: datetime, values: dict[str, Any]
) -> str:
    """A new version when the bytes differ from the newest file; "new", "changed" or "unchanged"."""
    # Always: the file may have been placed again (missing on disk, or a new [mirror] path).
    upsert(
        conn,
        file_blobs,
        {"sha256": stored.sha256, "size": stored.size, "path": stored.path, "stored_at": now},
    )
    if stored.sha256 == row.sha256:
        return "unchanged"
    version = row.version + 1
    conn.execute(
        insert(galley_file_versions),
        {
            "galley_id": row.id,
            "version": version,
            "sha256": stored.sha256,
            "size": stored.size,
            "mime_type": stored.mime_type,
            "file_url": check.file_url or "",
            "file_name": stored.file_name,
            "fetched_at": now,
        },
    )
    values.update(version=version, sha256=stored.sha256)
    return "new" if row.version == 0 else "changed"


def record_check(conn: Connection, ref: GalleyRef, check: Check, now: datetime) -> str:
    """Write one galley's check; returns "new", "changed", "unchanged", "refused" or "failed"."""
    row = _locked_row(conn, ref)
    values: dict[str, Any] = {
        "label": ref.label,
        "declared_type": ref.mime_type,
        "status": check.status,
        "reason": check.reason,
        "checked_at": now,
        "removed_at": None,
    }
    if check.file_url:
        values["file_url"] = check.file_url
    if check.validators is not None:
        values["etag"], values["last_modified"] = check.validators
    outcome = check.status
    if check.stored is not None:
        outcome = _add_version(conn, row, check, check.stored, now, values)
    elif check.status == "ok":
        outcome = "unchanged"
    conn.execute(update(galley_files).where(galley_files.c.id == row.id).values(values))
    return outcome


def mark_removed(
    conn: Connection,
    source_id: int,
    listed: Iterable[tuple[int, str]],
    now: datetime,
    after: int = 0,
    last: int | None = None,
) -> int:
    """Galleys of the source's articles with ids above ``after`` and up to ``last`` (None: to
    the end) that their article's current record no longer lists are marked removed (their
    rows and files stay); returns how many."""
    keep = set(listed)
    rows = conn.execute(
        select(galley_files.c.id, galley_files.c.article_id, galley_files.c.source_url)
        .join(articles, articles.c.id == galley_files.c.article_id)
        .where(
            articles.c.source_id == source_id,
            galley_files.c.removed_at.is_(None),
            _in_range(galley_files.c.article_id, after, last),
        )
    )
    gone = [row.id for row in rows if (row.article_id, row.source_url) not in keep]
    for start in range(0, len(gone), 400):
        chunk = gone[start : start + 400]
        conn.execute(update(galley_files).where(galley_files.c.id.in_(chunk)).values(removed_at=now))
    return len(gone)


def stored_blobs(conn: Connection) -> list[StoredBlob]:
    """Every stored file, by hash."""
    rows = conn.execute(
        select(file_blobs.c.sha256, file_blobs.c.size, file_blobs.c.path).order_by(file_blobs.c.sha256)
    )
    return [StoredBlob(row.sha256, row.size, row.path) for row in rows]


def galleys_using(conn: Connection, sha256: str) -> list[str]:
    """The view URLs of the galleys one of whose versions is this file."""
    rows = conn.execute(
        select(galley_files.c.source_url)
        .join(galley_file_versions, galley_file_versions.c.galley_id == galley_files.c.id)
        .where(galley_file_versions.c.sha256 == sha256)
        .distinct()
    )
    return sorted(str(url) for url in rows.scalars())
