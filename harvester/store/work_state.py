"""What clustering one page needs to know, loaded with a few indexed queries, then changed in
memory: the members sharing a blocking key with the page's articles, every member of their
works, and the overrides that name them (``works`` decides, ``work_writes`` writes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, or_, select

from ..works.matching import MatchKeys
from .schema import work_members, work_overrides

__all__ = ["MEMBER_COLUMNS", "Member", "WorkState", "load_article_state", "load_state", "mark"]


@dataclass
class Member:
    """One article's place: its keys (None: loaded only as a member of a work) and work."""

    article_id: int
    source_id: int
    work: int  # a work id: the id of one of its articles (its own when alone)
    keys: MatchKeys | None = None
    url: str | None = None
    rule: str = "alone"
    evidence: str | None = None
    was: int | None = None  # the work its ``work_members`` row names (None: no row yet)

    @property
    def stored(self) -> bool:
        """Whether it has a row in ``work_members``."""
        return self.was is not None


@dataclass
class WorkState:
    """The members and works one page touches, and what changed."""

    members: dict[int, Member] = field(default_factory=dict)
    by_doi: dict[str, set[int]] = field(default_factory=dict)
    by_block: dict[str, set[int]] = field(default_factory=dict)
    works: dict[int, set[int]] = field(default_factory=dict)  # work -> its article ids
    splits: set[int] = field(default_factory=set)
    merges: dict[int, set[int]] = field(default_factory=dict)  # article -> articles it is merged with
    dirty: set[int] = field(default_factory=set)  # members whose row must be written
    fresh: set[int] = field(default_factory=set)  # articles placed for the first time
    touched: set[int] = field(default_factory=set)  # works whose members or values changed
    emptied: set[int] = field(default_factory=set)
    moved_into: set[int] = field(default_factory=set)  # works an article left another work for
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # article, kind, raw, why

    def index(self, member: Member) -> None:
        """Make a member findable by its blocking keys."""
        self.members[member.article_id] = member
        if member.keys is not None:
            if member.keys.doi:
                self.by_doi.setdefault(member.keys.doi, set()).add(member.article_id)
            if member.keys.block:
                self.by_block.setdefault(member.keys.block, set()).add(member.article_id)

    def unindex(self, member: Member) -> None:
        """Forget an article's old keys (they changed)."""
        if member.keys is not None:
            self.by_doi.get(member.keys.doi or "", set()).discard(member.article_id)
            self.by_block.get(member.keys.block or "", set()).discard(member.article_id)

    def move(self, member: Member, work: int) -> None:
        """Put an article into a work (leaving its old one).  A work is named after one of its
        articles: when that article leaves, the rest are renamed after the first of them."""
        if member.work == work and member.stored:
            return
        old = self.works.get(member.work)
        if old is not None:
            old.discard(member.article_id)
            (self.touched if old else self.emptied).add(member.work)
            self.moved_into.add(work)
            if old and member.work == member.article_id:
                self._rename(old)
        member.work = work
        self.works.setdefault(work, set()).add(member.article_id)
        self.touched.add(work)
        self.dirty.add(member.article_id)

    def alone(self, member: Member) -> None:
        """Make an article a work of its own: its id is the article's."""
        aid = member.article_id
        if member.work != aid or not member.stored:
            self.move(member, aid)
            return
        rest = self.works[aid] - {aid}
        if rest:  # it named a work of several: they go on under another name
            self.works[aid] = {aid}
            self._rename(rest)
            self.touched.add(aid)

    def _rename(self, rest: set[int]) -> None:
        """Move the articles left in a work whose namesake left into a work named after the
        first of them (never anyone's work: that article was in this one)."""
        ordered = sorted(rest)
        for aid in ordered:
            self.move(self.members[aid], ordered[0])

    def sources(self, work: int) -> set[int]:
        return {self.members[aid].source_id for aid in self.works.get(work, ())}


_COLUMNS = (
    work_members.c.article_id,
    work_members.c.work_id,
    work_members.c.source_id,
    work_members.c.doi,
    work_members.c.block,
    work_members.c.issns,
    work_members.c.title,
    work_members.c.year,
    work_members.c.first_author,
    work_members.c.url,
    work_members.c.rule,
    work_members.c.evidence,
)
#: The member row's columns, in the order ``_member`` reads them and ``work_writes`` writes them.
MEMBER_COLUMNS = tuple(column.name for column in _COLUMNS)
_SELECT = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM work_members"
_BY_ARTICLE = select(*_COLUMNS).where(work_members.c.article_id.in_(bindparam("ids", expanding=True)))


def _chunks(values: Iterable[object]) -> Iterable[list[object]]:
    ordered = sorted(set(values), key=str)
    for start in range(0, len(ordered), 400):
        yield ordered[start : start + 400]


@lru_cache(maxsize=4096)  # the ISSNs of one journal, repeated by every one of its articles
def _issns(text: str) -> frozenset[str]:
    return frozenset(orjson.loads(text))


