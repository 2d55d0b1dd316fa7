"""The ``harvester`` command: thin click commands over library functions.

Every library error surfaces as one line on stderr and a non-zero exit (2 for bad
configuration, 1 otherwise); ``-v`` adds the traceback.  Each command imports the stages it
runs when it runs: ``harvester --help`` and ``harvester status --help`` load click and
nothing of SQLAlchemy, Sickle, lxml or pydantic.

``app`` holds the group and what every command shares; one module per command group registers
its commands on it: ``harvest`` (harvest, backfill, run, discover), ``report`` (status,
history), ``fleet`` (sources, worker), ``publish`` (export, serve), ``mirror`` (mirror,
verify-files), ``works`` (show, split, merge), ``db``.
"""

from __future__ import annotations

from . import db, fleet, harvest, mirror, publish, report, works  # noqa: F401  (each registers its commands)
from .app import main

__all__ = ["main"]
