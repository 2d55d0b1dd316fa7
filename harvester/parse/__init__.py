"""Parsers: pure functions from harvested payloads to ``model`` objects, with no I/O."""

from __future__ import annotations

__all__: list[str] = []
