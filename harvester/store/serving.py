"""Reading ``current_articles`` for the OAI-PMH data provider (``harvester serve``).

The provider pages through articles in the order they last changed as served (``updated_at``:
a new version, or a change of what they show of their work, issue or journal (``served``);
then ``article_id``) with keyset cursors, so a page costs the same at the
start and at the end of a large repository, and a harvest running beside a download moves a
changed article to the end of the list instead of shifting every page after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    Select,
    String,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)

from .queries import decode_article
from .runs import as_utc
from .schema import articles, sources

__all__ = [
    "ArticleFilter",
    "article_by_id",
    "changed_articles",
    "count_changed",
    "earliest_change",
    "source_sections",
]

# The columns of the view that the provider orders by and lists sets from, typed so that
# timestamps compare as timestamps on both databases (pages are filtered on ``articles``).
_view = table(
    "current_articles",
    column("article_id", Integer),
    column("source", String),
    column("section", String),
    column("updated_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles a list covers: a source, some of its sections, a window of change times."""

    source: str | None = None
    sections: tuple[str, ...] | None = None  # section titles of ``source``; None: every article
    since: datetime | None = None  # changed at or after (UTC)
    before: datetime | None = None  # changed before (UTC)


def _where(query: Select[Any], where: ArticleFilter) -> Select[Any]:
    """The filter on ``articles`` itself, where its indexes serve it: a set's source as its id,
    so a page of one source comes off (source_id, updated_at, id) (filtered through the view
    by name, PostgreSQL walked the whole store's change order to a late source's first page)."""
    if where.source is not None:
        source_id = select(sources.c.id).where(sources.c.name == where.source).scalar_subquery()
        query = query.where(articles.c.source_id == source_id)
    if where.sections is not None:
        query = query.where(articles.c.section.in_(where.sections))
    if where.since is not None:
        query = query.where(articles.c.updated_at >= where.since)
    if where.before is not None:
        query = query.where(articles.c.updated_at < where.before)
    return query


# Every column of the view, and ``updated_at`` typed (``_decoded`` reads it back as ``changed_at``).
_ROWS = select(literal_column("current_articles.*"), _view.c.updated_at.label("changed_at"))


def _decoded(row: Any) -> dict[str, Any]:
    record = dict(row._mapping)
    record["updated_at"] = as_utc(record.pop("changed_at"))
    return decode_article(record)


def changed_articles(
    conn: Connection, where: ArticleFilter, after: tuple[datetime, int] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` decoded rows after the cursor ``(updated_at, article_id)``, in that order:
    the page's ids from ``articles``, then their rows of the view."""
    page = _where(select(articles.c.id), where)
    if after is not None:
        stamp, article_id = after
        # The first term alone lets the database seek to the cursor in the (updated_at, id)
        # index, or (source_id, updated_at, id) for a set: with the OR alone, each page walked
        # the list from its start (0016).
        page = page.where(
            articles.c.updated_at >= stamp,
            or_(articles.c.updated_at > stamp, articles.c.id > article_id),
        )
    page = page.order_by(articles.c.updated_at, articles.c.id).limit(limit)
    query = _ROWS.where(_view.c.article_id.in_(page.scalar_subquery()))
    return [_decoded(row) for row in conn.execute(query.order_by(_view.c.updated_at, _view.c.article_id))]


def count_changed(conn: Connection, where: ArticleFilter) -> int:
    """How many articles the filter covers (OAI-PMH ``completeListSize``)."""
    return int(conn.execute(_where(select(func.count()).select_from(articles), where)).scalar_one())


def article_by_id(conn: Connection, article_id: int) -> dict[str, Any] | None:
    """One decoded row of ``current_articles``, or None."""
    row = conn.execute(_ROWS.where(_view.c.article_id == article_id)).first()
    return _decoded(row) if row else None


def earliest_change(conn: Connection) -> datetime | None:
    """When the oldest current version was written (OAI-PMH ``earliestDatestamp``)."""
    value = conn.execute(select(func.min(articles.c.updated_at))).scalar_one()  # off its index
    return as_utc(value) if value is not None else None


def source_sections(conn: Connection) -> list[tuple[str, str | None]]:
    """Every (source, section title) pair of the current articles, sorted; None: no section."""
    query = select(_view.c.source, _view.c.section).distinct()
    return sorted(
        ((row.source, row.section) for row in conn.execute(query)), key=lambda p: (p[0], p[1] or "")
    )
