"""Harvesting one source: the OAI-PMH windows, the HTML crawl, and the pipeline that runs the
parts a source's strategy asks for, with one run context (``job``) shared by both.

Also ``discover`` (find a journal's OAI endpoint and base URL from any of its pages) and
``journal`` (the journal's own identity from whichever surface a run read).

Imports: ``fetch``, ``parse``, ``ojs``, ``store``, ``model``, ``config``, ``errors``.
"""
