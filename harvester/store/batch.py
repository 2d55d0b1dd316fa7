"""One page of OAI records hashed, compared and written as a batch (the ingest's hot path).

A backfill is bounded by our CPU per record once the server is fast, so a page costs a fixed
number of statements, not a number per record:

1. every record is encoded once (``OaiRecord.encoded``: canonical JSON and its sha256, the
   OAI datestamp left out; done where it was parsed, by the helper process when there is one:
   ``parse.oai_dc.parse_stored_record``);
2. one SELECT finds the page's stored articles with their hashes and kept origins
   (``batch_sql.current_state``); another, only when the page has any, reads the last content
   of the live articles it turns into tombstones;
3. each record is compared with its article's state in memory (``_decide``); only a real
   change writes: the article's current columns, a version, a change-feed entry; a record
   of an article also read from its page or enriched by JATS is merged with those first
   (``merge.merge_records``, ``enrich.with_references``) and kept as its ``oai`` origin;
4. the writes go out as one statement per kind: the origins (one upsert), the new articles
   (one insert, their ids read back in one SELECT), their identity keys (one insert that
   leaves keys the source's articles hold alone), then ``articles.flush`` (versions,
   updates, feed), the point where the page's written articles are all known.

Everything runs in the caller's transaction, with the page's checkpoint: a page is written
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from ..harvest.journal import record_facts
from ..model import OaiRecord, encode_record, record_columns, to_json
from ..parse.merge import merge_records
from .articles import PageCounts, PageWrites, RawPage, add_version, flush, url_key
from .batch_sql import Current, claim_keys, current_state, ids_of, keep_origins, version_records
from .bulk import insert_many
from .enrich import with_references
from .feed import RunContext
from .issues import ingest_issues
from .journals import update_journal
from .schema import articles

__all__ = ["ingest_page"]


@dataclass
class _Seen:
    """One record of the page, encoded once."""

    record: OaiRecord
    keys: list[tuple[str, str]]  # identity keys, in order of precedence
    body: str
    digest: str
    columns: dict[str, Any]  # ``model.record_columns``; empty for a tombstone
    issue_id: int | None = None

    @property
    def deleted(self) -> bool:
        return self.record.article is None


def _prepare(source_id: int, record: OaiRecord) -> _Seen:
    keys = [("oai", record.header.identifier)]
    article = record.article
    if article is not None:
        if article.ojs_id is not None:
            keys.append(("ojs", f"{source_id}:{article.ojs_id}"))
        if article.doi:
            keys.append(("doi", article.doi))
        if article.url:
            keys.append(("url", _url_key(record, article.url)))
    return _Seen(record, keys, *record.encoded)


def _url_key(record: OaiRecord, url: str) -> str:
    """``url_key`` of the record's landing URL: the canonical URL its keys for clustering carry,
    when they were computed where it was parsed (the helper process), else computed here."""
    keys = vars(record).get("work_keys")  # ``cached_property`` keeps the value there
    return keys.url if keys is not None and keys.url else url_key(url)


def _find(seen: _Seen, state: dict[tuple[str, str], Current]) -> Current | None:
    # An OAI record is matched on its OAI identifier or OJS id only: two OAI identifiers are
    # two articles even when a journal reused a DOI.  DOI and URL matches are for articles
    # first seen another way (HTML), which carry no OAI key.
    return state.get(seen.keys[0]) or (state.get(seen.keys[1]) if len(seen.keys) > 1 else None)


def _oai_columns(seen: _Seen, content: dict[str, Any]) -> dict[str, Any]:
    """The current columns of ``articles`` for a record whose content has these columns."""
    header = seen.record.header
    columns = {
        "oai_identifier": header.identifier,
        "datestamp": header.datestamp,
        "set_specs": to_json(header.set_specs),
    }
    return columns | ({"issue_id": seen.issue_id} | content if content else {})


def _merged(
    seen: _Seen, row: Current, origins: list[dict[str, Any]], ctx: RunContext
) -> tuple[Any, ...] | None:
    """For an article also read from its page or enriched by JATS: keep the new OAI record as
    its origin and return the merged record, or None when that OAI record is the one kept."""
    if seen.digest == row.oai_hash and not row.deleted and row.withdrawn_at is None:
        return None
    origins.append(
        {
            "article_id": row.id,
            "origin": "oai",
            "content_hash": seen.digest,
            "record": seen.body,
            "run_id": ctx.run_id,
            "fetched_at": ctx.fetched_at,
        }
    )
    page_record = orjson.loads(row.page_record) if row.page_record else None
    merged = with_references(merge_records(orjson.loads(seen.body), page_record), row.jats_record)
    return (record_columns(merged), *encode_record(merged))


def _matched(page: PageWrites, article_id: int, seen: _Seen) -> None:
    """Hand clustering what it reads of a live record's article (no body parsed back)."""
    keys = seen.record.work_keys
    if keys is not None:
        page.matched[article_id] = keys


