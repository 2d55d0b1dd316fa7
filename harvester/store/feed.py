"""The change feed: one row per new version, in an order pollers can trust."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from .bulk import insert_many
from .schema import change_log

__all__ = ["RunContext", "change_row", "write_changes"]

# Any fixed number: the key of the advisory lock that orders change-feed commits on PostgreSQL.
_CHANGE_FEED_LOCK = 0x0A1_0002


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
