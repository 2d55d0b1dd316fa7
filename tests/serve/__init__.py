"""Tests of ``harvester/serve``: the OAI-PMH data provider and citation exports."""
