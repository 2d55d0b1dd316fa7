"""Tests of ``harvester/works`` and the store's works: identifiers checked, articles clustered."""
