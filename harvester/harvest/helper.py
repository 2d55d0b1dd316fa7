"""A helper process: a second interpreter running pure functions, so two cores work at once.

``HelperProcess.run(function, *args)`` pickles the call to a child started with
``python -m harvester.harvest.helper`` and returns what it returned (or raises what it raised).
The child reads calls from its stdin and answers on its stdout, one length-prefixed pickle
each way, until its stdin closes: it ends with the harvester, whatever way that ends.

Not ``multiprocessing``: its children import the parent's main script again, which re-runs
any script that harvests without an ``if __name__ == "__main__"`` guard.  A helper that cannot
start, or dies (killed, out of memory), is never fatal: the call runs here instead, and the
next call starts a new helper.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

from ..errors import HarvesterError

__all__ = ["HelperProcess"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_SIZE = struct.Struct("!Q")


def _send(stream: IO[bytes], message: object) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_SIZE.pack(len(body)) + body)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message; EOFError when the other side is gone."""
    head = stream.read(_SIZE.size)
    if len(head) < _SIZE.size:
        raise EOFError
    (size,) = _SIZE.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)  # noqa: S301 - our own child, over its own pipe


class HelperProcess:
    """One helper child, started on first use; thread-safe.

    One call at a time: a thread that finds the helper busy runs its call itself rather than
    wait (another harvest in the same daemon is using it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None

    def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)``, in the helper when it is free (both must pickle)."""
        if not self._lock.acquire(blocking=False):
            return function(*args)
        try:
            outcome = self._call(function, args)
        finally:
            self._lock.release()
        if outcome is None:
            return function(*args)
        ok, value = outcome
        if not ok:
            raise value
        result: _T = value
        return result

    def _call(self, function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any] | None:
        """(ok, result or exception) from the helper; None when it could not answer."""
        try:
            requests, answers = self._pipes()
            _send(requests, (function, args))
            outcome: tuple[bool, Any] = _receive(answers)
            return outcome
        except (OSError, EOFError, pickle.PicklingError) as exc:
            log.warning("the helper process failed (%s); doing its work here", exc or type(exc).__name__)
            self._stop()
            return None

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """The running helper's stdin and stdout (started when there is none)."""
        if self._child is not None and self._child.poll() is not None:
            self._stop()  # it died since the last call
        if self._child is None:
            self._child = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        if self._child.stdin is None or self._child.stdout is None:
            raise OSError("the helper process has no pipes")
        return self._child.stdin, self._child.stdout

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a dead helper's pipe breaks on flushing
                    pipe.close()  # a helper whose stdin closes ends by itself
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def close(self) -> None:
        """Stop the helper (the next ``run`` starts another)."""
        with self._lock:
            self._stop()


def _answer(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, function(*args)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller, who raises it
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an exception that cannot travel travels as text
            return False, HarvesterError(f"{type(exc).__name__}: {exc}")
        return False, exc


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: answer each call until the parent closes the pipe."""
    while True:
        try:
            function, args = _receive(requests)
        except EOFError:
            return
        _send(answers, _answer(function, args))


if __name__ == "__main__":
    # Ctrl-C and SIGHUP are for the harvester, which stops or reloads; the helper ends with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # Answers get the real stdout; anything else printed goes to stderr, not into the pipe.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)
