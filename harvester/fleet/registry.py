"""The ``sources`` table as the registry of journals: the TOML synced into it, imports kept in it.

The TOML ``[[sources]]`` stay the truth for the journals they name: each start writes every
entry whose text changed since the last sync (its hash is kept), and disables a config row
whose entry was removed (its articles stay).  ``harvester sources enable/disable`` flips
``enabled`` on any row; a config entry overrides that only when the entry itself changes.
Imported journals live in the table alone.  ``registry_settings`` hands the rest of the
harvester the effective list as ordinary ``SourceSettings``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..config import Settings, SourceSettings, derive_oai_url
from ..fetch.netguard import host_name
from ..redact import mask
from ..store import Store
from ..store.schema import journals, sources

__all__ = [
    "Journal",
    "SyncReport",
    "is_fleet",
    "is_postgres",
    "journal_key",
    "load_registry",
    "registry_settings",
    "set_enabled",
    "sync_config",
]

# Any fixed number: the advisory lock that serialises syncs of the config on PostgreSQL.
_SYNC_LOCK = 0x0A1_0008


@dataclass(frozen=True)
class Journal:
    """One journal as the registry holds it (an import's row, or a TOML entry)."""

    name: str
    url: str
    oai_url: str | None = None
    sets: tuple[str, ...] = ()
    strategy: str = "auto"
    schedule: str = "6h"
    enabled: bool = True
    mirror_galleys: bool = False
    details: dict[str, str] = field(default_factory=dict)

    def settings(self) -> SourceSettings:
        """As a source the pipeline harvests (validated: raises pydantic's ValidationError)."""
        return SourceSettings(
            name=self.name, url=self.url, oai_url=self.oai_url, sets=self.sets,
            strategy=self.strategy, schedule=self.schedule,
            enabled=self.enabled, mirror_galleys=self.mirror_galleys,
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        """The OAI-PMH base URL (as ``SourceSettings.endpoint``, without validating again)."""
        return self.oai_url or derive_oai_url(self.url)

    @property
    def key(self) -> str:
        return journal_key(self.endpoint, self.sets)


def is_postgres(settings: Settings) -> bool:
    """Whether the store is PostgreSQL, where a fleet's job queue can live."""
    try:
        return make_url(settings.database.url).get_backend_name() == "postgresql"
    except ArgumentError:  # an unparsable URL: the store reports it
        return False


def is_fleet(settings: Settings) -> bool:
    """Whether commands work as a fleet: a PostgreSQL store, ``[fleet] enabled``."""
    return settings.fleet.enabled and is_postgres(settings)


def journal_key(endpoint: str, sets: Iterable[str]) -> str:
    """What makes a journal the same whatever it is called: its endpoint and its sets."""
    parts = urlsplit(endpoint.rstrip("/"))
    where = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()
    return f"{where}#{','.join(sorted(sets))}"


@dataclass(frozen=True)
class SyncReport:
    """What a sync of the config changed."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()


def _config_hash(source: SourceSettings) -> str:
    return hashlib.sha256(source.model_dump_json().encode()).hexdigest()


def row_values(source: SourceSettings, now: datetime) -> dict[str, Any]:
    """The registry columns of a source (URLs masked: secrets stay in the TOML)."""
    return {
        "url": mask(source.url),
        "endpoint": mask(source.endpoint),
        "oai_url": mask(source.oai_url) if source.oai_url else None,
        "sets": json.dumps(list(source.sets)),
        "strategy": source.strategy,
        "schedule": source.schedule,
        "metadata_prefix": source.metadata_prefix,
        "enabled": source.enabled,
        "mirror_galleys": source.mirror_galleys,
        "host": host_name(source.endpoint),
        "journal_key": journal_key(mask(source.endpoint), source.sets),
        "updated_at": now,
    }


def insert_row(conn: Connection, name: str, values: dict[str, Any], now: datetime) -> None:
    """A new source row and its journal row (``store.runs.ensure_source`` expects both; the
    journal row, as there, without a version until facts are stated)."""
    source_id = conn.execute(
        insert(sources).returning(sources.c.id), {"name": name, "created_at": now, **values}
    ).scalar_one()
    conn.execute(insert(journals), {"source_id": source_id, "url": values["url"]})


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SYNC_LOCK})")


def sync_config(conn: Connection, settings: Settings, now: datetime) -> SyncReport:
    """Write the TOML's sources into the table; disable config rows no longer in it."""
    _lock(conn)
    existing = {
        row.name: row
        for row in conn.execute(select(sources.c.id, sources.c.name, sources.c.origin, sources.c.config_hash))
    }
    added, updated = [], []
    for source in settings.sources:
        digest = _config_hash(source)
        values = {**row_values(source, now), "origin": "config", "config_hash": digest}
        row = existing.get(source.name)
        if row is None:
            insert_row(conn, source.name, values, now)
            added.append(source.name)
        elif (row.origin, row.config_hash) != ("config", digest):
            conn.execute(update(sources).where(sources.c.id == row.id).values(**values))
            updated.append(source.name)
    configured = {source.name for source in settings.sources}
    gone = [row for row in existing.values() if row.origin == "config" and row.name not in configured]
    for row in gone:
        conn.execute(
            update(sources)
            .where(sources.c.id == row.id)
            .values(enabled=False, config_hash=None, updated_at=now)
        )
    return SyncReport(tuple(added), tuple(updated), tuple(row.name for row in gone))


def _from_row(row: Row[Any]) -> SourceSettings | None:
    journal = Journal(
        row.name, row.url, row.oai_url, tuple(json.loads(row.sets)), row.strategy, row.schedule,
        row.enabled, row.mirror_galleys,
    )  # fmt: skip
    try:
        return journal.settings()
    except ValueError:  # written by hand into the table: not harvestable as it is
        return None


def effective_sources(settings: Settings, rows: Iterable[Row[Any]]) -> tuple[SourceSettings, ...]:
    """The TOML's sources (``enabled`` as the table has it), then the table's others by name."""
    by_name = {row.name: row for row in rows}
    chosen = [
        source.model_copy(update={"enabled": bool(by_name[source.name].enabled)})
        if source.name in by_name
        else source
        for source in settings.sources
    ]
    configured = {source.name for source in settings.sources}
    for name in sorted(by_name):
        row = by_name[name]
        if name not in configured and row.origin in ("config", "import"):
            source = _from_row(row)
            if source is not None:
                chosen.append(source)
    return tuple(chosen)


def load_registry(settings: Settings, now: datetime | None = None) -> tuple[Settings, dict[str, Row[Any]]]:
    """The settings with every journal of the registry, after syncing the TOML into it, and
    the registry's rows by name."""
    store = Store(settings.database.url)
    try:
        with store.write() as conn:
            sync_config(conn, settings, now or datetime.now(UTC))
            rows = conn.execute(select(sources)).all()
    finally:
        store.close()
    return settings.model_copy(update={"sources": effective_sources(settings, rows)}), {
        row.name: row for row in rows
    }


def registry_settings(settings: Settings) -> Settings:
    """The settings with every journal of the registry (the TOML synced into it first)."""
    return load_registry(settings)[0]


def set_enabled(conn: Connection, name: str, enabled: bool, now: datetime) -> bool:
    """Enable or disable the source ``name``; False when there is none of that name."""
    result = conn.execute(
        update(sources)
        .where(sources.c.name == name, sources.c.origin.in_(("config", "import")))
        .values(enabled=enabled, updated_at=now)
    )
    return bool(result.rowcount)
