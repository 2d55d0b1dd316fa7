"""The change feed: one row per new version, in an order pollers can trust."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete

from .bulk import insert_many
from .schema import change_log

__all__ = ["RunContext", "change_row", "retract_change", "write_changes"]

# Any fixed number: the key of the advisory lock that orders change-feed commits on PostgreSQL.
_CHANGE_FEED_LOCK = CHANGE_FEED_LOCK = 0x0A1_0002  # public: clustering into works takes it too


@dataclass(frozen=True)
class RunContext:
    """Who is writing: the source, its journal row and the harvest run."""

    source_id: int
    journal_id: int
    run_id: int | None
    fetched_at: datetime


def change_row(ctx: RunContext, entity: str, entity_id: int, version: int, op: str) -> dict[str, Any]:
    """The feed entry for a new version of an article or issue."""
    return {
        "entity": entity,
        "entity_id": entity_id,
        "version": version,
        "op": op,
        "source_id": ctx.source_id,
        "run_id": ctx.run_id,
        "at": ctx.fetched_at,
    }


def write_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append feed entries; call last in a transaction, just before its commit."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # Sequence values are handed out at insert time but become visible at commit; a
        # reader polling "seq > N" would skip a lower seq committed late.  Holding this lock
        # from the first feed insert to commit makes commits follow seq order.
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CHANGE_FEED_LOCK})")
    insert_many(conn, change_log, rows)


def retract_change(conn: Connection, entity: str, entity_id: int, version: int) -> str:
    """Remove the feed entry of a version that the same run is amending; its op.

    The amended version gets a new entry (``change_row``, written last like every entry), so
    the version keeps one entry and that entry moves to a higher ``seq``: a poller that read
    the old one sees the version again and reads it anew, one that had not sees it once.
    """
    removed = conn.execute(
        delete(change_log)
        .where(
            change_log.c.entity == entity,
            change_log.c.entity_id == entity_id,
            change_log.c.version == version,
        )
        .returning(change_log.c.op)
    ).first()
    return str(removed.op) if removed else ("create" if version == 1 else "update")
