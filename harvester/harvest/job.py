"""One run of one source: what it is asked to do, what its OAI and HTML parts share while it
runs (``Run``), and what it did."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..config import Settings, SourceSettings
from ..errors import HarvesterError
from ..fetch.client import HttpClient
from ..store import Store
from ..store.articles import PageCounts
from ..store.runs import SourceIds

__all__ = ["HarvestRequest", "HarvestResult", "Interrupted", "Run"]


class Interrupted(HarvesterError):
    """The harvest stopped on request after committing the page in hand."""


@dataclass(frozen=True)
class HarvestRequest:
    """What to harvest: incremental by default; a backfill names its own range (or none: all)."""

    kind: str = "harvest"  # harvest | backfill
    from_: str | None = None
    until: str | None = None


@dataclass
class HarvestResult:
    """What a run did."""

    source: str
    run_id: int
    status: str = "running"
    counts: PageCounts = field(default_factory=PageCounts)
    pages: int = 0
    requests: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)  # HTTP responses by status class
    warnings: int = 0
    error: str | None = None


@dataclass
class Run:
    """The context of one run, handed to each of its parts: the source and settings, the store
    and the source's ids in it, the polite client, the result being counted, the stop event."""

    source: SourceSettings
    settings: Settings
    store: Store
    ids: SourceIds
    http: HttpClient
    result: HarvestResult
    stop: threading.Event
    request: HarvestRequest

    @property
    def everything(self) -> bool:
        """A backfill: check every page, however recently checked."""
        return self.request.kind == "backfill"