def _member(row: Any) -> Member:
    aid, work, source, doi, block, issns, title, year, author, url, rule, evidence = row
    keys = MatchKeys(aid, source, doi, block, _issns(issns), title, year, author)
    return Member(aid, source, work, keys, url, rule, evidence, was=work)


def mark(conn: Connection) -> str:
    """The driver's positional placeholder (sqlite3: ``?``; psycopg: ``%s``)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@lru_cache(maxsize=256)
def _rows_sql(placeholder: str, column: str, count: int) -> str:
    """SELECT of member rows by a list of ``column`` values, placeholders written out: the
    driver gets it as is (SQLAlchemy would render each expanding list anew every page)."""
    return f"{_SELECT} WHERE {column} IN ({', '.join([placeholder] * count)})"


def _add_rows(conn: Connection, state: WorkState, column: str, values: Iterable[object]) -> None:
    placeholder = mark(conn)
    for chunk in _chunks(values):
        for row in conn.exec_driver_sql(_rows_sql(placeholder, column, len(chunk)), tuple(chunk)):
            if row[0] not in state.members:
                member = _member(row)
                state.index(member)
                state.works.setdefault(member.work, set()).add(member.article_id)


def _load_overrides(conn: Connection, state: WorkState, ids: list[int]) -> set[int]:
    """Record the page's overrides; the merge partners to load as well."""
    partners: set[int] = set()
    for chunk in _chunks(ids):
        rows = conn.execute(
            select(work_overrides.c.kind, work_overrides.c.article_id, work_overrides.c.other_id).where(
                or_(work_overrides.c.article_id.in_(chunk), work_overrides.c.other_id.in_(chunk))
            )
        )
        for kind, article_id, other_id in rows:
            if kind == "split":
                state.splits.add(article_id)
            else:
                state.merges.setdefault(article_id, set()).add(other_id)
                state.merges.setdefault(other_id, set()).add(article_id)
                partners |= {article_id, other_id}
    return partners


@lru_cache(maxsize=256)
def _near_sql(placeholder: str, ids: int, dois: int, blocks: int) -> str:
    """The SELECT of ``_add_near`` for lists of these lengths, placeholders written out: the
    driver gets it as is (SQLAlchemy would render each expanding list anew every page)."""
    marks = ", ".join([placeholder] * ids)
    where = [f"article_id IN ({marks})"]
    if dois:
        where.append(f"doi IN ({', '.join([placeholder] * dois)})")
    if blocks:  # a title block of the article's own source can never match: not loaded
        where.append(f"(block IN ({', '.join([placeholder] * blocks)}) AND source_id <> {placeholder})")
    return f"{_SELECT} WHERE {' OR '.join(where)}"


def _add_near(conn: Connection, state: WorkState, keys: list[MatchKeys]) -> None:
    """The page's articles' own rows and the rows sharing a DOI or a title block with them:
    one statement per 400 articles (each OR branch uses its own index)."""
    placeholder = mark(conn)
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        ids = [k.article_id for k in chunk]
        dois = sorted({k.doi for k in chunk if k.doi})
        blocks = sorted({k.block for k in chunk if k.block})
        params = [*ids, *dois, *blocks, chunk[0].source_id] if blocks else [*ids, *dois]
        sql = _near_sql(placeholder, len(ids), len(dois), len(blocks))
        for row in conn.exec_driver_sql(sql, tuple(params)):
            if row[0] not in state.members:
                member = _member(row)
                state.index(member)
                state.works.setdefault(member.work, set()).add(member.article_id)


_OVERRIDDEN = frozenset({"split", "merge"})


def load_state(conn: Connection, keys: list[MatchKeys], *, overrides: bool = False) -> WorkState:
    """The members the page's articles may meet, their works whole, and the overrides naming
    any of them (with the merge partners and their works).  A page of new articles that meet
    nobody costs one statement."""
    state = WorkState()
    _add_near(conn, state, keys)
    if not state.members:
        return state  # overrides name stored members only
    _add_rows(conn, state, "work_id", {m.work for m in state.members.values()})
    # An override marks its articles' rows (rule "split" or "merge"): without one in sight,
    # there is no override to read.
    if not overrides and not any(m.rule in _OVERRIDDEN for m in state.members.values()):
        return state
    partners = _load_overrides(conn, state, list(state.members))
    if partners - state.members.keys():
        _add_rows(conn, state, "article_id", partners)
        works = {state.members[p].work for p in partners if p in state.members}
        _add_rows(conn, state, "work_id", works)
    return state


def load_article_state(conn: Connection, article_id: int) -> WorkState:
    """What placing one stored member again needs (``work_overrides``), from its stored keys."""
    row = conn.execute(_BY_ARTICLE, {"ids": [article_id]}).first()
    keys = _member(row).keys if row is not None else None
    return load_state(conn, [keys] if keys is not None else [], overrides=True)
