"""Writing what an article's page shows, merged with what OAI said of the same article.

One call of ``ingest_article_page`` handles one fetched page inside the caller's transaction:

1. the article is found by its OJS id, landing URL or DOI (within the source: a DOI that
   another journal reused names another article), or is new;
2. the page's record is kept as the article's ``html`` origin; the article's OAI record, when
   it has one, is kept as its ``oai`` origin from then on (until now its current version was
   that record);
3. the two are merged (``merge.merge_records``) and a version is written only when the merged
   record differs from the current one; when the current version was written by the OAI
   part of this same run, it is amended instead (``articles.amend_version``), so a first
   ``oai+html`` harvest makes one version per article, not two.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from ..model import Article, IssuePage, IssueRef, encode_record, record_json
from ..parse.merge import merge_records
from .articles import (
    PageCounts,
    PageWrites,
    RawPage,
    add_keys,
    add_version,
    amend_version,
    article_columns,
    current_rows,
    flush,
    lookup_keys,
    previous_record,
    save_origin,
    url_key,
    written_by_run,
)
from .enrich import with_references
from .feed import RunContext, write_changes
from .issues import ingest_issue_page, ingest_issues
from .schema import article_sources, articles

__all__ = ["ingest_article_page", "ingest_issue_toc"]


def _keys(source_id: int, article: Article) -> list[tuple[str, str]]:
    """Identity keys in order of precedence."""
    keys = []
    if article.ojs_id is not None:
        keys.append(("ojs", f"{source_id}:{article.ojs_id}"))
    if article.url:
        keys.append(("url", url_key(article.url)))
    if article.doi:
        keys.append(("doi", article.doi))
    return keys


def _resolve(keys: list[tuple[str, str]], known: dict[tuple[str, str], int]) -> int | None:
    """The source's article the first known key names (``lookup_keys`` reads the source's only)."""
    return next((known[key] for key in keys if key in known), None)


def _issue_id(conn: Connection, writes: PageWrites, issue: dict[str, Any] | None) -> int | None:
    if not issue:
        return None
    ref = IssueRef(**issue)
    if not ref.identified:
        return None
    ids, changes = ingest_issues(conn, writes.ctx, [ref])
    writes.changes += changes
    return ids.get(ref.key)


def _oai_record(conn: Connection, writes: PageWrites, existing: Any) -> dict[str, Any] | None:
    """The article's OAI record, if OAI has shown it (kept as an origin from now on)."""
    if existing.oai_hash is not None:
        stored: str = conn.execute(
            select(article_sources.c.record).where(
                article_sources.c.article_id == existing.id, article_sources.c.origin == "oai"
            )
        ).scalar_one()
        return dict(orjson.loads(stored))
    if existing.oai_identifier is None or existing.page_hash is not None:
        return None
    # Seen over OAI only until now: its current version is its OAI record.
    body = previous_record(conn, existing.id, existing.version)
    save_origin(conn, writes.ctx, existing.id, "oai", body, existing.content_hash)
    return dict(orjson.loads(body))


def _insert(conn: Connection, writes: PageWrites, data: dict[str, Any], body: str, digest: str) -> int:
    ctx = writes.ctx
    columns = article_columns(data, _issue_id(conn, writes, data["issue"]))
    article_id: int = conn.execute(
        insert(articles).returning(articles.c.id),
        columns
        | {
            "source_id": ctx.source_id,
            "journal_id": ctx.journal_id,
            "deleted": False,
            "version": 1,
            "content_hash": digest,
            "first_seen": ctx.fetched_at,
            "updated_at": ctx.fetched_at,
        },
    ).scalar_one()
    add_version(conn, writes, article_id, 1, digest, body, deleted=False, datestamp=None)
    writes.counts.new += 1
    return article_id


def _update(conn: Connection, writes: PageWrites, existing: Any, data: dict[str, Any]) -> None:
    merged = with_references(merge_records(_oai_record(conn, writes, existing), data), existing.jats_record)
    body, digest = encode_record(merged)
    if digest == existing.content_hash and existing.withdrawn_at is None:
        writes.counts.unchanged += 1
        return
    if written_by_run(conn, writes.ctx, existing.id, existing.version):
        # The OAI part of this run wrote that version: the page completes it (one version
        # per article on a first harvest), still in this page's own transaction.
        version = existing.version
        amend_version(conn, writes, existing.id, version, digest, body)
    else:
        version = existing.version + 1
        add_version(
            conn, writes, existing.id, version, digest, body, deleted=existing.deleted, datestamp=None
        )
        writes.counts.changed += 1
    columns = article_columns(merged, _issue_id(conn, writes, merged["issue"]))
    conn.execute(
        update(articles)
        .where(articles.c.id == existing.id)
        .values(
            columns
            | {"version": version, "content_hash": digest, "updated_at": writes.ctx.fetched_at}
            | {"withdrawn_at": None, "withdrawn_evidence": None}  # its page is back: live again
        )
    )


def ingest_article_page(
    conn: Connection, ctx: RunContext, article: Article, raw: RawPage | None
) -> PageCounts:
    """Write what one article page shows; returns what changed."""
    writes = PageWrites(ctx=ctx, raw=raw)
    keys = _keys(ctx.source_id, article)
    known = lookup_keys(conn, ctx.source_id, keys)
    article_id = _resolve(keys, known)
    data = record_json(article)
    body, digest = encode_record(data)
    if article_id is None:
        article_id = _insert(conn, writes, data, body, digest)
        save_origin(conn, ctx, article_id, "html", body, digest)
    else:
        existing = current_rows(conn, [article_id])[article_id]
        if existing.page_hash == digest and existing.withdrawn_at is None:
            writes.counts.unchanged += 1
            return writes.counts
        _update(conn, writes, existing, data)
        save_origin(conn, ctx, article_id, "html", body, digest)
    add_keys(conn, ctx.source_id, {key: article_id for key in keys if key not in known})
    flush(conn, writes)
    return writes.counts


def ingest_issue_toc(conn: Connection, ctx: RunContext, page: IssuePage) -> int:
    """Write what an issue's table of contents shows; the issue's id."""
    issue_id, changes = ingest_issue_page(conn, ctx, page)
    write_changes(conn, changes)
    return issue_id
