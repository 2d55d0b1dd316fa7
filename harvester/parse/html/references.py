"""An OJS article page's reference list: the cited works, in order, each with its DOI.

Two places carry it, read in this order:

1. The 3.x default theme's ``section.item.references > div.value`` (3.1: ``div.item.
   references``): one ``<p>`` per parsed citation, bare URLs linked (ojs
   templates/frontend/objects/article_details.tpl at 3_3_0-11, 3_4_0-8, 3_5_0-1, with
   pkp-lib classes/citation/Citation ``getCitationWithLinks``); with no parsed rows the raw
   text itself, one reference per line (``citationsRaw|escape|nl2br``).
2. ``citation_reference`` meta tags, one per citation with its raw text (pkp/googleScholar
   at 7c9dddc, f9eaa17 and f59a886, pinned by 3_3_0-11, 3_4_0-8 and 3_5_0-1), for themes
   that replace the template.  OJS 3.1 and 2.x write none.

References are not localised (OJS stores one list per publication), and oai_dc carries
none (OJS.md section 7, observed on the recorded 3.5.0-1 site, O8).
"""

from __future__ import annotations

from lxml import etree

from harvester.model import Reference
from harvester.parse.html.common import Page, collapse, paragraphs
from harvester.parse.normalize import extract_doi

__all__ = ["parse_references"]


def _listed(page: Page, details: etree._Element) -> list[str]:
    """The reference texts of the theme's block: each paragraph or line is one reference."""
    blocks = page.index.select("references", "item", within=details)
    if not blocks:
        return []
    values = page.index.select("value", within=blocks[0])
    text = paragraphs(values[0] if values else blocks[0])
    return text.split("\n\n") if text else []


def parse_references(page: Page, details: etree._Element) -> tuple[Reference, ...]:
    """The article's references in the page's order (the theme's list, else the meta tags)."""
    texts = _listed(page, details) or [t for t in map(collapse, page.meta.values("citation_reference")) if t]
    return tuple(Reference(text, extract_doi(text)) for text in texts)
