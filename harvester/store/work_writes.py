"""Writing what clustering changed: new works, member rows, the works' best values and one
change-feed entry per changed work (``create``, ``update`` or ``delete``)."""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from ..model import to_json
from .bulk import insert_many
from .feed import RunContext, change_row, write_changes
from .schema import sources, work_members, works
from .work_state import Member, WorkState

__all__ = ["write_state"]


def _create_works(
    conn: Connection, ctx: RunContext, state: WorkState, values: dict[int, dict[str, Any]]
) -> dict[int, int]:
    """Insert the works this page founded, their values known; provisional id -> real id (read
    back by founder: one executemany and one SELECT cost less than INSERT … RETURNING, which
    SQLAlchemy runs row by row to keep the parameters' order)."""
    provisional = sorted((w for w in values if w < 0), reverse=True)
    if not provisional:
        return {}
    stamps = {"created_at": ctx.fetched_at, "updated_at": ctx.fetched_at, "version": 1}
    insert_many(conn, works, [values[w] | stamps | {"founder": -w} for w in provisional])
    real: dict[int, int] = {}
    founders = [-w for w in provisional]
    for start in range(0, len(founders), 400):
        for founder, work_id in conn.execute(_BY_FOUNDER, {"founders": founders[start : start + 400]}):
            real[-founder] = max(work_id, real.get(-founder, 0))  # the newest, if it founded one before
    return real


_BY_FOUNDER = select(works.c.founder, works.c.id).where(
    works.c.founder.in_(bindparam("founders", expanding=True))
)


def _row(member: Member, work_id: int) -> dict[str, Any]:
    keys = member.keys
    assert keys is not None  # noqa: S101 - only placed members (with keys) are written whole
    return {
        "article_id": member.article_id,
        "work_id": work_id,
        "source_id": member.source_id,
        "doi": keys.doi,
        "block": keys.block,
        "issns": _issns_json(keys.issns),
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


# A source's name never changes (a renamed source in the config is a new source row): each
# engine (one database) keeps the names it has read.
_SOURCE_NAMES: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()


def _names(conn: Connection, state: WorkState, work_ids: set[int]) -> dict[int, str]:
    """The names of the sources of these works' members (the best values rank by them)."""
    ids = {state.members[a].source_id for w in work_ids for a in state.works.get(w, ())}
    known = _SOURCE_NAMES.setdefault(conn.engine, {})
    missing = sorted(ids - known.keys())
    if missing:
        known.update(
            conn.execute(select(sources.c.id, sources.c.name).where(sources.c.id.in_(missing))).all()
        )
    return {i: known[i] for i in ids}


@lru_cache(maxsize=1024)  # one journal's ISSNs, one source's name: the same text for every row
def _issns_json(issns: frozenset[str]) -> str:
    return to_json(sorted(issns))


@lru_cache(maxsize=1024)
def _names_json(names: tuple[str, ...]) -> str:
    return to_json(names)


def _best(members: list[Member], names: dict[int, str]) -> dict[str, Any]:
    """A work's values from its members, whatever order they arrived in: the member with a DOI,
    then of the first source by name, then the first canonical URL, speaks for the work."""

    def rank(member: Member) -> tuple[bool, str, str, int]:
        doi = member.keys.doi if member.keys else None
        return (doi is None, names[member.source_id], member.url or "", member.article_id)

    ranked = sorted(members, key=rank) if len(members) > 1 else members
    first = ranked[0].keys
    dois = sorted(m.keys.doi for m in members if m.keys and m.keys.doi)
    return {
        "title": first.title if first else None,
        "doi": dois[0] if dois else None,
        "year": first.year if first else None,
        "first_author": first.first_author if first else None,
        "articles": to_json(sorted(m.article_id for m in members)),
        "sources": _names_json(tuple(sorted({names[m.source_id] for m in members}))),
    }


def _refresh(
    conn: Connection, ctx: RunContext, state: WorkState, values: dict[int, dict[str, Any]], ids: list[int]
) -> list[dict[str, Any]]:
    """Update (or delete, when emptied) stored works; their feed entries.  A change of
    membership bumps the version and is an entry; other values change quietly (the
    articles' own entries tell of them)."""
    feed: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        stored = conn.execute(
            select(works.c.id, works.c.version, works.c.articles).where(works.c.id.in_(chunk))
        )
        for work_id, version, articles in stored:
            if work_id not in values:
                conn.execute(delete(works).where(works.c.id == work_id))
                feed.append(change_row(ctx, "work", work_id, version + 1, "delete"))
                continue
            moved = values[work_id]["articles"] != articles  # a change of membership
            new_version = version + 1 if moved else version
            if moved:
                feed.append(change_row(ctx, "work", work_id, new_version, "update"))
            row = values[work_id] | {"version": new_version, "updated_at": ctx.fetched_at}
            updates.append({f"v_{k}": v for k, v in row.items()} | {"b_id": work_id})
    if updates:
        columns: dict[str, Any] = {name[2:]: bindparam(name) for name in updates[0] if name != "b_id"}
        conn.execute(update(works).where(works.c.id == bindparam("b_id")).values(columns), updates)
    return feed


def write_state(conn: Connection, ctx: RunContext, state: WorkState) -> None:
    """Write one page's clustering: new works with their values, member rows, the stored works
    that changed, and the feed entries (a new work of one new article has none: the article's
    own entry tells of it)."""
    if not state.dirty and not state.touched:
        return
    changed = state.touched | state.emptied
    names = _names(conn, state, changed)
    values = {
        w: _best([state.members[a] for a in state.works[w]], names) for w in changed if state.works.get(w)
    }
    real = _create_works(conn, ctx, state, values)
    feed = [
        change_row(ctx, "work", real[w], 1, "create")
        for w in sorted(real)
        if len(state.works[w]) > 1 or w in state.moved_into
    ]
    _write_members(conn, state, real)
    feed += _refresh(conn, ctx, state, values, sorted(w for w in changed if w > 0))
    write_changes(conn, feed)