def _decide(
    conn: Connection,
    page: PageWrites,
    seen: _Seen,
    row: Current,
    previous: dict[int, str],
    origins: list[dict[str, Any]],
) -> None:
    """Compare one record with its stored article and queue the writes a change needs."""
    deleted = seen.deleted
    if deleted and row.deleted:  # a tombstone seen again
        page.counts.unchanged += 1
        return
    encoded: tuple[Any, ...] | None
    plain = row.page_record is None and row.jats_record is None  # the record is the content
    if deleted:  # a tombstone keeps the last known content
        encoded = ({}, previous[row.id], row.content_hash)
    elif plain:
        encoded = (seen.columns, seen.body, seen.digest)
    else:
        encoded = _merged(seen, row, origins, page.ctx)
    withdrawn = row.withdrawn_at is not None  # listed again: live again (``sweeps``)
    if encoded is None or (encoded[2] == row.content_hash and deleted == bool(row.deleted) and not withdrawn):
        page.counts.unchanged += 1
        return
    content, body, digest = encoded
    version = row.version + 1
    datestamp = seen.record.header.datestamp
    add_version(conn, page, row.id, version, digest, body, deleted=deleted, datestamp=datestamp)
    if plain and not deleted:
        _matched(page, row.id, seen)
    columns = _oai_columns(seen, content)
    if withdrawn:
        columns |= {"withdrawn_at": None, "withdrawn_evidence": None}
    page.updates.append(
        columns
        | {"b_id": row.id, "version": version, "content_hash": digest, "deleted": deleted}
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


def _insert_new(conn: Connection, page: PageWrites, new: list[_Seen]) -> list[int]:
    """Insert a page's new articles with one statement; their ids in the same order."""
    if not new:
        return []
    ctx = page.ctx
    fixed: dict[str, Any] = {"source_id": ctx.source_id, "journal_id": ctx.journal_id, "version": 1}
    fixed |= {"first_seen": ctx.fetched_at, "updated_at": ctx.fetched_at}
    rows = [
        _NEW_ARTICLE
        | _oai_columns(seen, seen.columns)
        | fixed
        | {"deleted": seen.deleted, "content_hash": seen.digest}
        for seen in new
    ]
    insert_many(conn, articles, rows)
    # Read back rather than INSERT … RETURNING: SQLite cannot return ids in parameter order
    # from one multi-row statement.  The identifiers are new to this source (no OAI key
    # matched), so each names one row.
    known = ids_of(conn, ctx.source_id, [seen.keys[0][1] for seen in new])
    ids = [known[seen.keys[0][1]] for seen in new]
    for seen, article_id in zip(new, ids, strict=True):
        deleted = seen.deleted
        datestamp = seen.record.header.datestamp
        add_version(conn, page, article_id, 1, seen.digest, seen.body, deleted=deleted, datestamp=datestamp)
        _matched(page, article_id, seen)
        if deleted:
            page.counts.deleted += 1
        else:
            page.counts.new += 1
    return ids


def _issues_and_journal(conn: Connection, page: PageWrites, prepared: list[_Seen]) -> None:
    """Version the issues the records name (their ids onto the records) and note the journal."""
    live = [seen.record.article for seen in prepared if seen.record.article is not None]
    ids, changes = ingest_issues(conn, page.ctx, (a.issue for a in live if a.issue and a.issue.identified))
    page.changes += changes
    for seen in prepared:
        issue = seen.record.article.issue if seen.record.article else None
        seen.issue_id = ids.get(issue.key) if issue else None
    journal = record_facts(live)
    if journal is not None:
        page.changes += update_journal(conn, page.ctx, journal, keep_title=True)


def ingest_page(
    conn: Connection, ctx: RunContext, records: Sequence[OaiRecord], raw: RawPage | None = None
) -> PageCounts:
    """Write one page of records; returns what changed.  Runs inside the caller's transaction."""
    page = PageWrites(ctx=ctx, raw=raw)
    # Within one page a repeated identifier keeps its last occurrence (servers do repeat).
    latest = {record.header.identifier: record for record in records}
    prepared = [_prepare(ctx.source_id, record) for record in latest.values()]
    ojs = [seen.keys[1][1] for seen in prepared if len(seen.keys) > 1 and seen.keys[1][0] == "ojs"]
    state = current_state(conn, ctx.source_id, list(latest), ojs)
    _issues_and_journal(conn, page, prepared)
    found = [(seen, _find(seen, state)) for seen in prepared]
    dying = [row.id for seen, row in found if row is not None and seen.deleted and not row.deleted]
    previous = version_records(conn, dying) if dying else {}
    origins: list[dict[str, Any]] = []
    seen_ids: list[tuple[_Seen, int]] = []
    new: list[_Seen] = []
    for seen, row in found:
        if row is None:
            new.append(seen)
        else:
            _decide(conn, page, seen, row, previous, origins)
            seen_ids.append((seen, row.id))
    keep_origins(conn, origins)
    seen_ids += zip(new, _insert_new(conn, page, new), strict=True)
    claims: dict[tuple[str, str], int] = {}
    for seen, article_id in seen_ids:
        for key in seen.keys[1:]:
            claims.setdefault(key, article_id)
    claim_keys(conn, ctx.source_id, claims)
    flush(conn, page)
    return page.counts
