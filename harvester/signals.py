"""Signals: SIGTERM/SIGINT stop (finish the page in hand, commit, then stop); SIGHUP reloads."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["on_hangup", "process_alive", "stop_requested"]

log = logging.getLogger(__name__)


@contextmanager
def stop_requested(
    on_stop: Callable[[], None] | None = None, *, stop: threading.Event | None = None
) -> Iterator[threading.Event]:
    """An event (``stop``, or a new one) set by the first SIGTERM or SIGINT (then ``on_stop``
    runs); a second signal raises ``KeyboardInterrupt`` for an operator who will not wait.
    Handlers are restored on exit."""
    stop = stop or threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("received %s: finishing the page in hand, then stopping", signal.Signals(signum).name)
        stop.set()
        if on_stop:
            on_stop()

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def on_hangup(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` on every SIGHUP (a reload request); the old handler is restored on
    exit.  ``callback`` runs inside a signal handler: it should only hand the work on."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        callback()

    previous = signal.signal(signal.SIGHUP, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


def process_alive(pid: int) -> bool:
    """Whether a process of this id exists on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True
