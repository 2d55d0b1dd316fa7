"""Galley mirroring: galley files fetched into a content-addressed file store (``files``),
recorded in the store (``galleys``), and re-checked on disk (``verify``).

Imports: ``fetch``, ``parse``, ``ojs``, ``store``, ``config``, ``errors``.
"""
