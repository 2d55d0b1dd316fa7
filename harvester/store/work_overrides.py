"""Overrides of the clustering by hand (``harvester works split`` / ``merge``), and one work
as ``works show`` prints it.

An override is stored (``work_overrides``) and applied at once; clustering reads it again
whenever it places one of its articles, so it holds across re-harvests and re-clustering.  A
split article is a work of its own and nothing joins it by rule; merged articles are one work
(never two articles of one source: such a merge is refused).  The membership changes go into
the change feed like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, or_, select, text, update

from ..errors import NotFoundError, PermanentError
from .feed import RunContext
from .queries import STREAM
from .schema import articles, sources, work_members, work_overrides
from .work_state import load_article_state
from .work_writes import write_state
from .works import rejoin, serialise

__all__ = ["WorkOverrideError", "current_works", "merge_articles", "show_work", "split_article"]


class WorkOverrideError(PermanentError):
    """A split or merge that would break a rule of works (two articles of one source)."""


def _member(conn: Connection, article_id: int) -> Any:
    row = conn.execute(
        select(work_members.c.work_id, work_members.c.source_id, articles.c.journal_id)
        .join(articles, articles.c.id == work_members.c.article_id)
        .where(work_members.c.article_id == article_id)
    ).first()
    if row is None:
        raise NotFoundError(f"article {article_id} is in no work (no current record)")
    return row


def _apply(conn: Connection, article_id: int, now: datetime) -> None:
    """Place the article again under its overrides, in its own source's name."""
    serialise(conn)
    member = _member(conn, article_id)
    state = load_article_state(conn, article_id)
    rejoin(state, article_id)
    write_state(conn, RunContext(member.source_id, member.journal_id, None, now), state)


def _clear(conn: Connection, *article_ids: int) -> None:
    """Drop the overrides of these articles (a new one replaces them)."""
    conn.execute(
        delete(work_overrides).where(
            or_(work_overrides.c.article_id.in_(article_ids), work_overrides.c.other_id.in_(article_ids))
        )
    )


def split_article(conn: Connection, article_id: int, now: datetime) -> None:
    """Take an article out of its work: a work of its own from now on."""
    _member(conn, article_id)
    _clear(conn, article_id)
    conn.execute(insert(work_overrides).values(kind="split", article_id=article_id, created_at=now))
    _apply(conn, article_id, now)


def merge_articles(conn: Connection, article_id: int, other_id: int, now: datetime) -> None:
    """Make two articles of different sources one work (their works fold into one)."""
    first, second = _member(conn, article_id), _member(conn, other_id)
    if first.source_id == second.source_id:
        raise WorkOverrideError(f"articles {article_id} and {other_id} are of one source: never one work")
    clash = conn.execute(
        select(work_members.c.article_id).where(
            work_members.c.work_id == second.work_id,
            work_members.c.source_id == first.source_id,
            work_members.c.article_id != article_id,
        )
    ).first()
    if clash is not None:
        raise WorkOverrideError(
            f"work {second.work_id} already holds article {clash.article_id} of the source of {article_id}"
        )
    _clear(conn, article_id)
    conn.execute(
        insert(work_overrides).values(kind="merge", article_id=article_id, other_id=other_id, created_at=now)
    )
    _apply(conn, article_id, now)
    # Both rows say so: clustering reads the overrides of the articles whose rule names one.
    conn.execute(
        update(work_members)
        .where(work_members.c.article_id == other_id)
        .values(rule="merge", evidence=f"merged with article {article_id} by hand")
    )


def show_work(conn: Connection, work_id: int) -> dict[str, Any]:
    """A work's best values and each article with its source, liveness and evidence."""
    work = conn.execute(text("SELECT * FROM current_works WHERE work_id = :id"), {"id": work_id}).first()
    if work is None:
        raise NotFoundError(f"no work with id {work_id}")
    rows = conn.execute(
        select(
            work_members.c.article_id,
            sources.c.name.label("source"),
            articles.c.title,
            work_members.c.doi,
            work_members.c.url,
            work_members.c.rule,
            work_members.c.evidence,
            articles.c.deleted,
            articles.c.withdrawn_at,
        )
        .join(articles, articles.c.id == work_members.c.article_id)
        .join(sources, sources.c.id == work_members.c.source_id)
        .where(work_members.c.work_id == work_id)
        .order_by(sources.c.name, work_members.c.article_id)
    )
    members = [dict(row._mapping) | {"live": not row.deleted and row.withdrawn_at is None} for row in rows]
    data = dict(work._mapping)
    data["id"] = data.pop("work_id")
    data["articles"] = orjson.loads(data["articles"])
    data["sources"] = orjson.loads(data["sources"])
    return data | {"members": members}


def current_works(conn: Connection, *, source: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows of the ``current_works`` view (``export --works``), JSON columns decoded, read a
    batch at a time; with a source, only the works holding one of its articles."""
    sql, params = "SELECT * FROM current_works", {}
    if source is not None:
        sql += (
            " WHERE work_id IN (SELECT m.work_id FROM work_members m JOIN sources s ON s.id = m.source_id"
            " WHERE s.name = :source)"
        )
        params["source"] = source
    for row in conn.execute(text(f"{sql} ORDER BY work_id"), params, execution_options=STREAM):
        work = dict(row._mapping)
        work["articles"], work["sources"] = orjson.loads(work["articles"]), orjson.loads(work["sources"])
        work["live"] = bool(work["live"])
        for key in ("created_at", "updated_at"):
            work[key] = work[key].isoformat() if isinstance(work[key], datetime) else work[key]
        yield work
