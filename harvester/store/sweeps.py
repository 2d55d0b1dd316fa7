"""Articles that vanish without a tombstone: what complete sweeps saw, withdrawal and return.

OJS leaves no OAI tombstone when a submission is deleted outright (pkp-lib 3_4_0-8
api/v1/submissions/PKPSubmissionHandler.php ``delete`` → classes/submission/Repository.php
``delete``: the row goes, no tombstone is written; 3_5_0-1 PKPSubmissionController ``delete``
the same), and an unpublished article leaves the tables of contents while its page answers
404 (3_3_0-11 pages/article/ArticleHandler.inc.php, 3_4_0-8 and 3_5_0-1
pages/article/ArticleHandler.php ``initialize``: ``handle404`` for a submission that is not
published).  Only a *complete* sweep tells such an article from one we merely did not look at:

- OAI: a full list (a window without ``from``/``until``) that reached its real end.  Each of
  its pages marks the articles it lists with the run that started the window
  (``mark_oai_sweep``: one UPDATE per page, kept with the checkpoint, so a resumed window
  keeps its marks);
- pages: every archive page and every issue's table of contents read in this run; the crawl
  hands over the article URLs the tables listed.

``reconcile`` runs once at the end of a run that finished: an article live before and absent
from every sweep the run's strategy asks for is *withdrawn* — a new version (same content,
``withdrawn_at`` and the evidence), a ``withdraw`` feed entry, never a deleted row.  A
withdrawn article seen again (listed by a table of contents, or its OAI record ingested) is
live again in a new version.  Anything less than complete evidence withdraws nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from .articles import url_key
from .batch_sql import mark_listed
from .bulk import insert_many
from .feed import RunContext, change_row, write_changes
from .schema import article_history, article_keys, articles

__all__ = ["Sweep", "listed_keys", "mark_oai_sweep", "reconcile"]

log = logging.getLogger(__name__)


def mark_oai_sweep(conn: Connection, source_id: int, identifiers: Sequence[str], sweep_run: int) -> None:
    """Note that a page of the full OAI list started by ``sweep_run`` listed these records."""
    if identifiers:
        mark_listed(conn, source_id, identifiers, sweep_run)


def listed_keys(source_id: int, links: Iterable[tuple[str, int | None]]) -> frozenset[tuple[str, str]]:
    """The identity keys of the articles tables of contents link: (landing URL, OJS id) pairs."""
    keys: set[tuple[str, str]] = set()
    for url, ojs_id in links:
        keys.add(("url", url_key(url)))
        if ojs_id is not None:
            keys.add(("ojs", f"{source_id}:{ojs_id}"))
    return frozenset(keys)


@dataclass(frozen=True)
class Sweep:
    """What one run saw.  ``oai_run``: the run that started its complete full OAI list (the
    articles marked with it or later were listed), None without one; ``listed``: the keys of
    the articles its tables of contents listed, None when it did not read them; ``complete``:
    every sweep the strategy asks for was complete (only then is absence evidence)."""

    oai_run: int | None
    listed: frozenset[tuple[str, str]] | None
    complete: bool
    evidence: str


# Articles read at once: the end of a run never holds a source's whole list in memory.
_CHUNK = 500


def _candidates(conn: Connection, source_id: int, *, withdrawn_only: bool) -> Iterator[Sequence[Any]]:
    """The source's articles that are not tombstones (only the withdrawn ones when the run's
    evidence can bring articles back but withdraw none), ``_CHUNK`` at a time in id order."""
    query = (
        select(
            articles.c.id,
            articles.c.version,
            articles.c.oai_identifier,
            articles.c.oai_sweep,
            articles.c.withdrawn_at,
        )
        .where(articles.c.source_id == source_id, articles.c.deleted.is_(False))
        .order_by(articles.c.id)
        .limit(_CHUNK)
    )
    if withdrawn_only:
        query = query.where(articles.c.withdrawn_at.is_not(None))
    last = 0
    while rows := conn.execute(query.where(articles.c.id > last)).all():
        yield rows
        last = rows[-1].id


def _current_records(conn: Connection, ids: list[int]) -> Sequence[Any]:
    """The current version's hash and record of each article."""
    return conn.execute(
        select(articles.c.id, articles.c.version, article_history.c.content_hash, article_history.c.record)
        .join(
            article_history,
            and_(
                article_history.c.article_id == articles.c.id,
                article_history.c.version == articles.c.version,
            ),
        )
        .where(articles.c.id.in_(ids))
    ).all()


