"""The journal row, versioned as issues are (``issues``): what each source states of it.

The row holds the journal's current facts; ``journal_history`` keeps every version of them,
one per change, with its feed entry (entity ``journal``).  A source's row is created with no
facts and no version (``runs.ensure_source``); the first facts stated make version 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, insert, update

from ..model import JournalFacts, encode_record, to_json
from .batch_sql import journal_row
from .feed import RunContext, change_row, retract_change
from .history import amend, run_wrote
from .schema import articles, journal_history, journals
from .served import served_anew

__all__ = ["journal_record", "update_journal"]

# The journal columns a fact fills, beside ``issns``.
_JOURNAL_COLUMNS = (
    "title",
    "issn",
    "online_issn",
    "print_issn",
    "publisher",
    "primary_locale",
    "ojs_version",
)
# The columns a version records (migration 0015 writes the same record for existing rows):
# all but ``ojs_version``, kept current in the row alone.  The release a journal runs is a fact
# of its install, not of the journal: versioned, every OJS upgrade would hand downstream
# readers each of its articles again (``queries.current_articles(since=)``).
_RECORDED = tuple(name for name in (*_JOURNAL_COLUMNS, "issns", "url") if name != "ojs_version")
# What ``current_articles`` shows of an article's journal (``served``).
_JOURNAL_SHOWN = frozenset({"title", "issn"})


def journal_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A version's record: the journal's columns as stored, every one (null when unset), the
    ISSN list as a JSON array rather than its text."""
    record = {name: row[name] for name in _RECORDED}
    record["issns"] = orjson.loads(record["issns"]) if record["issns"] else None
    return record


def _changed(row: Any, facts: JournalFacts, *, keep_title: bool) -> dict[str, Any]:
    """The columns ``facts`` gives new values (see ``update_journal``), read off ``row`` alone."""
    values = {name: getattr(facts, name) for name in _JOURNAL_COLUMNS if getattr(facts, name) is not None}
    if keep_title and row.title is not None:
        values.pop("title", None)
    stored = tuple(orjson.loads(row.issns)) if row.issns else ()
    if facts.issns and not set(facts.issns) <= set(stored):
        values["issns"] = to_json(facts.issns)
    return {name: value for name, value in values.items() if getattr(row, name) != value}


def _amend(conn: Connection, ctx: RunContext, row: Any, body: str, digest: str) -> dict[str, Any]:
    """Complete the version this run wrote (Identify, then its OAI pages, then the web feed: one
    version) in place; its feed entry moves to a new ``seq`` (``feed.retract_change``)."""
    amend(conn, ctx, journal_history.c.journal_id, row.id, row.version, body, digest)
    op = retract_change(conn, "journal", row.id, row.version)
    return change_row(ctx, "journal", row.id, row.version, op)


def _set(conn: Connection, journal_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(journals).where(journals.c.id == journal_id).values(values))


def _write(conn: Connection, ctx: RunContext, row: Any, changed: dict[str, Any]) -> dict[str, Any]:
    """Store the changed columns as the journal's new version, or amend the run's own; its
    feed entry."""
    body, digest = encode_record(journal_record(dict(row._mapping) | changed))
    values = changed | {"updated_at": ctx.fetched_at}
    if run_wrote(conn, ctx, journal_history.c.journal_id, row.id, row.version):
        _set(conn, row.id, values)
        return _amend(conn, ctx, row, body, digest)
    version = 1 if row.version is None else row.version + 1
    _set(conn, row.id, values | {"version": version})
    conn.execute(
        insert(journal_history),
        {
            "journal_id": row.id,
            "version": version,
            "content_hash": digest,
            "record": body,
            "run_id": ctx.run_id,
            "fetched_at": ctx.fetched_at,
        },
    )
    return change_row(ctx, "journal", row.id, version, "create" if version == 1 else "update")


def update_journal(
    conn: Connection, ctx: RunContext, facts: JournalFacts, *, keep_title: bool = False
) -> list[dict[str, Any]]:
    """Store what ``facts`` states of the journal (see ``journal``); what it leaves None stays.
    The feed entry of the version this writes or amends, none when nothing changed: the caller
    writes it (``feed.write_changes``) last in its transaction.

    ``keep_title``: the name is only a fallback for a journal stored without one (an OAI
    record's journal name is in the article's language, not the journal's primary one).
    A list of ISSNs that adds nothing to the stored one leaves it as it is.  Facts that change
    nothing cost the one read of the row (the OAI ingest calls this for every page).
    """
    row = journal_row(conn, ctx.journal_id)
    changed = _changed(row, facts, keep_title=keep_title)
    if changed.keys().isdisjoint(_RECORDED):  # nothing, or the OJS release alone: no version
        if changed:
            _set(conn, row.id, changed | {"updated_at": ctx.fetched_at})
        return []
    change = _write(conn, ctx, row, changed)
    if changed.keys() & _JOURNAL_SHOWN:  # its articles (the source's: one journal each) anew
        served_anew(conn, articles.c.source_id == ctx.source_id, ctx.fetched_at)
    return [change]
