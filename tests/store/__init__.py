"""Tests of ``harvester/store``: identity, versions, the change feed, galley records."""
