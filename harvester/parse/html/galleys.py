"""The galleys of an article page: view URL, label, MIME type and file URL of each.

The links come from the theme (3.x ``a.obj_galley_link`` in ``.item.galleys``; OJS 2's
``#articleFullText a.file``), else from the Google Scholar tags.  The MIME type comes, in
order, from:

1. the link's class: ``pdf`` (3.x ``isPdfGalley``) or ``html``; every other galley is
   classed ``file`` (3.3: the HTML galley of A#13 too);
2. the ``DC.Format`` tags, one per galley in galley order (like oai_dc's ``dc:format``),
   paired by position only when their count equals the number of links;
3. a ``citation_pdf_url`` naming the same galley.

``citation_fulltext_html_url`` is not used for the type: OJS 2 writes it for every
galley that is not a PDF (EPUB, Word, …).
"""

from __future__ import annotations

from lxml import etree

from harvester.model import Galley
from harvester.ojs.urls import absolute_url, galley_download_url, galley_view_url
from harvester.parse.html.common import Page, inner_text
from harvester.parse.normalize import clean_text

__all__ = ["parse_galleys"]

_CLASS_TYPES = {"pdf": "application/pdf", "html": "text/html"}


def _links(page: Page, details: etree._Element) -> list[tuple[str, etree._Element | None]]:
    """(view URL, link element) per galley in display order; meta-derived when no links."""
    seen: dict[str, etree._Element | None] = {}
    index = page.index
    links = [
        a
        for block in index.select("galleys", within=details)
        for a in index.select("obj_galley_link", within=block, tag="a")
    ]  # 3.x primary galleys
    links += [
        a
        for block in index.with_id("articleFullText")
        for a in block.iterdescendants("a")
        if a.get("href") is not None
    ]  # OJS 2
    for link in links:
        view = galley_view_url(absolute_url(link.get("href"), page.url))
        if view is not None and view not in seen:
            seen[view] = link
    if not seen:
        for name in ("citation_pdf_url", "citation_fulltext_html_url"):
            for value in page.meta.values(name):
                view = galley_view_url(absolute_url(value, page.url))
                if view is not None:
                    seen.setdefault(view, None)
    return list(seen.items())


def _pdf_downloads(page: Page) -> dict[str, str]:
    """{galley view URL: download URL} of the ``citation_pdf_url`` tags."""
    found: dict[str, str] = {}
    for value in page.meta.values("citation_pdf_url"):
        url = absolute_url(value, page.url)
        view, download = galley_view_url(url), galley_download_url(url)
        if view and download:
            found.setdefault(view, download)
    return found


def _class_type(link: etree._Element | None) -> str | None:
    if link is None:
        return None
    classes = (link.get("class") or "").split()
    return next((_CLASS_TYPES[name] for name in classes if name in _CLASS_TYPES), None)


def parse_galleys(page: Page, details: etree._Element) -> tuple[Galley, ...]:
    """The page's galleys in display order (see the module docstring for the MIME type)."""
    links = _links(page, details)
    formats = [clean_text(meta.content) for meta in page.meta.all("DC.Format")]
    paired = len(formats) == len(links)
    pdfs = _pdf_downloads(page)
    galleys = []
    for index, (view, link) in enumerate(links):
        mime = _class_type(link) or (formats[index] if paired else None)
        if mime is None and view in pdfs:
            mime = "application/pdf"
        label = inner_text(link) if link is not None else None
        download = pdfs.get(view) or galley_download_url(view)
        galleys.append(Galley(url=view, label=label, mime_type=mime, download_url=download))
    return tuple(galleys)
