"""What the client hands back: a whole response, or one whose body went to a consumer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Response", "Streamed"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Response:
    """A complete response: final URL (after redirects), status, headers, decoded body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Streamed(Generic[_T]):
    """A response whose body went to a consumer; ``value`` is what it returned (None: no body
    was handed over, as for a 304)."""

    url: str
    status: int
    headers: Mapping[str, str]
    value: _T | None
