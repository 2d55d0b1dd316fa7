"""The service's parts in one process: sd_notify on real sockets, structured log lines."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from harvester.logs import JsonFormatter
from harvester.notify import Notifier

# --- sd_notify ---------------------------------------------------------------------------------


@pytest.fixture
def datagram_path() -> Iterator[tuple[str, socket.socket]]:
    """A notify socket on a short filesystem path (AF_UNIX paths are limited to ~108 bytes)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        path = str(Path(directory) / "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(5)
            yield path, sock


def test_notify_sends_datagrams_to_a_path_socket(datagram_path: tuple[str, socket.socket]) -> None:
    path, sock = datagram_path
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert notifier.enabled
    assert notifier.watchdog_seconds == 4.0
    notifier.ready("2 sources")
    notifier.watchdog()
    notifier.stopping()
    assert sock.recv(4096).decode().splitlines()[:2] == ["READY=1", "STATUS=2 sources"]
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sock.recv(4096).startswith(b"STOPPING=1\n")


def test_notify_supports_abstract_sockets() -> None:
    name = f"ojs-harvester-unit-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        Notifier({"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert sock.recv(4096) == b"STATUS=hello"


def test_notify_is_a_no_op_without_a_socket_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    quiet = Notifier({})
    assert not quiet.enabled
    quiet.ready("x")  # nothing to send to, nothing raised
    broken = Notifier({"NOTIFY_SOCKET": "/nonexistent/notify"})
    broken.status("x")
    assert "cannot notify the service manager" in caplog.text


@pytest.mark.parametrize(
    ("environ", "seconds"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "nonsense"}, None),
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
    ],
)
def test_watchdog_period_comes_from_the_environment(environ: dict[str, str], seconds: float | None) -> None:
    assert Notifier(environ).watchdog_seconds == seconds


def test_watchdog_pings_only_when_asked_for(datagram_path: tuple[str, socket.socket]) -> None:
    path, sock = datagram_path
    Notifier({"NOTIFY_SOCKET": path}).watchdog()
    Notifier({"NOTIFY_SOCKET": path}).status("after")
    assert sock.recv(4096) == b"STATUS=after"


# --- logs --------------------------------------------------------------------------------------


def test_json_log_lines_carry_the_structured_fields() -> None:
    record = logging.LogRecord("harvester.pipeline", logging.INFO, __file__, 1, "%s: ok", ("jsas",), None)
    record.source, record.host, record.counts = "jsas", "journal.example.org", {"new": 3}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "jsas: ok"
    assert line["level"] == "INFO"
    assert line["logger"] == "harvester.pipeline"
    assert line["source"] == "jsas" and line["host"] == "journal.example.org" and line["counts"] == {"new": 3}
    assert datetime.fromisoformat(line["ts"]).tzinfo is not None
    try:
        int("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: invalid literal" in json.loads(JsonFormatter().format(failed))["exception"]
