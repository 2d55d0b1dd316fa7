"""Enriching stored articles with the references of their JATS records.

oai_dc carries no references (shared/OJS.md section 7; observed on OJS 3.5.0-1, O8); OJS's
``jats`` format does (``parse.jats``).  A source harvested over OAI alone walks a second window
in that format, and each page of it is written here, inside the caller's transaction:

1. records are matched on their OAI identifier within the source; a record whose article is
   not stored (oai_dc has not listed it yet), a tombstone, and a deleted or withdrawn article
   are skipped: a JATS record never creates, revives or deletes an article;
2. the JATS record is kept as the article's ``jats`` origin (``article_sources``) and, when it
   equals the one kept, nothing else happens: a re-harvest writes nothing;
3. otherwise the article's record is rebuilt from its other origins (the OAI record, kept as
   the ``oai`` origin from now on, and its page's) and the references filled in
   (``with_references``); a version is written only when that record differs from the current
   one, and a version written by this same run is amended instead, so a first harvest makes one
   version per article.

The OAI and page ingests apply ``with_references`` too, so a later oai_dc record or page of the
article keeps the references its JATS record gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection

from ..model import OaiRecord, encode_record, to_json
from ..parse.merge import merge_records
from .articles import (
    PageCounts,
    PageWrites,
    RawPage,
    add_version,
    amend_version,
    current_rows,
    flush,
    lookup_keys,
    previous_record,
    save_origin,
    written_by_run,
)
from .feed import RunContext
from .schema import article_sources

__all__ = ["enrich_references", "with_references"]


def with_references(record: dict[str, Any], jats_record: str | None) -> dict[str, Any]:
    """``record`` with the references of the article's JATS record when it has none of its own
    (an article page's list comes first: it is the same list, as the page prints it)."""
    if jats_record is None or record.get("references"):
        return record
    references = orjson.loads(jats_record).get("references")
    return record | {"references": references} if references else record


def _oai_record(conn: Connection, ctx: RunContext, existing: Any) -> dict[str, Any] | None:
    """The article's OAI record; an article seen over OAI alone until now has it as its current
    version, which becomes its ``oai`` origin here."""
    if existing.oai_hash is not None:
        stored: str = conn.execute(
            article_sources.select()
            .with_only_columns(article_sources.c.record)
            .where(article_sources.c.article_id == existing.id, article_sources.c.origin == "oai")
        ).scalar_one()
        return dict(orjson.loads(stored))
    if existing.page_hash is not None:  # seen on its page first: no OAI record kept yet
        return None
    body = previous_record(conn, existing.id, existing.version)
    save_origin(conn, ctx, existing.id, "oai", body, existing.content_hash)
    return dict(orjson.loads(body))


def _enrich(conn: Connection, page: PageWrites, existing: Any, body: str, digest: str) -> None:
    """Keep one article's JATS record and write the version it makes, if any."""
    ctx = page.ctx
    page_record = orjson.loads(existing.page_record) if existing.page_record else None
    base = merge_records(_oai_record(conn, ctx, existing), page_record)
    save_origin(conn, ctx, existing.id, "jats", body, digest)
    record = with_references(base, body)
    new_body, new_digest = encode_record(record)
    if new_digest == existing.content_hash:
        return
    if written_by_run(conn, ctx, existing.id, existing.version):
        version = existing.version
        amend_version(conn, page, existing.id, version, new_digest, new_body)
    else:
        version = existing.version + 1
        add_version(conn, page, existing.id, version, new_digest, new_body, deleted=False, datestamp=None)
        page.counts.changed += 1
    page.updates.append(
        {
            "b_id": existing.id,
            "references": to_json(record.get("references") or []),
            "version": version,
            "content_hash": new_digest,
            "updated_at": ctx.fetched_at,
        }
    )


def enrich_references(
    conn: Connection, ctx: RunContext, records: Sequence[OaiRecord], raw: RawPage | None = None
) -> PageCounts:
    """Write one page of JATS records onto the stored articles; returns the versions it made
    (``changed``; amended versions and untouched articles are not counted)."""
    page = PageWrites(ctx=ctx, raw=raw)
    live = {record.header.identifier: record.article for record in records if record.article is not None}
    known = lookup_keys(conn, ctx.source_id, (("oai", identifier) for identifier in live))
    current = current_rows(conn, list(known.values()))
    for (_, identifier), article_id in known.items():
        existing, article = current[article_id], live[identifier]
        if article is None or existing.deleted or existing.withdrawn_at is not None:
            continue
        references = [dict(vars(reference)) for reference in article.references]
        body, digest = encode_record({"references": references})
        if digest != existing.jats_hash:
            _enrich(conn, page, existing, body, digest)
    flush(conn, page)
    return page.counts
