"""``harvester status``: how every configured source is doing, read from the store.

A source is failing when its last N finished runs all failed; any failing enabled source
makes the command exit 1, so it serves as a monitoring probe (it needs no running daemon).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..config import Settings, SourceSettings
from ..store import Store
from ..store.monitor import RunSummary, last_errors, recent_runs
from ..store.work_status import work_notes
from .scheduler import next_due

__all__ = ["SourceStatus", "ago", "describe", "source_statuses"]


@dataclass(frozen=True)
class SourceStatus:
    """One source as ``status`` reports it."""

    source: SourceSettings
    runs: tuple[RunSummary, ...]  # newest first, at most N
    last_error: tuple[datetime, str] | None
    failing: bool
    due: datetime | None  # None: disabled, or running now
    notes: tuple[str, ...] = ()  # works and identifier problems (``store.work_status``)


def ago(delta: timedelta) -> str:
    """``"just now"``, ``"5 min ago"``, ``"3 h ago"``, ``"2 d ago"``."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds // 60} min ago"


def _failing(runs: list[RunSummary], failures: int) -> bool:
    finished = [run for run in runs if run.status != "running"][:failures]
    return len(finished) == failures and all(run.status == "failed" for run in finished)


def source_statuses(settings: Settings, store: Store, failures: int, now: datetime) -> list[SourceStatus]:
    """Every configured source's status; ``failures`` is N (at least 1)."""
    with store.read() as conn:
        history = recent_runs(conn, failures + 1, now)  # one more: a run in progress does not count
        errors = last_errors(conn)
        notes = work_notes(conn)
    statuses = []
    for source in settings.sources:
        runs = history.get(source.name, [])
        due = None
        if source.enabled and not (runs and runs[0].status == "running"):
            due = next_due(source, settings, runs[0].started_at if runs else None, now)
        statuses.append(
            SourceStatus(
                source,
                tuple(runs),
                errors.get(source.name),
                source.enabled and _failing(runs, failures),
                due,
                tuple(notes.get(source.name, ())),
            )
        )
    return statuses


def _when(moment: datetime, now: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC ({ago(now - moment)})"


def _due(status: SourceStatus, now: datetime) -> str:
    if status.due is None:
        return "harvesting now"
    if status.due <= now:
        return "due now" if status.runs else "due now (never harvested)"
    return f"next due {status.due:%Y-%m-%d %H:%M} UTC"


def describe(status: SourceStatus, failures: int, now: datetime) -> list[str]:
    """The lines ``status`` prints for one source."""
    name = status.source.name
    if not status.source.enabled:
        head = f"{name}: disabled"
    elif status.failing:
        head = f"{name}: FAILING (failed its last {failures} run(s))"
    else:
        head = f"{name}: healthy"
    if status.runs:
        run = status.runs[0]
        result = "dead (its process is gone; the next run resumes)" if run.status == "dead" else run.status
        head += (
            f"; last {run.kind} {_when(run.started_at, now)}: {result}, "
            f"{run.new} new, {run.changed} changed, {run.deleted} deleted"
        )
    elif status.source.enabled:
        head += "; never harvested"
    lines = [head + (f"; {_due(status, now)}" if status.source.enabled else "")]
    if status.last_error:
        at, error = status.last_error
        lines.append(f"  last error {_when(at, now)}: {error}")
    lines += [f"  {note}" for note in status.notes]
    return lines