def _keys_by_article(conn: Connection, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    rows = conn.execute(
        select(article_keys.c.article_id, article_keys.c.kind, article_keys.c.value).where(
            article_keys.c.article_id.in_(ids), article_keys.c.kind.in_(("url", "ojs"))
        )
    )
    found: dict[int, set[tuple[str, str]]] = {}
    for article_id, kind, value in rows:
        found.setdefault(article_id, set()).add((kind, value))
    return found


def _present(row: Any, keys: set[tuple[str, str]], sweep: Sweep) -> bool | None:
    """Whether the run saw the article; None when its sweeps say nothing about it."""
    in_oai = sweep.oai_run is not None and row.oai_sweep is not None and row.oai_sweep >= sweep.oai_run
    in_tocs = sweep.listed is not None and bool(keys & sweep.listed)
    if in_oai or in_tocs:
        return True
    if sweep.listed is None and row.oai_identifier is None:
        return None  # an OAI-only run knows nothing of an article OAI never listed
    return False


def _write(conn: Connection, ctx: RunContext, ids: list[int], evidence: str | None) -> None:
    """A new version of each article, same content: withdrawn with ``evidence``, or live again."""
    when = ctx.fetched_at if evidence else None
    for start in range(0, len(ids), _CHUNK):
        rows = _current_records(conn, ids[start : start + _CHUNK])
        history = [
            {
                "article_id": row.id,
                "version": row.version + 1,
                "content_hash": row.content_hash,
                "record": row.record,
                "deleted": False,
                "datestamp": None,
                "source_id": ctx.source_id,
                "run_id": ctx.run_id,
                "raw_page_id": None,
                "fetched_at": ctx.fetched_at,
                "withdrawn_at": when,
                "withdrawn_evidence": evidence,
            }
            for row in rows
        ]
        insert_many(conn, article_history, history)
        conn.execute(
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values(
                version=bindparam("b_version"),
                withdrawn_at=when,
                withdrawn_evidence=evidence,
                updated_at=ctx.fetched_at,
            ),
            [{"b_id": row.id, "b_version": row.version + 1} for row in rows],
        )
        op = "withdraw" if evidence else "update"
        write_changes(conn, [change_row(ctx, "article", row.id, row.version + 1, op) for row in rows])


def reconcile(conn: Connection, ctx: RunContext, sweep: Sweep) -> tuple[int, int]:
    """Withdraw the articles a complete sweep did not see; bring back withdrawn articles it
    saw.  Returns (withdrawn, returned).  Runs in the caller's transaction, reading the
    source's articles a chunk at a time: only the ids of those to withdraw are kept until
    the end, when it is known whether the sweep saw any article at all."""
    gone: list[int] = []
    returned = 0
    saw_any = False
    for rows in _candidates(conn, ctx.source_id, withdrawn_only=not sweep.complete):
        keys = _keys_by_article(conn, [row.id for row in rows]) if sweep.listed is not None else {}
        seen = {row.id: _present(row, keys.get(row.id, set()), sweep) for row in rows}
        saw_any = saw_any or any(seen.values())
        back = [row.id for row in rows if row.withdrawn_at is not None and seen[row.id]]
        _write(conn, ctx, back, None)
        returned += len(back)
        gone += [row.id for row in rows if row.withdrawn_at is None and seen[row.id] is False]
    if gone and not saw_any:
        log.warning(
            "source %d: a complete sweep saw none of %d known articles; withdrawing nothing",
            ctx.source_id,
            len(gone),
        )
        gone = []
    _write(conn, ctx, gone, sweep.evidence)
    return len(gone), returned
