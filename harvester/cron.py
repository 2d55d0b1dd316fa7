"""Cron lines as schedules: crontab's five fields and weekday numbering, as APScheduler triggers.

Shared by ``config`` (a schedule is checked when the config is read) and the daemon's
scheduler, which builds the triggers.
"""

from __future__ import annotations

from datetime import UTC

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger"]

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: 0 (and 7) is Sunday


def _weekday(token: str) -> int:
    name = token.strip().lower()[:3]
    if name in _WEEKDAYS:
        return _WEEKDAYS.index(name)
    if not token.isdigit() or int(token) > 7:
        raise ValueError(f"day of week {token!r} is not 0-7 or sun-sat")
    return int(token) % 7


def _cron_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names.

    APScheduler 3 counts weekdays from Monday = 0 where cron counts from Sunday = 0 (its
    ``CronTrigger.from_crontab`` docstring, issue 286), so the days a cron line names are
    expanded here and handed over by name: "1-5" is Monday to Friday, as in cron.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        first, _, last = ("0-6" if span == "*" else span).partition("-")
        start, end = _weekday(first), _weekday(last) if last else None
        if end is None:
            end = 6 if step else start
        elif end < start or last.strip() == "7":
            end += 7
        days.update(day % 7 for day in range(start, end + 1, int(step or 1)))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(line: str, jitter: int | None = None) -> CronTrigger:
    """A trigger for a crontab line (minute hour day month weekday, in UTC), with jitter.

    Built from the fields rather than by ``CronTrigger.from_crontab``, which takes no jitter
    and reads weekdays the APScheduler way."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"a cron line has 5 fields (minute hour day month weekday), not {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_cron_weekdays(weekday),
        timezone=UTC,
        jitter=jitter,
    )
