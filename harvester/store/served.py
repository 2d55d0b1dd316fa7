"""Articles served anew when something they show from another table changes.

``current_articles`` shows each article with its work id, its issue's identification and its
journal's name and ISSN, and ``harvester serve`` dates each record by the article's
``updated_at`` (the OAI-PMH datestamp and list order).  A new version sets it; so does a change
of any of those, or a client harvesting ``from`` its last harvest would keep the old value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, update

from .schema import articles

__all__ = ["served_anew"]


def served_anew(conn: Connection, which: ColumnElement[bool], at: datetime) -> None:
    """Set ``updated_at`` to ``at`` for the articles ``which`` selects (those written at ``at``
    already are left as they are)."""
    conn.execute(update(articles).where(which, articles.c.updated_at < at).values(updated_at=at))
