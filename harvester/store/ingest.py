"""Writing harvested records: identity resolution, versioning and the change feed.

One call of ``ingest_records`` handles one fetched page inside the caller's transaction:

1. every record's keys (OAI identifier, OJS id, DOI, landing URL) are looked up at once;
2. each record is hashed (normalised content only, never the OAI datestamp, which OJS bumps
   or freezes at will) and compared with the article's current hash;
3. only a real change writes: a new ``article_history`` version, the current columns of
   ``articles``, and one ``change_log`` row; unchanged records cost one SELECT per page (a
   withdrawn article listed again is a change: it is live again, see ``sweeps``);
4. issues found in the records are versioned the same way.

Bulk statements (one per kind of write per page) keep the ingest path fast; this is plain
SQLAlchemy Core, no ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection

from ..harvest.journal import record_facts
from ..model import OaiRecord, encode_record, record_json, to_json
from ..parse.merge import merge_records
from .articles import (
    PageCounts,
    PageWrites,
    RawPage,
    add_keys,
    add_version,
    article_columns,
    current_rows,
    flush,
    lookup_keys,
    previous_record,
    save_origin,
    url_key,
)
from .bulk import insert_many
from .enrich import with_references
from .feed import RunContext
from .issues import ingest_issues, update_journal
from .schema import articles

__all__ = ["ingest_records"]


def _keys(source_id: int, record: OaiRecord) -> list[tuple[str, str]]:
    """Identity keys in order of precedence."""
    keys = [("oai", record.header.identifier)]
    article = record.article
    if article is not None:
        if article.ojs_id is not None:
            keys.append(("ojs", f"{source_id}:{article.ojs_id}"))
        if article.doi:
            keys.append(("doi", article.doi))
        if article.url:
            keys.append(("url", url_key(article.url)))
    return keys


def _resolve(keys: list[tuple[str, str]], known: dict[tuple[str, str], int]) -> int | None:
    # An OAI record is matched on its OAI identifier or OJS id only: two OAI identifiers are
    # two articles even when a journal reused a DOI.  DOI and URL matches are for articles
    # first seen another way (HTML), which carry no OAI key.
    for key in keys[:2]:
        if key[0] in ("oai", "ojs") and key in known:
            return known[key]
    return None


def _oai_columns(record: OaiRecord, data: dict[str, Any] | None, issue_id: int | None) -> dict[str, Any]:
    header = record.header
    columns = {
        "oai_identifier": header.identifier,
        "datestamp": header.datestamp,
        "set_specs": to_json(header.set_specs),
    }
    return columns | article_columns(data, issue_id)


def _encode(conn: Connection, record: OaiRecord, existing: Any) -> tuple[dict[str, Any] | None, str, str]:
    """The record as data, the JSON a version stores and its hash; a tombstone keeps the last
    known content (and has no data of its own)."""
    if record.article is not None:
        data = record_json(record.article)
        return (data, *encode_record(data))
    if existing is None:
        return (None, *encode_record({}))
    return None, previous_record(conn, existing.id, existing.version), existing.content_hash


def _merge_with_page(
    conn: Connection, page: PageWrites, record: OaiRecord, existing: Any
) -> tuple[dict[str, Any] | None, str, str] | None:
    """For an article also read from its page or enriched by JATS (``enrich``): keep the new OAI
    record and return the merged one, or None when the OAI record is the one already kept."""
    if record.article is None:
        return _encode(conn, record, existing)
    data = record_json(record.article)
    body, digest = encode_record(data)
    if digest == existing.oai_hash and not existing.deleted and existing.withdrawn_at is None:
        return None
    save_origin(conn, page.ctx, existing.id, "oai", body, digest)
    page_record = orjson.loads(existing.page_record) if existing.page_record else None
    merged = with_references(merge_records(data, page_record), existing.jats_record)
    return (merged, *encode_record(merged))


def _ingest_existing(
    conn: Connection, page: PageWrites, record: OaiRecord, existing: Any, issue_id: int | None
) -> None:
    deleted = record.article is None
    if deleted and existing.deleted:  # a tombstone seen again: no need to load its content
        page.counts.unchanged += 1
        return
    if existing.page_record is None and existing.jats_record is None:
        encoded: tuple[dict[str, Any] | None, str, str] | None = _encode(conn, record, existing)
    else:
        encoded = _merge_with_page(conn, page, record, existing)
    withdrawn = existing.withdrawn_at is not None  # listed again: live again (``sweeps``)
    if encoded is None or (
        encoded[2] == existing.content_hash and deleted == existing.deleted and not withdrawn
    ):
        page.counts.unchanged += 1
        return
    data, body, digest = encoded
    version = existing.version + 1
    add_version(
        conn, page, existing.id, version, digest, body, deleted=deleted, datestamp=record.header.datestamp
    )
    columns = _oai_columns(record, data, issue_id)
    if withdrawn:
        columns |= {"withdrawn_at": None, "withdrawn_evidence": None}
    page.updates.append(
        columns
        | {"b_id": existing.id, "version": version, "content_hash": digest, "deleted": deleted}
        | {"updated_at": page.ctx.fetched_at}
    )
    if deleted:
        page.counts.deleted += 1
    else:
        page.counts.changed += 1


# Every column a new article row has, so live records and tombstones share one shape.
_NEW_ARTICLE: dict[str, Any] = (
    dict.fromkeys(
        ("issue_id", "doi", "url", "title", "abstract", "section", "pages", "language", "published")
    )
    | {"authors": "[]", "keywords": "[]", "references": "[]"}
    | dict.fromkeys(("titles", "subtitles", "abstracts", "keywords_by_language"), "{}")
)


def _ingest_new(conn: Connection, page: PageWrites, new: list[tuple[OaiRecord, int | None]]) -> list[int]:
    """Insert a page's new articles with one statement; their ids in the same order."""
    if not new:
        return []
    encoded = [_encode(conn, record, None) for record, _ in new]
    rows = [
        _NEW_ARTICLE
        | _oai_columns(record, data, issue_id)
        | {
            "source_id": page.ctx.source_id,
            "journal_id": page.ctx.journal_id,
            "deleted": record.article is None,
            "version": 1,
            "content_hash": digest,
            "first_seen": page.ctx.fetched_at,
            "updated_at": page.ctx.fetched_at,
        }
        for (record, issue_id), (data, _, digest) in zip(new, encoded, strict=True)
    ]
    insert_many(conn, articles, rows)
    # Read back rather than INSERT … RETURNING: SQLite cannot return ids in parameter order
    # from one multi-row statement, and row-at-a-time inserts were the ingest's bottleneck.
    # The identifiers are new to this source (no OAI key matched), so each names one row.
    identifiers = [record.header.identifier for record, _ in new]
    known = lookup_keys(conn, page.ctx.source_id, (("oai", identifier) for identifier in identifiers))
    ids = [known["oai", identifier] for identifier in identifiers]
    for (record, _), (_, body, digest), article_id in zip(new, encoded, ids, strict=True):
        deleted = record.article is None
        add_version(
            conn, page, article_id, 1, digest, body, deleted=deleted, datestamp=record.header.datestamp
        )
        if deleted:
            page.counts.deleted += 1
        else:
            page.counts.new += 1
    return ids


