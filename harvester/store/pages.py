"""The HTML crawl's memory of each page: validators, body hash, links, when it was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Connection, select

from ..model import to_json
from ..redact import mask
from .bulk import upsert
from .runs import as_utc
from .schema import web_pages

__all__ = ["WebPage", "load_pages", "save_page"]


@dataclass(frozen=True)
class WebPage:
    """One crawled page as last seen."""

    url: str
    kind: str  # archive | issue | article
    sha256: str
    links: tuple[str, ...]  # the URLs the crawl follows from it (issues, articles)
    checked_at: datetime
    changed_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    next_url: str | None = None  # an archive page's link to the next one


def load_pages(conn: Connection, source_id: int) -> dict[str, WebPage]:
    """Every page the crawl of a source has seen, by URL with any password masked (look a
    page up with ``redact.mask(url)``)."""
    rows = conn.execute(select(web_pages).where(web_pages.c.source_id == source_id))
    return {
        row.url: WebPage(
            row.url,
            row.kind,
            row.sha256,
            tuple(orjson.loads(row.links)),
            as_utc(row.checked_at),
            as_utc(row.changed_at),
            row.etag,
            row.last_modified,
            row.next_url,
        )
        for row in rows
    }


def save_page(conn: Connection, source_id: int, page: WebPage) -> None:
    """Record a page as checked (inside the transaction that stored what it held), under its
    URL with any password masked (``load_pages`` keys are masked URLs too)."""
    upsert(
        conn,
        web_pages,
        {
            "source_id": source_id,
            "url": mask(page.url),
            "kind": page.kind,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "sha256": page.sha256,
            "links": to_json(page.links),
            "next_url": page.next_url,
            "checked_at": page.checked_at,
            "changed_at": page.changed_at,
        },
    )
