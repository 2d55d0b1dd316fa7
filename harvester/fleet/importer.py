"""``harvester sources import FILE``: a list of journals into the registry, line by line.

read (``lists``) → resolve (a URL through discovery; an endpoint checked once with OAI-PMH
Identify, however many journals share it, several hosts at a time) → deduplicate (within the
file, and against the table by the journal's endpoint and sets) → write.  Idempotent: a
journal already imported with the same fields is ``unchanged``; one whose fields changed is
``updated`` (its ``enabled`` is left as the user set it).  Every rejected line is reported
with its reason and never stops the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..config import Settings
from ..errors import HarvesterError
from ..fetch.client import HttpClient
from ..fetch.politeness import Politeness
from ..harvest.discover import discover, not_ojs_reason
from ..harvest.oai import OaiClient
from ..parse.identify import OJS_TOOLKIT
from ..store import Store
from ..store.schema import sources
from .lists import Entry, read_entries, source_name
from .registry import Journal, insert_row, row_values

__all__ = ["ImportReport", "import_list"]

_CHECK_THREADS = 8
_BATCH = 500


@dataclass
class ImportReport:
    """What an import did; ``rejected`` holds (line, reason) in file order."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected"
        )


def _client(settings: Settings) -> HttpClient:
    # An import checks thousands of endpoints: one retry each, not the harvest's patience.
    http = settings.http.model_copy(update={"max_retries": min(settings.http.max_retries, 1)})
    return HttpClient(http, Politeness(http))


def _check_endpoint(endpoint: str, http: HttpClient) -> str | None:
    """None when OJS's OAI-PMH answers at ``endpoint``; otherwise why it is not usable."""
    try:
        info = OaiClient(endpoint, http).identify()
    except HarvesterError as exc:
        return f"OAI-PMH endpoint does not answer: {exc}"
    if info.software != OJS_TOOLKIT:
        return f"not an OJS endpoint (Identify names {info.software or 'no software'})"
    return None


def _discovered(line: int, url: str, http: HttpClient) -> list[Entry]:
    """A URL of the list as the journals discovery finds behind it."""
    try:
        found = discover(url, http)
    except HarvesterError as exc:
        return [Entry(line, error=f"{url}: unreachable: {exc}")]
    reason = not_ojs_reason(found)
    if reason:
        return [Entry(line, error=f"{url}: {reason}")]
    return [
        Entry(
            line,
            journal=Journal(
                name=source_name(journal.base_url),
                url=journal.base_url,
                oai_url=journal.oai_url if journal.oai_ok else None,
                strategy="oai+html" if journal.oai_ok else "html",
                details={"ojs_version": found.version} if found.version else {},
            ),
        )
        for journal in found.journals
    ]


def _resolve(entries: list[Entry], settings: Settings, check: bool) -> list[Entry]:
    """URLs discovered, endpoints checked (each once, in parallel); file order kept."""
    with _client(settings) as http, ThreadPoolExecutor(_CHECK_THREADS) as pool:
        endpoints = sorted({e.journal.endpoint for e in entries if e.journal and check})
        verdicts = dict(
            zip(endpoints, pool.map(lambda url: _check_endpoint(url, http), endpoints), strict=True)
        )
        found = pool.map(lambda e: _discovered(e.line, e.url, http) if e.url else [e], entries)
        resolved = [item for group in found for item in group]
    return [
        Entry(e.line, error=f"{e.journal.endpoint}: {verdicts[e.journal.endpoint]}")
        if e.journal and verdicts.get(e.journal.endpoint)
        else e
        for e in resolved
    ]


def _dedupe(entries: Iterable[Entry]) -> list[Entry]:
    """The second line naming a journal (or a name) already named is rejected."""
    keys: dict[str, int] = {}
    names: dict[str, int] = {}
    kept = []
    for entry in entries:
        journal, line = entry.journal, entry.line
        if journal is not None and journal.key in keys:
            kept.append(Entry(line, error=f"duplicate of line {keys[journal.key]} (the same journal)"))
        elif journal is not None and journal.name in names:
            kept.append(
                Entry(line, error=f"name {journal.name!r} already used by line {names[journal.name]}")
            )
        else:
            if journal is not None:
                keys[journal.key] = names[journal.name] = line
            kept.append(entry)
    return kept


def _values(journal: Journal, now: datetime) -> dict[str, Any]:
    values = row_values(journal.settings(), now)
    return {**values, "details": json.dumps(journal.details, sort_keys=True), "origin": "import"}


_COMPARED = ("url", "endpoint", "oai_url", "sets", "strategy", "schedule", "mirror_galleys", "details")


def _write(conn: Connection, journal: Journal, existing: Mapping[str, Any], now: datetime) -> str:
    """Added, updated or unchanged (or a rejection reason starting with ``rejected:``)."""
    row = existing["keys"].get(journal.key)
    if row is not None and row.origin == "config":
        return f"rejected: already in the config as {row.name!r}"
    if row is None:
        taken = existing["names"].get(journal.name)
        if taken is not None:
            return f"rejected: name {journal.name!r} is taken by another journal ({taken.url})"
        insert_row(conn, journal.name, _values(journal, now), now)
        return "added"
    values = _values(replace(journal, enabled=row.enabled or row.origin != "import"), now)
    if row.origin == "import" and all(getattr(row, key) == values[key] for key in _COMPARED):
        return "unchanged"
    conn.execute(update(sources).where(sources.c.id == row.id).values(**values))
    return "updated"


def _existing(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(sources)).all()
    return {"keys": {row.journal_key: row for row in rows}, "names": {row.name: row for row in rows}}


def import_list(
    text: str, fmt: str, settings: Settings, store: Store, *, check: bool = True, defaults: Mapping[str, Any]
) -> ImportReport:
    """Import the journals of ``text`` (format ``fmt``) into the registry."""
    entries = _dedupe(_resolve(list(read_entries(text, fmt, defaults)), settings, check))
    report = ImportReport()
    now = datetime.now(UTC)
    with store.read() as conn:
        existing = _existing(conn)  # lines naming the same journal or name were rejected above
    for start in range(0, len(entries), _BATCH):
        with store.write() as conn:
            for entry in entries[start : start + _BATCH]:
                outcome = (
                    _write(conn, entry.journal, existing, now)
                    if entry.journal
                    else f"rejected: {entry.error}"
                )
                if outcome.startswith("rejected: "):
                    report.rejected.append((entry.line, outcome.removeprefix("rejected: ")))
                else:
                    setattr(report, outcome, getattr(report, outcome) + 1)
    report.rejected.sort()
    return report
