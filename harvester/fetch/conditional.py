"""Conditional GET: the validators a response carried, and the headers that send them back.

The crawl (pages) and the mirror (galley files) both store a response's ``ETag`` and
``Last-Modified`` and ask with them next time; a 304 then costs no body.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Validators", "request_headers", "validators"]

#: ``(ETag, Last-Modified)`` as the server sent them; either may be None.
Validators = tuple[str | None, str | None]


def validators(headers: Mapping[str, str]) -> Validators:
    """The validators of a response, from its headers."""
    return headers.get("ETag"), headers.get("Last-Modified")


def request_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` for what is known (nothing known: no header)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
