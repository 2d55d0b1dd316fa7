"""Tests of ``harvester/fleet``: sources in the database, imports, the queue, workers, host locks."""
