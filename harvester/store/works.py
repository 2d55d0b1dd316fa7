"""Clustering articles into works, incrementally, one page of ingested records at a time.

``cluster_page`` runs at the end of every page's write (``articles.flush``), in the page's
transaction, over the articles that page gave a new (or amended) version:

1. each article's match keys come from its new record (``works.matching.record_keys``,
   computed where an OAI record was parsed: ``OaiRecord.work_keys``), and its identifier
   problems are listed (``identifier_issues``), with a URL another article of its source
   holds;
2. the members sharing a DOI or a title block with them are loaded with their works whole
   (``work_state``: indexed lookups, never a pass over all articles);
3. each article is placed, in article-id order: an article whose keys did not change stays
   where it is; otherwise the pairwise decision (``matching.decide``) names the works it
   belongs to, strongest evidence first (a DOI and the title block, a DOI, the title block).
   It joins the first that holds no article of its own source, and the other matched works
   fold into that one when their sources are disjoint; with no match it is a work of its own.
   Overrides come first: a split article stays alone, merged articles stay together (``work_overrides``);
4. the changed members, the works' best values and one change-feed entry per changed work
   are written (``work_writes``).

The result does not depend on the order sources were harvested in, except when a journal's
own error (one DOI on two of its articles) forces a choice: the stronger evidence wins, then
the article placed first; the other is listed in ``identifier_problems``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import Connection, select

from ..works.matching import MatchKeys, RecordKeys, decide, match_keys, record_keys
from .feed import CHANGE_FEED_LOCK, RunContext
from .identifier_issues import shared_urls, write_problems
from .schema import article_history, articles
from .work_state import Member, WorkState, load_state
from .work_writes import write_state

if TYPE_CHECKING:
    from .articles import PageWrites

__all__ = ["cluster_page", "cluster_records", "place", "rejoin", "serialise"]


def _records(conn: Connection, page: PageWrites) -> dict[int, RecordKeys]:
    """The keys of the new records of the page's articles: its new versions, and the versions
    it amended (an article's page completing the OAI record this run wrote), read back; no
    tombstones."""
    bodies = {row["article_id"]: row["record"] for row in page.history if not row["deleted"]}
    gone = {row["article_id"] for row in page.history if row["deleted"]}
    amended = {
        change["entity_id"]
        for change in page.changes
        if change["entity"] == "article" and change["op"] != "delete" and change["entity_id"] not in bodies
    } - gone
    if amended:
        rows = conn.execute(
            select(article_history.c.article_id, article_history.c.record)
            .join(articles, articles.c.id == article_history.c.article_id)
            .where(articles.c.id.in_(sorted(amended)), article_history.c.version == articles.c.version)
            .where(articles.c.deleted.is_(False))
        )
        bodies.update(dict(rows.all()))
    given = page.matched  # the writer's own view of the article: no parsing back
    return {aid: given.get(aid) or record_keys(orjson.loads(body)) for aid, body in bodies.items()}


def cluster_page(conn: Connection, page: PageWrites) -> None:
    """Place the articles of one page's new versions into works (tombstones keep theirs), and
    list the URLs another article of their source holds (its keys are written by now)."""
    records = _records(conn, page)
    cluster_records(conn, page.ctx, records, shared_urls(conn, page.ctx.source_id, records))


def serialise(conn: Connection) -> None:
    """Hold off other writers' clustering until this transaction commits.

    SQLite's write lock does it already.  On PostgreSQL, writers of other sources must not
    place their articles between our reads and our commit, or two twins written at once would
    never meet: the change feed's lock (a page holds it already when it wrote feed entries)
    serialises them until commit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHANGE_FEED_LOCK})")


def cluster_records(
    conn: Connection,
    ctx: RunContext,
    records: dict[int, RecordKeys],
    found: Sequence[tuple[int, str, str, str]] = (),
) -> None:
    """Place articles of one source, given the keys of their current records, into works;
    ``found``: identifier problems of theirs found elsewhere, listed with clustering's own."""
    if not records:
        return
    serialise(conn)
    keys = [match_keys(aid, ctx.source_id, records[aid]) for aid in sorted(records)]
    state = load_state(conn, keys)
    stored = {aid for aid in records if aid in state.members}
    for article_keys in keys:
        place(state, article_keys, records[article_keys.article_id].url)
    write_problems(conn, ctx, records, [*state.problems, *found], stored)
    write_state(conn, ctx, state)


def _same_keys(member: Member, keys: MatchKeys) -> bool:
    old = member.keys
    return old is not None and (old.doi, old.block, old.issns) == (keys.doi, keys.block, keys.issns)


