"""What every article write shares, whichever way the article was seen: identity keys,
current state, versions, the change feed rows, raw pages and the per-origin records.

The OAI ingest (``ingest``) and the page ingest (``pages_ingest``) build on these; a page's
writes are buffered in ``PageWrites`` and flushed with one statement per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from ..fetch.response import Packed, pack
from ..model import record_columns
from ..redact import mask
from ..works.identifiers import canonical_url
from ..works.matching import RecordKeys
from .bulk import insert_many, upsert
from .feed import RunContext, change_row, retract_change, write_changes
from .schema import article_history, article_keys, article_sources, articles, raw_pages
from .works import cluster_page

__all__ = [
    "PageCounts",
    "PageWrites",
    "RawPage",
    "add_keys",
    "add_version",
    "amend_version",
    "article_columns",
    "current_rows",
    "flush",
    "lookup_keys",
    "previous_record",
    "save_origin",
    "url_key",
    "written_by_run",
]


@dataclass(frozen=True)
class RawPage:
    """A fetched response body, kept compressed so records can be re-parsed after a parser fix."""

    url: str
    content: bytes
    packed: Packed | None = None  # ``pack(content)``, when the fetching thread did it


@dataclass
class PageCounts:
    """What one page did to the store."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: PageCounts) -> None:
        """Accumulate another page's counts into this one."""
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.deleted += other.deleted


@dataclass
class PageWrites:
    """Write buffers for one page, flushed with one statement each."""

    ctx: RunContext
    raw: RawPage | None
    raw_page_id: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    counts: PageCounts = field(default_factory=PageCounts)
    # What clustering reads of a new version's record (``OaiRecord.work_keys``), where the
    # writer has the article: clustering then parses no body back.
    matched: dict[int, RecordKeys] = field(default_factory=dict)


def url_key(url: str) -> str:
    """A landing URL as an identity key: its canonical URL (``works.identifiers.canonical_url``:
    https, lower-case host, no default port, no ``index.php``, no OJS 3.5 locale segment, no
    trailing slash), so every spelling of one article page names one article (issue 17).
    Migration 0013 rewrote the keys stored before (no scheme, the path as linked)."""
    return canonical_url(url)


# Built once: an "expanding" IN parameter keeps SQLAlchemy from building and caching a new
# statement for every page.  OAI identifiers are an indexed column of ``articles`` (one key
# row less per article); the other keys use the primary key of ``article_keys`` (source, kind,
# value).
_BY_OAI = select(articles.c.oai_identifier, articles.c.id).where(
    articles.c.source_id == bindparam("source_id"),
    articles.c.oai_identifier.in_(bindparam("values", expanding=True)),
)
_BY_KEY = select(article_keys.c.value, article_keys.c.article_id).where(
    article_keys.c.source_id == bindparam("source_id"),
    article_keys.c.kind == bindparam("kind"),
    article_keys.c.value.in_(bindparam("values", expanding=True)),
)


