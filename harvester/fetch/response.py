"""What the client hands back: a whole response, or one whose body went to a consumer."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

__all__ = ["Packed", "Response", "Streamed", "pack"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Response:
    """A complete response: final URL (after redirects), status, headers, decoded body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes


class Packed(NamedTuple):
    """A body as the store keeps it."""

    sha256: str  # of the body itself
    compressed: bytes  # zlib


def pack(body: bytes) -> Packed:
    """Hash and compress a body for keeping.  Both release the interpreter lock, so the thread
    that fetched a page packs it while another stores the page before."""
    # Level 1: a quarter of level 6's time on XML, for ~20% more bytes.
    return Packed(hashlib.sha256(body).hexdigest(), zlib.compress(body, 1))


@dataclass(frozen=True)
class Streamed(Generic[_T]):
    """A response whose body went to a consumer; ``value`` is what it returned (None: no body
    was handed over, as for a 304)."""

    url: str
    status: int
    headers: Mapping[str, str]
    value: _T | None
