"""A failed exchange said in a few words: for the one error line a person reads, and the log."""

from __future__ import annotations

import http.client
from http import HTTPStatus

import requests
import urllib3

__all__ = ["after", "describe", "never_sent", "status_words"]


def describe(exc: BaseException) -> str:
    """A few lower-case words for a network failure: 'connection refused', 'read timed out'…"""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.append(current)
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        todo.extend(_causes(current))
    if any(isinstance(e, http.client.IncompleteRead) for e in seen):
        return "response truncated (connection closed before the end of the body)"
    if any(isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError) for e in seen):
        return "connect timed out"
    if any(isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError | requests.Timeout) for e in seen):
        return "read timed out"
    return " ".join(str(exc).split()) or type(exc).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    """The exceptions wrapped by ``exc`` (requests and urllib3 nest them in several ways)."""
    found = [exc.__cause__, exc.__context__, getattr(exc, "reason", None), *exc.args]
    return [item for item in found if isinstance(item, BaseException)]


def never_sent(exc: BaseException) -> bool:
    """Whether the failure happened before a connection existed (nothing reached the server)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def status_words(code: int) -> str:
    """``HTTP 503 Service Unavailable``."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def after(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""
