"""``python -m harvester`` is the ``harvester`` command."""

from __future__ import annotations

from .cli import main

main()
