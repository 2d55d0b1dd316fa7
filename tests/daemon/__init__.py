"""Tests of ``harvester/daemon``: scheduling, the service loop, reload, notify, health, metrics."""