def ingest_records(
    conn: Connection, ctx: RunContext, records: Sequence[OaiRecord], raw: RawPage | None = None
) -> PageCounts:
    """Write one page of records; returns what changed.  Runs inside the caller's transaction."""
    page = PageWrites(ctx=ctx, raw=raw)
    # Within one page a repeated identifier keeps its last occurrence (servers do repeat).
    latest = list({record.header.identifier: record for record in records}.values())
    keyed = [(record, _keys(ctx.source_id, record)) for record in latest]
    known = lookup_keys(conn, ctx.source_id, (key for _, keys in keyed for key in keys))
    current = current_rows(conn, [aid for _, keys in keyed if (aid := _resolve(keys, known)) is not None])
    live = [record.article for record in latest if record.article is not None]
    issue_ids, issue_changes = ingest_issues(
        conn, ctx, (a.issue for a in live if a.issue and a.issue.identified)
    )
    page.changes += issue_changes
    journal = record_facts(live)
    if journal is not None:
        update_journal(conn, ctx, journal, keep_title=True)
    new: list[tuple[OaiRecord, list[tuple[str, str]], int | None]] = []
    seen: list[tuple[list[tuple[str, str]], int]] = []
    for record, keys in keyed:
        issue = record.article.issue if record.article else None
        issue_id = issue_ids.get(issue.key) if issue else None
        article_id = _resolve(keys, known)
        if article_id is None:
            new.append((record, keys, issue_id))
        else:
            _ingest_existing(conn, page, record, current[article_id], issue_id)
            seen.append((keys, article_id))
    new_ids = _ingest_new(conn, page, [(record, issue_id) for record, _, issue_id in new])
    seen += [(keys, article_id) for (_, keys, _), article_id in zip(new, new_ids, strict=True)]
    claims: dict[tuple[str, str], int] = {}
    for keys, article_id in seen:
        for key in keys:
            if key[0] != "oai" and key not in known and key not in claims:
                claims[key] = article_id
    add_keys(conn, claims)
    flush(conn, page)
    return page.counts
