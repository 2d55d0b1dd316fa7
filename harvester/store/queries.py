"""Reading the store for the one-off commands: sources, history, export.

Reads go through the public views where one exists, so the commands see exactly what
downstream tools see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text, union

from ..errors import NotFoundError
from ..parse.normalize import normalize_doi
from .articles import url_key
from .runs import as_utc
from .schema import article_history, article_keys, articles, change_log, runs, sources, work_members

__all__ = [
    "JSON_COLUMNS",
    "JSON_OBJECT_COLUMNS",
    "STREAM",
    "article_versions",
    "current_articles",
    "current_galleys",
    "decode_article",
    "find_article",
    "source_summaries",
    "with_galleys",
]

#: Columns of ``current_articles`` that hold JSON text: arrays, then objects by language.
JSON_COLUMNS = ("authors", "keywords", "references")
JSON_OBJECT_COLUMNS = ("titles", "subtitles", "abstracts", "keywords_by_language")


def source_summaries(conn: Connection) -> dict[str, dict[str, Any]]:
    """Per source name: the last run and the number of live articles."""
    last_run = (
        select(runs.c.source_id, func.max(runs.c.id).label("run_id")).group_by(runs.c.source_id).subquery()
    )
    rows = conn.execute(
        select(sources.c.name, runs)
        .join(last_run, last_run.c.source_id == sources.c.id)
        .join(runs, runs.c.id == last_run.c.run_id)
    )
    summaries = {row.name: dict(row._mapping) for row in rows}
    live = conn.execute(
        select(sources.c.name, func.count(articles.c.id))
        .join(articles, articles.c.source_id == sources.c.id)
        .where(articles.c.deleted.is_(False), articles.c.withdrawn_at.is_(None))
        .group_by(sources.c.name)
    )
    for name, count in live:
        summaries.setdefault(name, {})["articles"] = count
    return summaries


def _key_for(reference: str) -> tuple[str, str]:
    doi = normalize_doi(reference)
    if doi:
        return ("doi", doi)
    if reference[:8].lower().startswith(("http://", "https://")):
        return ("url", url_key(reference))
    return ("oai", reference)


def find_article(conn: Connection, reference: str) -> int:
    """An article id from an id, a DOI, an OAI identifier or a landing URL."""
    if reference.isdigit():
        if conn.execute(select(articles.c.id).where(articles.c.id == int(reference))).first():
            return int(reference)
        raise NotFoundError(f"no article with id {reference}")
    kind, value = _key_for(reference)
    if kind == "oai":
        query = select(articles.c.id).where(articles.c.oai_identifier == value)
    else:
        query = select(article_keys.c.article_id).where(
            article_keys.c.kind == kind, article_keys.c.value == value
        )
    ids = conn.execute(query.distinct()).scalars().all()
    if not ids:
        raise NotFoundError(f"no article known as {reference!r}")
    if len(ids) > 1:
        raise NotFoundError(
            f"{reference!r} names {len(ids)} articles ({', '.join(map(str, ids))}); use an id"
        )
    return int(ids[0])


def article_versions(conn: Connection, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first, with its record decoded."""
    rows = conn.execute(
        select(article_history)
        .where(article_history.c.article_id == article_id)
        .order_by(article_history.c.version)
    )
    versions = []
    for row in rows:
        version = dict(row._mapping)
        version["record"] = json.loads(version["record"])
        version["fetched_at"] = as_utc(version["fetched_at"])
        versions.append(version)
    return versions


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


# A whole view read a batch at a time: on PostgreSQL through a server-side cursor (psycopg
# would hold the whole result in memory); SQLite reads rows as they are asked for anyway.
STREAM = {"stream_results": True, "max_row_buffer": 1000}


def current_articles(
    conn: Connection, *, since: int = 0, source: str | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of the ``current_articles`` view, optionally only those changed after feed ``since``:
    a new version of the article, or of the work, the issue or the journal it is in (what the
    row shows of them: ``work_id``, the issue's identification, the journal's name and ISSN)."""
    sql = "SELECT * FROM current_articles WHERE 1 = 1"
    params: dict[str, Any] = {}
    if source:
        sql += " AND source = :source"
        params["source"] = source
    if since:
        changed = select(change_log.c.entity_id).where(change_log.c.seq > since)
        articles_changed = changed.where(change_log.c.entity == "article")
        works_changed = select(work_members.c.article_id).where(
            work_members.c.work_id.in_(changed.where(change_log.c.entity == "work"))
        )
        issues_changed = select(articles.c.id).where(
            articles.c.issue_id.in_(changed.where(change_log.c.entity == "issue"))
        )
        journals_changed = select(articles.c.id).where(
            articles.c.journal_id.in_(changed.where(change_log.c.entity == "journal"))
        )
        either = union(articles_changed, works_changed, issues_changed, journals_changed)
        compiled = either.compile(conn, compile_kwargs={"literal_binds": True})
        sql += f" AND article_id IN ({compiled})"
    for row in conn.execute(text(sql + " ORDER BY article_id"), params, execution_options=STREAM):
        yield decode_article({key: _jsonable(value) for key, value in row._mapping.items()})


def decode_article(record: dict[str, Any]) -> dict[str, Any]:
    """A ``current_articles`` row with its JSON columns decoded (in place) and ``deleted`` a bool."""
    for column in JSON_COLUMNS:
        record[column] = json.loads(record[column]) if record[column] else []
    for column in JSON_OBJECT_COLUMNS:
        record[column] = json.loads(record[column]) if record[column] else {}
    record["deleted"] = bool(record["deleted"])
    return record


def current_galleys(conn: Connection, *, source: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of the ``current_galleys`` view as (article id, the galley without the article's
    own columns), in article id order, read a batch at a time."""
    sql = "SELECT * FROM current_galleys"
    params: dict[str, Any] = {}
    if source:
        sql += " WHERE source = :source"
        params["source"] = source
    for row in conn.execute(text(sql + " ORDER BY article_id, source_url"), params, execution_options=STREAM):
        galley = {key: _jsonable(value) for key, value in row._mapping.items()}
        galley.pop("source")
        yield galley.pop("article_id"), galley


def with_galleys(
    rows: Iterable[dict[str, Any]], galleys: Iterator[tuple[int, dict[str, Any]]]
) -> Iterator[dict[str, Any]]:
    """Each article row (in article id order) with its ``galleys``: the two streams merged,
    neither held whole (``export --galleys``)."""
    pending = next(galleys, None)
    for row in rows:
        found = []
        while pending is not None and pending[0] <= row["article_id"]:
            if pending[0] == row["article_id"]:
                found.append(pending[1])
            pending = next(galleys, None)
        yield {**row, "galleys": found}
