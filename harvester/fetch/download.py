"""Downloading one response body into an open file, hashing it on the way.

Galley files can be large (a scanned issue runs to hundreds of MB), so they never pass
through memory whole: ``download`` goes through ``HttpClient.stream`` — the same robots.txt,
pacing, retries, Retry-After and size cap as every other request — and writes each decoded
chunk to the sink as it arrives, feeding sha256 and keeping the first bytes for sniffing.
A network failure mid-body retries the whole request, starting the sink afresh.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import HarvesterError
from ..parse.filetype import HEAD_BYTES
from .client import HttpClient

__all__ = ["Download", "DownloadStopped", "download"]


class DownloadStopped(HarvesterError):
    """The download was abandoned half-way because a stop was requested (SIGTERM)."""


@dataclass(frozen=True)
class Download:
    """What a download brought: a 2xx body now in the sink, or a 304 (``sha256`` None)."""

    url: str  # the final URL, after redirects
    status: int
    headers: Mapping[str, str]
    size: int = 0
    sha256: str | None = None
    head: bytes = b""  # the body's first bytes (up to ``parse.filetype.HEAD_BYTES``)

    @property
    def not_modified(self) -> bool:
        """The server said the file is unchanged since the validators we sent."""
        return self.status == 304


@dataclass(frozen=True)
class _Body:
    size: int
    sha256: str
    head: bytes


def download(
    http: HttpClient,
    url: str,
    sink: BinaryIO,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stop: threading.Event | None = None,
) -> Download:
    """GET ``url`` politely and write its body to ``sink`` (truncated first); see the module.

    Raises what ``HttpClient.get`` raises, ``ResponseTooLargeError`` past ``max_bytes``,
    ``DownloadStopped`` when ``stop`` is set mid-body, and ``OSError`` when the sink cannot be
    written.
    """

    def consume(chunks: Iterator[bytes]) -> _Body:
        sink.seek(0)
        sink.truncate()
        digest = hashlib.sha256()
        size = 0
        head = bytearray()
        for chunk in chunks:
            if stop is not None and stop.is_set():
                raise DownloadStopped(f"{url}: download stopped half-way on request")
            sink.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
        sink.flush()
        return _Body(size, digest.hexdigest(), bytes(head))

    answer = http.stream(url, consume, limit=max_bytes, headers=headers, timeout=timeout)
    body = answer.value
    if body is None:
        return Download(answer.url, answer.status, answer.headers)
    return Download(answer.url, answer.status, answer.headers, body.size, body.sha256, body.head)
