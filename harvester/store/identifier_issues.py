"""Identifier values that fail their syntax or check digit, or that another article of the
same source holds, kept for ``identifier_problems``.

An article's problems are replaced with each new version of it (a corrected record clears
them); a journal's (its ISSNs, which every record repeats) are listed once per source.  A bad
identifier is only listed: the harvest goes on, and the value never matches anything.

Two articles of one source with one canonical landing URL are a journal's error, as one DOI on
two of its articles is: the first article keeps the URL key (``article_keys``), the other is
listed here, and neither is merged.  The shared DOI is listed by clustering, which sees it
(``works._note_shared_doi``); the shared URL is read from the keys once a page's claims are
written (``shared_urls``, for the page's new versions: ``works.cluster_page``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from ..works.matching import RecordKeys
from .batch_sql import key_holders
from .bulk import insert_many
from .feed import RunContext
from .schema import identifier_issues

__all__ = ["shared_urls", "write_problems"]

_CLEAR = delete(identifier_issues).where(identifier_issues.c.article_id.in_(bindparam("ids", expanding=True)))


def _journal_known(conn: Connection, source_id: int) -> set[tuple[str, str]]:
    rows = conn.execute(
        select(identifier_issues.c.kind, identifier_issues.c.raw).where(
            identifier_issues.c.source_id == source_id, identifier_issues.c.article_id.is_(None)
        )
    )
    return {(kind, raw) for kind, raw in rows}


def shared_urls(
    conn: Connection, source_id: int, records: dict[int, RecordKeys]
) -> list[tuple[int, str, str, str]]:
    """(article, "url", canonical URL, reason) for each article whose URL key another article of
    the source holds."""
    urls = sorted({keys.url for keys in records.values() if keys.url})
    holders: dict[str, int] = {}
    for start in range(0, len(urls), 400):
        holders |= key_holders(conn, source_id, "url", urls[start : start + 400])
    return [
        (aid, "url", keys.url, f"also the URL of article {holder} of the same source: not merged")
        for aid, keys in sorted(records.items())
        if keys.url and (holder := holders.get(keys.url, aid)) != aid
    ]


def write_problems(
    conn: Connection,
    ctx: RunContext,
    records: dict[int, RecordKeys],
    found: list[tuple[int, str, str, str]],
    stored: set[int],
) -> None:
    """Replace the problems of these articles' records (plus ``found`` by clustering);
    ``stored``: those placed before, the only ones that may have problems listed already."""
    problems = [(aid, *problem) for aid, keys in records.items() for problem in keys.problems]
    problems += found
    ids = sorted(stored)
    for start in range(0, len(ids), 400):
        conn.execute(_CLEAR, {"ids": ids[start : start + 400]})
    rows: list[dict[str, Any]] = []
    journal: dict[tuple[str, str], str] = {}
    for aid, kind, raw, reason in problems:
        if kind == "issn":
            journal[kind, raw] = reason
        else:
            rows.append({"article_id": aid, "kind": kind, "raw": raw, "reason": reason})
    if journal:
        known = _journal_known(conn, ctx.source_id)
        rows += [
            {"article_id": None, "kind": kind, "raw": raw, "reason": reason}
            for (kind, raw), reason in sorted(journal.items())
            if (kind, raw) not in known
        ]
    base = {"source_id": ctx.source_id, "found_at": ctx.fetched_at}
    insert_many(conn, identifier_issues, [base | row for row in rows])
