"""The statements of the batch ingest (``batch``), written once per dialect and run on the driver.

Each runs once per page whatever its number of records: a list of values is bound as one
``IN (…)`` of as many placeholders (a page holds a few hundred records at most, far below
either database's limit on parameters), so no statement is built, compiled or cached per
call.  Values come back as the driver gives them: SQLite booleans are 0/1 and its timestamps
text, which the ingest only compares or tests for NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from .schema import article_sources

__all__ = [
    "Current",
    "claim_keys",
    "current_state",
    "ids_of",
    "issue_rows",
    "journal_row",
    "keep_origins",
    "key_holders",
    "mark_listed",
    "version_records",
]


class Current(NamedTuple):
    """An article's current state, as the page's records are compared with it."""

    id: int
    oai_identifier: str | None
    version: int
    content_hash: str
    deleted: bool
    withdrawn_at: Any
    oai_hash: str | None  # the kept records of its origins (``article_sources``), if any
    page_hash: str | None
    page_record: str | None
    jats_hash: str | None
    jats_record: str | None


_COLUMNS = (
    "a.id, a.oai_identifier, a.version, a.content_hash, a.deleted, a.withdrawn_at, "
    "o.content_hash, p.content_hash, p.record, j.content_hash, j.record"
)
_ORIGINS = (
    "LEFT JOIN article_sources o ON o.article_id = a.id AND o.origin = 'oai' "
    "LEFT JOIN article_sources p ON p.article_id = a.id AND p.origin = 'html' "
    "LEFT JOIN article_sources j ON j.article_id = a.id AND j.origin = 'jats'"
)


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


@cache
def _in(mark: str, count: int) -> str:
    return f"({', '.join([mark] * count)})"


@cache
def _current_sql(mark: str, oai: int, ojs: int) -> str:
    """Articles named by OAI identifier (within the source) or by OJS key, in one statement."""
    by_oai = (
        f"SELECT 'oai', a.oai_identifier, {_COLUMNS} FROM articles a {_ORIGINS} "
        f"WHERE a.source_id = {mark} AND a.oai_identifier IN {_in(mark, oai)}"
    )
    by_ojs = (
        f"SELECT 'ojs', k.value, {_COLUMNS} FROM article_keys k JOIN articles a ON a.id = k.article_id "
        f"{_ORIGINS} WHERE k.source_id = {mark} AND k.kind = 'ojs' AND k.value IN {_in(mark, ojs)}"
    )
    return f"{by_oai} UNION ALL {by_ojs}" if ojs else by_oai


def current_state(
    conn: Connection, source_id: int, identifiers: Sequence[str], ojs_keys: Sequence[str]
) -> dict[tuple[str, str], Current]:
    """The current state of the articles a page's records name, by the key that found each:
    ("oai", identifier) or ("ojs", "SOURCE:ID")."""
    if not identifiers:
        return {}
    sql = _current_sql(_mark(conn), len(identifiers), len(ojs_keys))
    by_ojs = (source_id, *ojs_keys) if ojs_keys else ()
    rows = conn.exec_driver_sql(sql, (source_id, *identifiers, *by_ojs)).all()
    return {(row[0], row[1]): Current(*row[2:]) for row in rows}


def ids_of(conn: Connection, source_id: int, identifiers: Sequence[str]) -> dict[str, int]:
    """The ids of the source's articles with these OAI identifiers."""
    mark = _mark(conn)
    sql = (
        f"SELECT oai_identifier, id FROM articles "
        f"WHERE source_id = {mark} AND oai_identifier IN {_in(mark, len(identifiers))}"
    )
    return dict(conn.exec_driver_sql(sql, (source_id, *identifiers)).all())


def version_records(conn: Connection, article_ids: Sequence[int]) -> dict[int, str]:
    """The record of each article's current version (a tombstone keeps the last content)."""
    mark = _mark(conn)
    sql = (
        "SELECT h.article_id, h.record FROM article_history h JOIN articles a "
        f"ON a.id = h.article_id AND h.version = a.version WHERE a.id IN {_in(mark, len(article_ids))}"
    )
    return dict(conn.exec_driver_sql(sql, tuple(article_ids)).all())


def claim_keys(conn: Connection, source_id: int, claims: dict[tuple[str, str], int]) -> None:
    """Record the source's identity keys (DOI, landing URL, OJS id); a key another article of
    the source holds stays its (both dialects spell it ``ON CONFLICT DO NOTHING``)."""
    if not claims:
        return
    mark = _mark(conn)
    sql = (
        "INSERT INTO article_keys (source_id, kind, value, article_id) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (source_id, kind, value) DO NOTHING"
    )
    conn.exec_driver_sql(sql, [(source_id, kind, value, aid) for (kind, value), aid in claims.items()])


def key_holders(conn: Connection, source_id: int, kind: str, values: Sequence[str]) -> dict[str, int]:
    """The article of the source holding each of these keys of one kind, where one does."""
    mark = _mark(conn)
    sql = (
        "SELECT value, article_id FROM article_keys "
        f"WHERE source_id = {mark} AND kind = {mark} AND value IN {_in(mark, len(values))}"
    )
    return dict(conn.exec_driver_sql(sql, (source_id, kind, *values)).all()) if values else {}


def keep_origins(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Keep the latest record of each (article, origin) in ``rows``, in one executemany upsert."""
    if not rows:
        return
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(article_sources)
    others = {name: statement.excluded[name] for name in ("content_hash", "record", "run_id", "fetched_at")}
    conn.execute(statement.on_conflict_do_update(index_elements=["article_id", "origin"], set_=others), rows)


def mark_listed(conn: Connection, source_id: int, identifiers: Sequence[str], sweep_run: int) -> None:
    """Set ``oai_sweep`` on the source's articles with these OAI identifiers (``sweeps``)."""
    mark = _mark(conn)
    sql = (
        f"UPDATE articles SET oai_sweep = {mark} "
        f"WHERE source_id = {mark} AND oai_identifier IN {_in(mark, len(identifiers))}"
    )
    conn.exec_driver_sql(sql, (sweep_run, source_id, *identifiers))


def issue_rows(conn: Connection, journal_id: int, keys: Sequence[str]) -> Sequence[Any]:
    """The journal's issues with these keys, every column (``issues``; each OAI page asks)."""
    mark = _mark(conn)
    sql = f"SELECT * FROM issues WHERE journal_id = {mark} AND key IN {_in(mark, len(keys))}"
    return conn.exec_driver_sql(sql, (journal_id, *keys)).all()


def journal_row(conn: Connection, journal_id: int) -> Any:
    """The journal's row, every column (each OAI page may note what its records say of it)."""
    return conn.exec_driver_sql(f"SELECT * FROM journals WHERE id = {_mark(conn)}", (journal_id,)).one()
