"""Writing what clustering changed: new works, member rows, the works' best values and one
change-feed entry per changed work (``create``, ``update`` or ``delete``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, select, update

from ..model import to_json
from .bulk import insert_many
from .feed import RunContext, change_row, write_changes
from .schema import sources, work_members, works
from .work_state import Member, WorkState

__all__ = ["refresh_works", "write_state"]


def _create_works(conn: Connection, ctx: RunContext, state: WorkState) -> dict[int, int]:
    """Insert the works this page founded; provisional id -> real id."""
    provisional = sorted((w for w, members in state.works.items() if w < 0 and members), reverse=True)
    if not provisional:
        return {}
    insert_many(
        conn,
        works,
        [
            {
                "founder": -w,
                "version": 0,
                "articles": "[]",
                "sources": "[]",
                "created_at": ctx.fetched_at,
                "updated_at": ctx.fetched_at,
            }
            for w in provisional
        ],
    )
    real: dict[int, int] = {}
    founders = [-w for w in provisional]
    for start in range(0, len(founders), 400):
        rows = conn.execute(
            select(works.c.founder, works.c.id).where(works.c.founder.in_(founders[start : start + 400]))
        )
        for founder, work_id in rows:
            real[-founder] = max(work_id, real.get(-founder, 0))
    return real


def _row(member: Member, work_id: int) -> dict[str, Any]:
    keys = member.keys
    assert keys is not None  # noqa: S101 - only placed members (with keys) are written whole
    return {
        "article_id": member.article_id,
        "work_id": work_id,
        "source_id": member.source_id,
        "doi": keys.doi,
        "block": keys.block,
        "issns": to_json(sorted(keys.issns)),
        "title": keys.title,
        "year": keys.year,
        "first_author": keys.first_author,
        "url": member.url,
        "rule": member.rule,
        "evidence": member.evidence,
    }


_UPDATE_MEMBER = (
    update(work_members)
    .where(work_members.c.article_id == bindparam("b_id"))
    .values({c.name: bindparam(f"v_{c.name}") for c in work_members.c if c.name != "article_id"})
)


def _write_members(conn: Connection, state: WorkState, real: dict[int, int]) -> None:
    new, changed = [], []
    for aid in sorted(state.dirty):
        member = state.members[aid]
        member.work = real.get(member.work, member.work)
        row = _row(member, member.work)
        if member.stored:
            changed.append(row | {"b_id": aid})
        else:
            new.append(row)
            member.stored = True
    insert_many(conn, work_members, new)
    if changed:
        conn.execute(
            _UPDATE_MEMBER,
            [
                {f"v_{k}": v for k, v in row.items() if k not in ("article_id", "b_id")}
                | {"b_id": row["b_id"]}
                for row in changed
            ],
        )


def _best(rows: list[Any]) -> dict[str, Any]:
    """A work's values from its members, whatever order they arrived in: the member with a DOI,
    then of the first source by name, then the first canonical URL, speaks for the work."""
    ranked = sorted(rows, key=lambda r: (r.doi is None, r.source, r.url or "", r.article_id))
    first = ranked[0]
    dois = sorted(r.doi for r in rows if r.doi)
    return {
        "title": first.title,
        "doi": dois[0] if dois else None,
        "year": first.year,
        "first_author": first.first_author,
        "articles": to_json(sorted(r.article_id for r in rows)),
        "sources": to_json(sorted({r.source for r in rows})),
    }


def _feed_op(old_articles: str, values: dict[str, Any], *, moved: bool) -> str | None:
    """The feed entry a refreshed work gets: only a change of membership is one (a new work of
    one new article is reported by the article's own entry; one an article left another work
    for is a change of membership)."""
    if values["articles"] == old_articles:
        return None
    if old_articles == "[]":
        return "create" if moved or len(orjson.loads(values["articles"])) > 1 else None
    return "update"


def refresh_works(
    conn: Connection, ctx: RunContext, work_ids: Iterable[int], moved: frozenset[int] = frozenset()
) -> None:
    """Recompute the best values of works; a change of membership bumps the version and is
    noted in the feed; a work left without members is deleted (a ``delete`` entry)."""
    ids = sorted(set(work_ids))
    feed: list[dict[str, Any]] = []
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        members: dict[int, list[Any]] = {}
        rows = conn.execute(
            select(work_members, sources.c.name.label("source"))
            .join(sources, sources.c.id == work_members.c.source_id)
            .where(work_members.c.work_id.in_(chunk))
        )
        for row in rows:
            members.setdefault(row.work_id, []).append(row)
        stored = {
            row.id: row
            for row in conn.execute(
                select(works.c.id, works.c.version, works.c.articles).where(works.c.id.in_(chunk))
            )
        }
        updates = []
        for work_id in (w for w in chunk if w in stored):
            old = stored[work_id]
            if work_id not in members:
                conn.execute(delete(works).where(works.c.id == work_id))
                feed.append(change_row(ctx, "work", work_id, old.version + 1, "delete"))
                continue
            values = _best(members[work_id])
            op = _feed_op(old.articles, values, moved=work_id in moved)
            values["version"] = old.version + 1 if op or old.version == 0 else old.version
            if op:
                feed.append(change_row(ctx, "work", work_id, values["version"], op))
            updates.append({f"v_{k}": v for k, v in values.items()} | {"b_id": work_id})
        if updates:
            columns: dict[str, Any] = {name[2:]: bindparam(name) for name in updates[0] if name != "b_id"}
            columns["updated_at"] = ctx.fetched_at
            conn.execute(update(works).where(works.c.id == bindparam("b_id")).values(columns), updates)
    write_changes(conn, feed)


def write_state(conn: Connection, ctx: RunContext, state: WorkState) -> None:
    """Write one page's clustering."""
    if not state.dirty and not state.touched:
        return
    real = _create_works(conn, ctx, state)
    _write_members(conn, state, real)
    changed = {real.get(w, w) for w in state.touched | state.emptied if w > 0 or w in real}
    refresh_works(conn, ctx, changed, frozenset(real.get(w, w) for w in state.moved_into))
