"""Tests, one folder per package of ``harvester/`` (plus ``site/``: the loopback test servers)."""
