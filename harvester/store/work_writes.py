"""Writing what clustering changed: member rows, the rows of works of several articles with
their best values, and one change-feed entry per changed work (``create``, ``update`` or
``delete``)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from ..model import to_json
from .bulk import insert_many
from .feed import RunContext, change_row, write_changes
from .schema import articles, sources, work_members, works
from .served import served_anew
from .work_state import MEMBER_COLUMNS, Member, WorkState, mark

__all__ = ["write_state"]


def _values(member: Member) -> tuple[Any, ...]:
    """A placed member's row, in ``MEMBER_COLUMNS`` order."""
    keys = member.keys
    assert keys is not None  # noqa: S101 - only placed members (with keys) are written whole
    return (
        member.article_id,
        member.work,
        member.source_id,
        keys.doi,
        keys.block,
        _issns_json(keys.issns),
        keys.title,
        keys.year,
        keys.first_author,
        member.url,
        member.rule,
        member.evidence,
    )


@lru_cache(maxsize=4)
def _insert_sql(placeholder: str) -> str:
    marks = ", ".join([placeholder] * len(MEMBER_COLUMNS))
    return f"INSERT INTO work_members ({', '.join(MEMBER_COLUMNS)}) VALUES ({marks})"


_UPDATE_MEMBER = (
    update(work_members)
    .where(work_members.c.article_id == bindparam("b_id"))
    .values({name: bindparam(f"v_{name}") for name in MEMBER_COLUMNS[1:]})
)


def _write_members(conn: Connection, ctx: RunContext, state: WorkState) -> None:
    """Insert or update the changed members' rows (the inserts as tuples on the driver: one per
    new article of every page).  An article whose work id changed (a work renamed after its
    namesake left, works folded into one, an override) is served anew (``served``)."""
    new, changed, moved = [], [], []
    for aid in sorted(state.dirty):
        member = state.members[aid]
        values = _values(member)
        if member.stored:
            names = (f"v_{name}" for name in MEMBER_COLUMNS[1:])
            changed.append(dict(zip(names, values[1:], strict=True)) | {"b_id": aid})
            if member.was != member.work:
                moved.append(aid)
        else:
            new.append(values)
        member.was = member.work
    if new:
        conn.exec_driver_sql(_insert_sql(mark(conn)), new)
    if changed:
        conn.execute(_UPDATE_MEMBER, changed)
    for start in range(0, len(moved), 400):  # (a fold of large works moves many)
        served_anew(conn, articles.c.id.in_(moved[start : start + 400]), ctx.fetched_at)


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


def _stored_works(conn: Connection, ids: list[int]) -> dict[int, tuple[int, str]]:
    """id -> (version, articles) of the works among ``ids`` that have a row."""
    found: dict[int, tuple[int, str]] = {}
    placeholder = mark(conn)
    for start in range(0, len(ids), 400):
        chunk = tuple(ids[start : start + 400])
        sql = f"SELECT id, version, articles FROM works WHERE id IN ({', '.join([placeholder] * len(chunk))})"
        for work_id, version, members in conn.exec_driver_sql(sql, chunk):
            found[work_id] = (version, members)
    return found


def _needs_row(state: WorkState, work: int) -> bool:
    """A work of several articles, or one an article left another work for."""
    members = state.works.get(work, ())
    return len(members) > 1 or (len(members) == 1 and work in state.moved_into)


@dataclass
class _WorkWrites:
    """The statements one page's works need, and their change-feed entries."""

    new: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    emptied: list[int] = field(default_factory=list)
    feed: list[dict[str, Any]] = field(default_factory=list)


def _plan(
    ctx: RunContext,
    state: WorkState,
    wanted: list[int],
    stored: dict[int, tuple[int, str]],
    names: dict[int, str],
) -> _WorkWrites:
    """Rows to insert, update or delete for the works that have (or now need) one."""
    writes = _WorkWrites()
    stamps = {"updated_at": ctx.fetched_at}
    for work_id in wanted:
        members = [state.members[a] for a in state.works.get(work_id, ())]
        if work_id not in stored:
            first = {"id": work_id, "version": 1, "created_at": ctx.fetched_at}
            writes.new.append(_best(members, names) | stamps | first)
            writes.feed.append(change_row(ctx, "work", work_id, 1, "create"))
            continue
        version, articles = stored[work_id]
        if not members:
            writes.emptied.append(work_id)
            writes.feed.append(change_row(ctx, "work", work_id, version + 1, "delete"))
            continue
        values = _best(members, names)
        if values["articles"] != articles:  # a change of membership
            version += 1
            writes.feed.append(change_row(ctx, "work", work_id, version, "update"))
        row = values | stamps | {"version": version}
        writes.updates.append({f"v_{k}": v for k, v in row.items()} | {"b_id": work_id})
    return writes


def write_state(conn: Connection, ctx: RunContext, state: WorkState) -> None:
    """Write one page's clustering: member rows, then the works whose membership changed, with
    one change-feed entry each (``create``, ``update`` or ``delete``).

    An article alone that never was in another work has no ``works`` row and no entry of its
    own: its article's own entry tells of it, and ``current_works`` shows it from its member
    row.  A work gets a row (and a ``create``) when a second article joins it or an article
    left another work for it; it keeps the row until it is empty.  Other changes of a work's
    values are quiet (the articles' own entries tell of them)."""
    if not state.dirty and not state.touched:
        return
    _write_members(conn, ctx, state)
    changed = sorted(state.touched | state.emptied)
    # A work named after an article new on this page has no row yet.
    stored = _stored_works(conn, [w for w in changed if w not in state.fresh])
    wanted = [w for w in changed if w in stored or _needs_row(state, w)]
    if not wanted:
        return
    writes = _plan(ctx, state, wanted, stored, _names(conn, state, set(wanted)))
    insert_many(conn, works, writes.new)
    if writes.updates:
        columns: dict[str, Any] = {name[2:]: bindparam(name) for name in writes.updates[0] if name != "b_id"}
        conn.execute(update(works).where(works.c.id == bindparam("b_id")).values(columns), writes.updates)
    if writes.emptied:
        conn.execute(delete(works).where(works.c.id.in_(writes.emptied)))
    write_changes(conn, writes.feed)
