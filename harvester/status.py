"""Saying how the harvester is doing, in words."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["ago"]


def ago(delta: timedelta) -> str:
    """``"just now"``, ``"5 min ago"``, ``"3 h ago"``, ``"2 d ago"``."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds // 60} min ago"