def lookup_keys(
    conn: Connection, source_id: int, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The id of the source's article each known key names (another source's articles with
    the same DOI or URL are not this source's: issue 17)."""
    by_kind: dict[str, set[str]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, set()).add(value)
    found: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        wanted = sorted(values)
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            if kind == "oai":
                rows = conn.execute(_BY_OAI, {"source_id": source_id, "values": chunk})
            else:
                rows = conn.execute(_BY_KEY, {"source_id": source_id, "kind": kind, "values": chunk})
            found.update(((kind, value), article_id) for value, article_id in rows)
    return found


_OAI_SOURCE = article_sources.alias("oai_source")
_PAGE_SOURCE = article_sources.alias("page_source")
_JATS_SOURCE = article_sources.alias("jats_source")


def current_rows(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """The current state of articles: version, hash, deletion, withdrawal, and for an article
    also read from its page, its OAI record's hash and its page record; for one enriched by a
    JATS record (``enrich``), that record and its hash."""
    joined = (
        articles.outerjoin(
            _OAI_SOURCE, and_(_OAI_SOURCE.c.article_id == articles.c.id, _OAI_SOURCE.c.origin == "oai")
        )
        .outerjoin(
            _PAGE_SOURCE, and_(_PAGE_SOURCE.c.article_id == articles.c.id, _PAGE_SOURCE.c.origin == "html")
        )
        .outerjoin(
            _JATS_SOURCE, and_(_JATS_SOURCE.c.article_id == articles.c.id, _JATS_SOURCE.c.origin == "jats")
        )
    )
    rows = conn.execute(
        select(
            articles.c.id,
            articles.c.version,
            articles.c.content_hash,
            articles.c.deleted,
            articles.c.oai_identifier,
            articles.c.withdrawn_at,
            _OAI_SOURCE.c.content_hash.label("oai_hash"),
            _PAGE_SOURCE.c.content_hash.label("page_hash"),
            _PAGE_SOURCE.c.record.label("page_record"),
            _JATS_SOURCE.c.content_hash.label("jats_hash"),
            _JATS_SOURCE.c.record.label("jats_record"),
        )
        .select_from(joined)
        .where(articles.c.id.in_(ids))
    )
    return {row.id: row for row in rows}


def article_columns(data: dict[str, Any] | None, issue_id: int | None) -> dict[str, Any]:
    """The current columns of ``articles`` for a record (none for a tombstone)."""
    return {} if data is None else {"issue_id": issue_id} | record_columns(data)


def save_origin(
    conn: Connection, ctx: RunContext, article_id: int, origin: str, body: str, digest: str
) -> None:
    """Keep the latest record of one origin ("oai" or "html") of an article seen both ways."""
    upsert(
        conn,
        article_sources,
        {
            "article_id": article_id,
            "origin": origin,
            "content_hash": digest,
            "record": body,
            "run_id": ctx.run_id,
            "fetched_at": ctx.fetched_at,
        },
    )


def raw_page_id(conn: Connection, page: PageWrites) -> int | None:
    """Store the page body the first time one of its records makes a version."""
    if page.raw is None or page.raw_page_id is not None:
        return page.raw_page_id
    packed = page.raw.packed or pack(page.raw.content)
    page.raw_page_id = conn.execute(
        insert(raw_pages).returning(raw_pages.c.id),
        {
            "run_id": page.ctx.run_id,
            "url": mask(page.raw.url),  # the request's URL: a password in it is masked
            "sha256": packed.sha256,
            "content": packed.compressed,
            "fetched_at": page.ctx.fetched_at,
        },
    ).scalar_one()
    return page.raw_page_id


def add_version(
    conn: Connection,
    page: PageWrites,
    article_id: int,
    version: int,
    digest: str,
    body: str,
    *,
    deleted: bool,
    datestamp: str | None,
) -> None:
    page.history.append(
        {
            "article_id": article_id,
            "version": version,
            "content_hash": digest,
            "record": body,
            "deleted": deleted,
            "datestamp": datestamp,
            "source_id": page.ctx.source_id,
            "run_id": page.ctx.run_id,
            "raw_page_id": raw_page_id(conn, page),
            "fetched_at": page.ctx.fetched_at,
        }
    )
    op = "delete" if deleted else ("create" if version == 1 else "update")
    page.changes.append(change_row(page.ctx, "article", article_id, version, op))


def written_by_run(conn: Connection, ctx: RunContext, article_id: int, version: int) -> bool:
    """Whether an article's version is a live one that this run wrote (and may still amend)."""
    if ctx.run_id is None:
        return False
    row = conn.execute(
        select(article_history.c.run_id, article_history.c.deleted).where(
            article_history.c.article_id == article_id, article_history.c.version == version
        )
    ).first()
    return row is not None and row.run_id == ctx.run_id and not row.deleted


def amend_version(
    conn: Connection, page: PageWrites, article_id: int, version: int, digest: str, body: str
) -> None:
    """Replace the content of a version this run wrote (see ``written_by_run``), keeping its
    number: an article's OAI record and its page read in one run make one version.  Its
    change-feed entry moves to a new ``seq`` (``feed.retract_change``)."""
    values: dict[str, Any] = {"content_hash": digest, "record": body, "fetched_at": page.ctx.fetched_at}
    raw_id = raw_page_id(conn, page)
    if raw_id is not None:
        values["raw_page_id"] = raw_id
    conn.execute(
        update(article_history)
        .where(article_history.c.article_id == article_id, article_history.c.version == version)
        .values(values)
    )
    op = retract_change(conn, "article", article_id, version)
    page.changes.append(change_row(page.ctx, "article", article_id, version, op))


def previous_record(conn: Connection, article_id: int, version: int) -> str:
    record: str = conn.execute(
        select(article_history.c.record).where(
            article_history.c.article_id == article_id, article_history.c.version == version
        )
    ).scalar_one()
    return record


def flush(conn: Connection, page: PageWrites) -> None:
    if page.history:
        insert_many(conn, article_history, page.history)
    if page.updates:
        # Tombstones update fewer columns than live records: one executemany per shape.
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in page.updates:
            by_shape.setdefault(tuple(sorted(row)), []).append(row)
        for rows in by_shape.values():
            columns: dict[str, Any] = {key: bindparam(key) for key in rows[0] if key != "b_id"}
            conn.execute(update(articles).where(articles.c.id == bindparam("b_id")).values(columns), rows)
    write_changes(conn, page.changes)
    cluster_page(conn, page)  # works (issue 17): the page's articles into works, same transaction


def add_keys(conn: Connection, source_id: int, claims: dict[tuple[str, str], int]) -> None:
    """Record identity keys no article of the source holds yet (``lookup_keys`` found none)."""
    rows = [
        {"source_id": source_id, "kind": kind, "value": value, "article_id": aid}
        for (kind, value), aid in claims.items()
    ]
    if rows:
        insert_many(conn, article_keys, rows)
