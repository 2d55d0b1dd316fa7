"""Log output: one line per event on stderr, as text for people and journald or as JSON.

Events about a source carry structured fields in ``extra`` (``source``, ``host``, ``counts``
and a few more): the text format has them in its message already, the JSON format adds them
as keys so log shippers need no parsing.  Under systemd, journald stamps every line itself,
so the text format leaves the time out there.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from .redact import MaskingFormatter

__all__ = ["FIELDS", "JsonFormatter", "LogFormat", "setup_logging"]

LogFormat = Literal["text", "json"]

#: ``extra`` keys copied into JSON log lines when a record has them.
FIELDS = ("source", "host", "counts", "status", "requests", "duration", "changes")

_TEXT = "%(levelname)s %(name)s: %(message)s"
#: Third-party loggers that are chatty at INFO; their lines add nothing for an operator.
_NOISY = ("urllib3", "alembic", "sickle", "apscheduler")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message`` and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _journald_stderr(environ: Mapping[str, str]) -> bool:
    """Whether stderr is the journal stream systemd connected (not merely inherited it)."""
    device, _, inode = environ.get("JOURNAL_STREAM", "").partition(":")
    try:
        stat = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return f"{stat.st_dev}:{stat.st_ino}" == f"{device}:{inode}"


def setup_logging(
    verbosity: int, log_format: LogFormat = "text", environ: Mapping[str, str] | None = None
) -> None:
    """Root logging to stderr at the level ``-v``/``-q`` ask for, in the chosen format."""
    environ = os.environ if environ is None else environ
    level = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    elif _journald_stderr(environ):
        formatter = logging.Formatter(_TEXT)
    else:
        formatter = logging.Formatter("%(asctime)s " + _TEXT)
    handler.setFormatter(MaskingFormatter(formatter))  # no password reaches a log line
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.ERROR if verbosity < -2 else level)
    if verbosity < 2:
        for noisy in _NOISY:
            logging.getLogger(noisy).setLevel(logging.WARNING)
