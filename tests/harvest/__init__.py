"""Tests of ``harvester/harvest``: OAI windows, the crawl, the pipeline, discovery, hostile servers."""
