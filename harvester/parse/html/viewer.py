"""Galley view pages: where the file a viewer shows really is.

OJS links each galley to its *view* page, a viewer around the file, not the file itself:

- 3.x PDF (pdfJsViewer plugin): the file is named only in JavaScript, ``var pdfUrl = "…"`` —
  JSON-escaped in 3.3 (``"http:\\/\\/host\\/…"``, recorded quirk 14), plain in 3.4 — and by the
  header's ``a.download`` link (``/article/download/ID/GALLEY/FILE``); 3.0 and 3.1 put it in
  the iframe's ``src`` as ``…/pdf.js/web/viewer.html?file=ENCODED_URL``;
- 3.x HTML (htmlArticleGalley plugin): an iframe whose ``src`` is wrapped in tabs and a
  newline and ends in ``?inline=1`` (recorded quirk 13);
- OJS 2: an iframe or object on ``/article/viewFile/ID/GALLEY``, a link to
  ``/article/download/ID/GALLEY``; ``viewDownloadInterstitial`` pages refresh to the file;
- a galley with no viewer plugin: the view URL redirects to the file (the caller gets the
  file, never this parser).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from harvester.ojs.urls import absolute_url, galley_view_url, parse_ojs_url
from harvester.parse.html.common import Page, by_class, find_all, load_page

__all__ = ["viewer_file_url"]

_PDF_URL_RE = re.compile(r"""\bpdfUrl\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_REFRESH_URL_RE = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)
_CONTAINERS = (
    f"//*[{by_class('galley_view')} or @id='htmlContainer' or @id='pdfCanvasContainer' or @id='inlinePdf']"
)
_FILE_OPS = frozenset({"download", "viewFile"})


def _pdf_js_url(text: str) -> str | None:
    """The ``pdfUrl`` of the pdf.js viewer's script, unescaped (JSON in 3.3, plain in 3.4)."""
    match = _PDF_URL_RE.search(text)
    if match is None:
        return None
    if match.group(1) is None:
        return match.group(2).replace("\\/", "/")
    try:
        return str(json.loads(f'"{match.group(1)}"'))
    except json.JSONDecodeError:
        return match.group(1).replace("\\/", "/")


def _unwrapped(src: str) -> str:
    """A pdf.js viewer URL (``viewer.html?file=…``) gives way to the file it names."""
    parts = urlsplit(src.strip())
    if parts.path.endswith("/viewer.html"):
        named = dict(parse_qsl(parts.query)).get("file")
        if named:
            return named
    return src.strip()


def _frame_sources(node: etree._Element) -> Iterator[str]:
    for element in find_all(node, ".//iframe[@src] | .//object[@data] | .//embed[@src]"):
        value = element.get("src") or element.get("data") or ""
        if value.strip():
            yield _unwrapped(value)


def _refresh(page: Page) -> Iterator[str]:
    """OJS 2's download interstitial: ``<meta http-equiv="refresh" content="1; url=…">``."""
    for meta in find_all(page.root, "//meta[@http-equiv and @content]"):
        if str(meta.get("http-equiv")).strip().lower() == "refresh":
            match = _REFRESH_URL_RE.search(str(meta.get("content")))
            if match:
                yield match.group(1)


def _same_galley_files(page: Page) -> Iterator[str]:
    """Links, frames and objects on the download or viewFile route of this page's galley."""
    galley = galley_view_url(page.url)
    if galley is None:
        return
    for element in find_all(page.root, "//a[@href] | //iframe[@src] | //object[@data] | //embed[@src]"):
        value = (element.get("href") or element.get("src") or element.get("data") or "").strip()
        target = absolute_url(value, page.url)
        route = parse_ojs_url(target)
        if route and route.op in _FILE_OPS and galley_view_url(target) == galley:
            yield value


def _candidates(page: Page, text: str) -> Iterator[str | None]:
    yield _pdf_js_url(text)
    for link in find_all(page.root, f"//a[{by_class('download')}][@href]"):
        yield link.get("href")
    for container in find_all(page.root, _CONTAINERS):
        yield from _frame_sources(container)
    yield from _refresh(page)
    yield from _same_galley_files(page)


def viewer_file_url(content: bytes, url: str) -> str | None:
    """The URL of the file a galley view page shows, or None when the page names none.

    Raises ``PageError`` when the page is a login form or a "not found" page (see
    ``common.load_page``): the reason is then the page's, not a missing link.
    """
    page = load_page(content, url)
    text = content.decode("utf-8", errors="replace")
    for candidate in _candidates(page, text):
        found = absolute_url(candidate, url)
        if found and found != url:
            return found
    return None
