"""Issues and the journal row, as the records of a page name them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..model import Article, IssueRef, content_hash, encode_record, to_json
from .feed import RunContext, change_row
from .schema import issue_history, issues, journals

__all__ = ["ingest_issues", "update_journal"]


def _issue_record(issue: IssueRef) -> dict[str, Any]:
    return {"volume": issue.volume, "number": issue.number, "year": issue.year, "title": issue.title}


def ingest_issues(
    conn: Connection, ctx: RunContext, refs: Iterable[IssueRef]
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Issue ids by key for the issues named in a page, and the feed entries of the issues
    that are new or changed (each gets a version)."""
    wanted = {ref.key: ref for ref in refs}
    changes: list[dict[str, Any]] = []
    if not wanted:
        return {}, changes
    rows = conn.execute(
        select(issues.c.id, issues.c.key, issues.c.version, issues.c.content_hash).where(
            issues.c.journal_id == ctx.journal_id, issues.c.key.in_(list(wanted))
        )
    )
    existing = {row.key: row for row in rows}
    ids = {key: row.id for key, row in existing.items()}
    for key, ref in wanted.items():
        record = _issue_record(ref)
        digest = content_hash(record)
        row = existing.get(key)
        if row is not None and row.content_hash == digest:
            continue
        version = 1 if row is None else row.version + 1
        values = record | {"version": version, "content_hash": digest, "updated_at": ctx.fetched_at}
        if row is None:
            ids[key] = conn.execute(
                insert(issues).returning(issues.c.id),
                values | {"journal_id": ctx.journal_id, "key": key, "first_seen": ctx.fetched_at},
            ).scalar_one()
        else:
            conn.execute(update(issues).where(issues.c.id == row.id).values(values))
        conn.execute(
            insert(issue_history),
            {
                "issue_id": ids[key],
                "version": version,
                "content_hash": digest,
                "record": encode_record(record)[0],
                "run_id": ctx.run_id,
                "fetched_at": ctx.fetched_at,
            },
        )
        changes.append(change_row(ctx, "issue", ids[key], version, "create" if row is None else "update"))
    return ids, changes


def update_journal(conn: Connection, ctx: RunContext, live: Sequence[Article]) -> None:
    """Journal title, ISSNs and publisher as the newest record states them."""
    for article in live:
        if article.issue and article.issue.journal_title:
            values = {
                "title": article.issue.journal_title,
                "issn": article.issns[0] if article.issns else None,
                "issns": to_json(article.issns),
                "publisher": article.publisher,
            }
            current = conn.execute(
                select(journals.c.title, journals.c.issn, journals.c.issns, journals.c.publisher).where(
                    journals.c.id == ctx.journal_id
                )
            ).one()
            if dict(current._mapping) != values:
                conn.execute(
                    update(journals)
                    .where(journals.c.id == ctx.journal_id)
                    .values(values | {"updated_at": ctx.fetched_at})
                )
            return
