"""Issue and journal versions in their history tables (``issue_history``, ``journal_history``:
the entity's id, ``version``, ``content_hash``, ``record``, ``run_id``, ``fetched_at``): which
run wrote one, and a run completing its own in place.  (Articles have more to their versions:
``articles``.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, select, update

from .feed import RunContext

__all__ = ["amend", "run_wrote"]


def run_wrote(
    conn: Connection, ctx: RunContext, entity: Column[Any], entity_id: int, version: int | None
) -> bool:
    """Whether this run wrote version ``version`` of the entity ``entity_id`` (``entity``: its
    history table's id column)."""
    if ctx.run_id is None or version is None:
        return False
    history = entity.table
    run_id = conn.execute(
        select(history.c.run_id).where(entity == entity_id, history.c.version == version)
    ).scalar_one_or_none()
    return bool(run_id == ctx.run_id)


def amend(
    conn: Connection,
    ctx: RunContext,
    entity: Column[Any],
    entity_id: int,
    version: int,
    body: str,
    digest: str,
) -> None:
    """Give version ``version`` of the entity ``entity_id`` this run's record."""
    history = entity.table
    conn.execute(
        update(history)
        .where(entity == entity_id, history.c.version == version)
        .values(content_hash=digest, record=body, fetched_at=ctx.fetched_at)
    )
