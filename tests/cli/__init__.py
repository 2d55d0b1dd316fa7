"""Tests of ``harvester/cli``: the command as a user runs it."""
