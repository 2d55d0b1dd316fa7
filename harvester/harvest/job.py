"""What one run of one source is asked to do and what it did, shared by its OAI and HTML parts."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import HarvesterError
from ..store.articles import PageCounts

__all__ = ["HarvestRequest", "HarvestResult", "Interrupted"]


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
