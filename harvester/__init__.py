"""ojs-harvester: a complete, versioned, always-fresh mirror of OJS journals."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
