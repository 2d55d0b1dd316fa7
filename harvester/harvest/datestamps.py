"""OAI-PMH datestamps: read leniently, written in the repository's granularity, and where an
incremental window starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..errors import BrokenResponseError

__all__ = ["format_datestamp", "incremental_from", "now_datestamp", "parse_datestamp"]


def parse_datestamp(text: str) -> datetime:
    """An OAI datestamp (day or seconds granularity) as an aware UTC datetime.

    Quirk: some servers add fractions of a second or write "+00:00" for "Z"; both are read.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BrokenResponseError(f"{text!r} is not an OAI datestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_datestamp(moment: datetime, granularity: str) -> str:
    """A datetime in the repository's granularity."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if granularity == "YYYY-MM-DD" else "%Y-%m-%dT%H:%M:%SZ")


def incremental_from(high_water: str, overlap: timedelta, granularity: str) -> str:
    """Where an incremental window starts: the last window's start minus an overlap."""
    return format_datestamp(parse_datestamp(high_water) - overlap, granularity)


def now_datestamp() -> str:
    return format_datestamp(datetime.now(UTC), "YYYY-MM-DDThh:mm:ssZ")
