"""Telling systemd how the daemon is doing: the ``sd_notify`` protocol without a dependency.

systemd hands a ``Type=notify`` service the path of a datagram socket in ``$NOTIFY_SOCKET``
(a leading ``@`` names an abstract socket) and, with ``WatchdogSec=``, the watchdog period in
``$WATCHDOG_USEC``.  Each message is ``KEY=VALUE`` lines in one datagram.  Without
``$NOTIFY_SOCKET`` (a terminal, a test, another supervisor) every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

__all__ = ["Notifier"]

log = logging.getLogger(__name__)


class Notifier:
    """Sends ``READY=1``, ``STATUS=…``, ``WATCHDOG=1``, ``STOPPING=1`` to the service manager."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_seconds = _watchdog_seconds(environ)
        self._failing = False

    def send(self, **fields: object) -> None:
        """One datagram of ``KEY=VALUE`` lines; failures are logged, never raised."""
        if not self._address:
            return
        message = "\n".join(f"{key}={value}" for key, value in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode())
        except OSError as exc:
            if not self._failing:  # once, not at every heartbeat
                log.warning("cannot notify the service manager at %r: %s", self._address, exc)
            self._failing = True
        else:
            self._failing = False

    def ready(self, status: str) -> None:
        """Start-up is done: the service manager may start the units that wait for us."""
        self.send(READY=1, STATUS=status, MAINPID=os.getpid())

    def status(self, text: str) -> None:
        """A one-line state shown by ``systemctl status``."""
        self.send(STATUS=text)

    def watchdog(self) -> None:
        """Proof of life; sent only when the service manager asked for it."""
        if self.watchdog_seconds:
            self.send(WATCHDOG=1)

    def reloading(self) -> None:
        """A configuration reload has begun (``ready`` ends it)."""
        self.send(RELOADING=1, STATUS="reloading the configuration")

    def stopping(self) -> None:
        """Shutdown has begun."""
        self.send(STOPPING=1, STATUS="stopping: finishing the pages in hand")


def _watchdog_seconds(environ: Mapping[str, str]) -> float | None:
    """``$WATCHDOG_USEC`` in seconds, if it is meant for this process (``$WATCHDOG_PID``)."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000
