"""``harvester serve``: the store as an OAI-PMH 2.0 data provider (``oaipmh`` on waitress)."""

from __future__ import annotations

from .app import make_app, serve

__all__ = ["make_app", "serve"]