def place(state: WorkState, keys: MatchKeys, canonical: str | None) -> None:
    """Put one article, its canonical URL given, into its work, updating ``state``."""
    aid = keys.article_id
    member = state.members.get(aid)
    if member is not None and _same_keys(member, keys) and aid not in state.merges:
        if (member.keys, member.url) != (keys, canonical):
            member.keys, member.url = keys, canonical
            state.dirty.add(aid)
            state.touched.add(member.work)
        _note_shared_doi(state, keys)  # its problems are listed anew with each version
        return
    if member is None:
        member = Member(aid, keys.source_id, aid, keys, canonical)
        state.fresh.add(aid)
        state.index(member)
        if _meets_nobody(state, keys):  # most new articles: a work of their own at once
            state.alone(member)
            return
    else:
        state.unindex(member)
        member.keys, member.url = keys, canonical
        state.index(member)
    _join(state, member, _matches(state, member))


def _meets_nobody(state: WorkState, keys: MatchKeys) -> bool:
    """Whether no other article in sight shares the article's DOI or title block."""
    by_doi, by_block = state.by_doi.get(keys.doi or "", ()), state.by_block.get(keys.block or "", ())
    return len(by_doi) <= 1 and len(by_block) <= 1


def rejoin(state: WorkState, article_id: int) -> None:
    """Place a stored member again, its keys unchanged: after an override names it."""
    member = state.members[article_id]
    _join(state, member, _matches(state, member))


def _matches(state: WorkState, member: Member) -> list[tuple[int, int, str, str]]:
    """(priority, work, rule, evidence) of every work the article belongs to by rule or override."""
    keys = member.keys
    assert keys is not None  # noqa: S101 - placed members always carry their keys
    aid = keys.article_id
    found = [
        (0, state.members[other].work, "merge", f"merged with article {other} by hand")
        for other in sorted(state.merges.get(aid, ()))
        if other in state.members
    ]
    _note_shared_doi(state, keys)
    if aid in state.splits:
        return found
    near = state.by_doi.get(keys.doi or "", set()) | state.by_block.get(keys.block or "", set())
    for cid in sorted(near - {aid}):
        candidate = state.members[cid]
        if cid in state.splits or candidate.keys is None:
            continue
        if candidate.source_id == keys.source_id:
            continue
        rule = decide(keys, candidate.keys)
        if rule is not None:
            found.append(
                (
                    _priority(rule, keys, candidate.keys),
                    candidate.work,
                    rule,
                    f"{rule} shared with article {cid}",
                )
            )
    return sorted(found)


def _note_shared_doi(state: WorkState, keys: MatchKeys) -> None:
    """List a DOI the article shares with another article of its own source (a journal's
    error: the two are never merged)."""
    for cid in sorted(state.by_doi.get(keys.doi or "", set()) - {keys.article_id}):
        if state.members[cid].source_id == keys.source_id:
            reason = f"also the DOI of article {cid} of the same source: not merged"
            state.problems.append((keys.article_id, "doi", keys.doi or "", reason))


def _priority(rule: str, keys: MatchKeys, other: MatchKeys) -> int:
    """Stronger evidence first: a DOI with the same title block, a DOI alone, a title block."""
    if rule == "doi":
        return 1 if keys.block and keys.block == other.block else 2
    return 3


def _join(state: WorkState, member: Member, matches: list[tuple[int, int, str, str]]) -> None:
    """Join the first matched work without an article of the member's source; fold the others
    into it when their sources are disjoint; else be a work alone."""
    target = None
    for _, work, rule, evidence in matches:
        if work == member.work and member.stored and rule != "merge":
            target = work
            break
        if member.source_id not in _other_sources(state, work, member.article_id):
            target = work
            member.rule, member.evidence = rule, evidence
            break
    if target is None:
        member.rule = "split" if member.article_id in state.splits else "alone"
        member.evidence = None
        state.alone(member)
        state.dirty.add(member.article_id)
        return
    state.move(member, target)
    state.dirty.add(member.article_id)
    for _, work, _, _ in matches:
        if work != target and work in state.works and not state.sources(work) & state.sources(target):
            for aid in sorted(state.works[work]):
                state.move(state.members[aid], target)


def _other_sources(state: WorkState, work: int, article_id: int) -> set[int]:
    """The sources of a work's articles other than ``article_id``."""
    return {state.members[aid].source_id for aid in state.works.get(work, ()) if aid != article_id}
