"""Tests of ``harvester/parse``: OAI records and OJS pages to model records, merging."""
