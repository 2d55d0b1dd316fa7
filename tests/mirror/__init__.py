"""Tests of ``harvester/mirror``: galley files fetched, stored and verified."""
