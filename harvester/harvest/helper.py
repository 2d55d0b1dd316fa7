"""A helper process: a second interpreter running pure functions, so two cores work at once.

``HelperProcess.run(function, *args)`` pickles the call to a child started with
``python -m harvester.harvest.helper`` and returns what it returned (or raises what it raised);
``submit`` hands a call over and returns at once, its answer arriving in a future (read by a
thread of this process), so the next call can be handed over before the last is collected.
The child reads calls from its stdin and answers on its stdout, one length-prefixed pickle
each way, until its stdin closes: it ends with the harvester, whatever way that ends.

Not ``multiprocessing``: its children import the parent's main script again, which re-runs
any script that harvests without an ``if __name__ == "__main__"`` guard.  A helper that cannot
start, or dies (killed, out of memory), is never fatal: the call runs here instead, and the
next call starts a new helper.
"""

from __future__ import annotations

import collections
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
from concurrent.futures import Future
from typing import IO, Any, TypeVar

from ..errors import HarvesterError

__all__ = ["HelperProcess", "outcome"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_SIZE = struct.Struct("!Q")


def _dumps(message: object) -> bytes:
    """``message`` as one length-prefixed pickle."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _SIZE.pack(len(body)) + body


def _send(stream: IO[bytes], message: object) -> None:
    stream.write(_dumps(message))
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


class _Gone(HarvesterError):
    """The helper ended before answering a call (killed, out of memory, closed)."""


_Pending = collections.deque[Future[tuple[bool, Any]]]


class HelperProcess:
    """One helper child, started on first use; thread-safe.

    Calls are queued to the child in the order they are submitted and answered in that
    order, so a caller can hand over its next call before collecting the one before and the
    child never waits between them.  At most ``depth`` calls wait at a time: a thread that
    finds the queue full (another harvest in the same daemon is using the helper) runs its
    call itself rather than wait for the child.  Handing a call over holds a lock until the
    child has taken the call's bytes, which it does once it has answered the call before (a
    page is more than a pipe's 64 KiB): another thread's hand-over waits that long at most.
    """

    def __init__(self, depth: int = 2) -> None:
        self._depth = depth
        self._lock = threading.Lock()  # the child, its pipes and the order of ``_pending``
        self._child: subprocess.Popen[bytes] | None = None
        self._pending: _Pending = collections.deque()  # the child's calls not answered yet

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[tuple[bool, Any]] | None:
        """Hand ``function(*args)`` to the helper (both must pickle); the future holds
        (ok, its result or exception), or raises ``_Gone``.  None when the queue is full or the
        call cannot travel: the caller then runs it itself (``outcome`` does)."""
        with self._lock:
            if len(self._pending) >= self._depth:
                return None
            try:
                body = _dumps((function, args))
                requests = self._pipes()
                answer: Future[tuple[bool, Any]] = Future()
                self._pending.append(answer)
                requests.write(body)  # (blocks while the child reads an earlier call's bytes)
                requests.flush()
            except (OSError, pickle.PicklingError) as exc:
                log.warning("the helper process failed (%s); doing its work here", exc or type(exc).__name__)
                self._stop()
                return None
            return answer

    def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)``, in the helper when it is free (both must pickle)."""
        return outcome(self.submit(function, *args), function, *args)

    def _pipes(self) -> IO[bytes]:
        """The running helper's stdin (started, with the thread reading its answers, when
        there is none)."""
        if self._child is not None and self._child.poll() is not None:
            self._stop("it died since the last call")
        child = self._child
        if child is None:
            child = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            self._child, self._pending = child, collections.deque()
            if child.stdout is not None:
                reader = threading.Thread(target=self._answers, args=(child, child.stdout, self._pending))
                reader.daemon = True
                reader.start()
        if child.stdin is None or child.stdout is None:
            raise OSError("the helper process has no pipes")
        return child.stdin

    def _answers(self, child: subprocess.Popen[bytes], answers: IO[bytes], pending: _Pending) -> None:
        """Hand each answer of ``child`` to its oldest call waiting (none: a call failed when
        the child was told to stop); at its end, stop it."""
        with answers:
            try:
                while True:
                    answer = _receive(answers)
                    if pending:
                        pending.popleft().set_result(answer)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                gone = exc
        with self._lock:
            if self._child is child:
                self._stop(str(gone) or type(gone).__name__)

    def _stop(self, why: str = "stopped") -> None:
        """End the child (its calls waiting fail with ``why``); its reader ends by itself."""
        child, self._child = self._child, None
        if child is None:
            return
        while self._pending:
            self._pending.popleft().set_exception(_Gone(why))
        if child.stdin is not None:
            with contextlib.suppress(OSError):  # a dead helper's pipe breaks on flushing
                child.stdin.close()  # a helper whose stdin closes ends by itself
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def close(self) -> None:
        """Stop the helper (the next call starts another)."""
        with self._lock:
            self._stop()


def outcome(answer: Future[tuple[bool, Any]] | None, function: Callable[..., _T], *args: Any) -> _T:
    """What ``function(*args)`` returned (or raise what it raised): the helper's ``answer``
    to it, or, when there is none or the helper ended first, the call run here."""
    if answer is None:
        return function(*args)
    try:
        ok, value = answer.result()
    except _Gone as exc:
        log.warning("the helper process ended (%s); doing its work here", exc)
        return function(*args)
    if not ok:
        raise value
    result: _T = value
    return result


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
