"""Issues, as the records and pages of a run name them (the journal row: ``journals``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from ..model import IssuePage, IssueRef, encode_record
from ..parse.merge import merge_issue
from .batch_sql import issue_rows
from .feed import RunContext, change_row, retract_change
from .history import amend, run_wrote
from .schema import articles, issue_history, issues
from .served import served_anew

__all__ = ["ingest_issue_page", "ingest_issues"]

# The parts of an issue record that are also columns of ``issues``.
_COLUMNS = ("volume", "number", "year", "title", "url", "ojs_id", "published", "cover_url")
# What ``current_articles`` shows of an article's issue (``served``).
_SHOWN = ("volume", "number", "year", "title")
_ADDED = ("url", "ojs_id")  # left out of a record while unset (see ``model.record_json``)


def _ref_record(ref: IssueRef) -> dict[str, Any]:
    record: dict[str, Any] = {
        "volume": ref.volume,
        "number": ref.number,
        "year": ref.year,
        "title": ref.title,
    }
    return record | {name: getattr(ref, name) for name in _ADDED if getattr(ref, name) is not None}


def _page_record(page: IssuePage) -> dict[str, Any]:
    toc = [{key: value for key, value in vars(entry).items() if value is not None} for entry in page.articles]
    return _ref_record(page.issue) | {
        "published": page.published,
        "cover_url": page.cover_url,
        "description": page.description,
        "sections": list(page.sections),
        "articles": toc,
    }


def _stored(conn: Connection, row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    record: str = conn.execute(
        select(issue_history.c.record).where(
            issue_history.c.issue_id == row.id, issue_history.c.version == row.version
        )
    ).scalar_one()
    loaded: dict[str, Any] = orjson.loads(record)
    return loaded


def _existing(conn: Connection, ctx: RunContext, keys: list[str]) -> dict[str, Any]:
    return {row.key: row for row in issue_rows(conn, ctx.journal_id, keys)}


def _write(
    conn: Connection,
    ctx: RunContext,
    key: str,
    row: Any,
    record: dict[str, Any],
    changes: list[dict[str, Any]],
) -> int:
    """Store ``record`` as the issue's new version unless it is the current one; its id."""
    body, digest = encode_record(record)
    if row is not None and row.content_hash == digest:
        return int(row.id)
    if row is not None and run_wrote(conn, ctx, issue_history.c.issue_id, row.id, row.version):
        return _amend(conn, ctx, row, record, (body, digest), changes)
    version = 1 if row is None else row.version + 1
    values = {name: record.get(name) for name in _COLUMNS}
    values |= {"version": version, "content_hash": digest, "updated_at": ctx.fetched_at}
    if row is None:
        issue_id: int = conn.execute(
            insert(issues).returning(issues.c.id),
            values | {"journal_id": ctx.journal_id, "key": key, "first_seen": ctx.fetched_at},
        ).scalar_one()
    else:
        issue_id = row.id
        conn.execute(update(issues).where(issues.c.id == issue_id).values(values))
        _shown_anew(conn, ctx, row, values)
    conn.execute(
        insert(issue_history),
        {
            "issue_id": issue_id,
            "version": version,
            "content_hash": digest,
            "record": body,
            "run_id": ctx.run_id,
            "fetched_at": ctx.fetched_at,
        },
    )
    changes.append(change_row(ctx, "issue", issue_id, version, "create" if row is None else "update"))
    return issue_id


def _shown_anew(conn: Connection, ctx: RunContext, row: Any, values: dict[str, Any]) -> None:
    """An issue whose identification changed: its articles are served anew (``served``)."""
    if any(getattr(row, name) != values[name] for name in _SHOWN):
        served_anew(conn, articles.c.issue_id == row.id, ctx.fetched_at)


def _amend(
    conn: Connection,
    ctx: RunContext,
    row: Any,
    record: dict[str, Any],
    encoded: tuple[str, str],
    changes: list[dict[str, Any]],
) -> int:
    """Complete the version this run wrote (its OAI records, then its own page: one version)
    in place; its change-feed entry moves to a new ``seq`` (``feed.retract_change``)."""
    body, digest = encoded
    values = {name: record.get(name) for name in _COLUMNS}
    values |= {"content_hash": digest, "updated_at": ctx.fetched_at}
    conn.execute(update(issues).where(issues.c.id == row.id).values(values))
    _shown_anew(conn, ctx, row, values)
    amend(conn, ctx, issue_history.c.issue_id, row.id, row.version, body, digest)
    op = retract_change(conn, "issue", row.id, row.version)
    changes.append(change_row(ctx, "issue", row.id, row.version, op))
    return int(row.id)


def _shows_nothing_new(row: Any, seen: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in seen.items() if value is not None)


def ingest_issues(
    conn: Connection, ctx: RunContext, refs: Iterable[IssueRef]
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Issue ids by key for the issues named in a page's records, and the feed entries of the
    issues that are new or changed (each gets a version)."""
    wanted = {ref.key: _ref_record(ref) for ref in refs}
    changes: list[dict[str, Any]] = []
    if not wanted:
        return {}, changes
    existing = _existing(conn, ctx, list(wanted))
    ids = {key: row.id for key, row in existing.items()}
    for key, seen in wanted.items():
        row = existing.get(key)
        if row is not None and _shows_nothing_new(row, seen):
            continue
        stored = _stored(conn, row)
        record = merge_issue(stored, seen, authoritative=row is None or row.page_read_at is None)
        ids[key] = _write(conn, ctx, key, row, record, changes)
    return ids, changes


def ingest_issue_page(conn: Connection, ctx: RunContext, page: IssuePage) -> tuple[int, list[dict[str, Any]]]:
    """Store what an issue's own page shows (it overrides what articles said of the issue)."""
    key = page.issue.key
    row = _existing(conn, ctx, [key]).get(key)
    record = merge_issue(_stored(conn, row), _page_record(page), authoritative=True)
    changes: list[dict[str, Any]] = []
    issue_id = _write(conn, ctx, key, row, record, changes)
    if row is None or row.page_read_at is None:
        conn.execute(update(issues).where(issues.c.id == issue_id).values(page_read_at=ctx.fetched_at))
    return issue_id, changes
