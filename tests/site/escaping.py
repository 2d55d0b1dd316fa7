"""How OJS escapes what it writes, for the test site's pages and OAI records."""

from __future__ import annotations

__all__ = ["hsc", "stored"]


def hsc(text: object) -> str:
    """PHP ``htmlspecialchars(ENT_QUOTES)``, which is how OJS escapes what it writes."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def stored(text: str, *, raw_amp: bool = False) -> str:
    """Plain text as OJS stores it in rich-text fields (entities for &, <, >; quotes as they are).

    ``raw_amp``: an abstract stored with a raw "&" (OJS then escapes it only once)."""
    if not raw_amp:
        text = text.replace("&", "&amp;")
    return text.replace("<", "&lt;").replace(">", "&gt;")
