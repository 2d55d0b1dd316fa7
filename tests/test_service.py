"""The service's parts in one process: structured log lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from harvester.logs import JsonFormatter

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
