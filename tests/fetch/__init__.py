"""Tests of ``harvester/fetch``: the polite client, pacing, robots.txt, bounds, downloads."""
