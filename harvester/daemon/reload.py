"""What a configuration reload (SIGHUP) changes: sources added, removed, changed, and settings.

Pure comparison of two ``Settings``; the daemon applies the answer to its schedule.  Most
settings are read afresh by every run, so they apply from the next run on; a few are held by
long-lived objects (the database engine, the worker pool, the shared per-host pacing, the
health listener) and take effect only after a restart, which the daemon says in its log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings, SourceSettings

__all__ = ["RESTART_KEYS", "SettingsChange", "diff_settings"]

#: Settings that a running daemon cannot take over: they need a restart.
RESTART_KEYS = frozenset(
    {
        "database.url",
        "scheduler.workers",
        "http.requests_per_second",
        "http.max_crawl_delay",
        "service.listen",
    }
)
#: Settings that change every source's job (its trigger or misfire grace time).
_SCHEDULE_KEYS = frozenset({"scheduler.jitter", "scheduler.misfire_grace_time"})
_SECTIONS = ("database", "http", "harvest", "scheduler", "service", "mirror")


@dataclass(frozen=True)
class SettingsChange:
    """Sources to schedule or unschedule, and which settings changed."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    settings: tuple[str, ...] = ()

    @property
    def restart_needed(self) -> tuple[str, ...]:
        """Changed settings that take effect only after a restart."""
        return tuple(key for key in self.settings if key in RESTART_KEYS)

    def summary(self) -> str:
        """One line for the log: ``added a; removed b; changed c (schedule); …``."""
        parts = []
        if self.added:
            parts.append(f"added {', '.join(self.added)}")
        if self.removed:
            parts.append(f"removed {', '.join(self.removed)}")
        if self.changed:
            parts.append(
                "changed " + ", ".join(f"{name} ({', '.join(keys)})" for name, keys in self.changed.items())
            )
        live = [key for key in self.settings if key not in RESTART_KEYS]
        if live:
            parts.append(f"settings {', '.join(live)} apply from the next run")
        if self.restart_needed:
            parts.append(f"settings {', '.join(self.restart_needed)} need a restart")
        return "; ".join(parts) or "no changes"


def _enabled(settings: Settings) -> dict[str, SourceSettings]:
    return {source.name: source for source in settings.sources if source.enabled}


def _changed_keys(old: dict[str, object], new: dict[str, object], prefix: str = "") -> list[str]:
    return [f"{prefix}{key}" for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def diff_settings(old: Settings, new: Settings) -> SettingsChange:
    """What moving from ``old`` to ``new`` changes.  A source that was disabled counts as
    removed, one that was enabled as added."""
    before, after = _enabled(old), _enabled(new)
    settings: list[str] = []
    for section in _SECTIONS:
        settings += _changed_keys(
            getattr(old, section).model_dump(), getattr(new, section).model_dump(), f"{section}."
        )
    schedule = sorted(key for key in settings if key in _SCHEDULE_KEYS)
    changed: dict[str, tuple[str, ...]] = {}
    for name in sorted(before.keys() & after.keys()):
        keys = _changed_keys(before[name].model_dump(), after[name].model_dump()) + schedule
        if keys:
            changed[name] = tuple(keys)
    return SettingsChange(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=changed,
        settings=tuple(settings),
    )
