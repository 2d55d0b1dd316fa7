"""What one mirror run of one source did: counts for the summary line, the metrics and tests."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MirrorResult"]


@dataclass
class MirrorResult:
    """What one mirror run of one source did."""

    source: str
    status: str = "ok"  # ok | interrupted
    galleys: int = 0  # listed by the current articles
    new: int = 0  # galleys whose first file was stored
    changed: int = 0  # galleys with a new version (the bytes changed)
    unchanged: int = 0
    not_due: int = 0  # not checked this run (see ``[mirror] recheck``)
    refused: int = 0
    failed: int = 0
    removed: int = 0  # galleys no longer listed by their article
    downloaded: int = 0  # bytes received
    requests: int = 0
    problems: list[str] = field(default_factory=list)  # one line per refused or failed galley

    def summary(self) -> str:
        """One line for people: what happened to how many galleys."""
        return (
            f"{self.source}: mirror {self.status}: {self.galleys} galleys: {self.new} new, "
            f"{self.changed} changed, {self.unchanged} unchanged, {self.not_due} not due, "
            f"{self.refused} refused, {self.failed} failed ({self.requests} requests, "
            f"{self.downloaded / 1048576:.1f} MB)"
        )
