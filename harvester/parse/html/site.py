"""What a fetched page tells about the OJS site behind it (for ``harvester discover``).

Pure: a page's bytes, URL and Content-Type in, plain data out.  Read are the generator meta
tag (OJS and its version), OJS theme markup, the version OJS appends to its own assets, the
journal's title, the page's links to its own context (which name the journal base whatever
URL form the site uses) and, on a site index, the journals it lists.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from harvester.errors import PageError
from harvester.ojs.urls import OjsUrl, absolute_url, parse_ojs_url
from harvester.parse.html.common import Page, by_class, collapse, find, find_all, inner_text, parse_page

__all__ = [
    "ListedJournal",
    "SitePage",
    "generator_version",
    "is_ojs_generator",
    "is_other_pkp_app",
    "read_site_page",
]

_OJS_GENERATOR = re.compile(r"^Open Journal Systems\b\s*([0-9][0-9.]*)?", re.IGNORECASE)
_OTHER_PKP_APPS = ("open monograph press", "open preprint systems", "open conference systems")
_PKP_ASSET_VERSION = re.compile(r"/lib/pkp/[^?#\s]*\?v=([0-9]+(?:\.[0-9]+)+)")
_CHARSET = re.compile(r"charset=([\w-]+)")
_HEADINGS = ("h1", "h2", "h3", "h4")


@dataclass(frozen=True)
class ListedJournal:
    """A journal a site index lists."""

    path: str
    base_url: str
    title: str | None


@dataclass(frozen=True)
class SitePage:
    """What one page says about its site."""

    generator: str | None  # the generator meta tag, whatever it names
    markup: str | None  # the first OJS theme marker seen
    asset_version: str | None  # the OJS version in ``/lib/pkp/`` asset URLs
    context: OjsUrl | None  # the OJS context the page's own links point into
    is_site_index: bool  # the site's index, listing its journals
    journals: tuple[ListedJournal, ...]  # what a site index lists
    journal_title: str | None  # the title of the journal a (non-index) page belongs to


def read_site_page(content: bytes, url: str, content_type: str = "") -> SitePage | None:
    """What the page fetched from ``url`` (the final URL) says about its site; None unless HTML."""
    content_type = content_type.lower()
    if content_type and "html" not in content_type:
        return None
    charset = _CHARSET.search(content_type)
    try:
        page = parse_page(content, url, charset[1] if charset else None)
    except PageError:
        return None
    context = _context(page)
    index = _is_site_index(page, parse_ojs_url(url), context)
    return SitePage(
        generator=_meta(page, "generator"),
        markup=_markup(page),
        asset_version=_asset_version(page),
        context=context,
        is_site_index=index,
        journals=tuple(_listed_journals(page)) if index else (),
        journal_title=None if index else _journal_title(page),
    )


def is_ojs_generator(generator: str | None) -> bool:
    """Whether a generator tag names OJS (``Open Journal Systems 3.3.0.11``, version optional)."""
    return _OJS_GENERATOR.match(generator or "") is not None


def generator_version(generator: str | None) -> str | None:
    """The version an OJS generator tag names."""
    match = _OJS_GENERATOR.match(generator or "")
    return match[1] if match else None


def is_other_pkp_app(generator: str | None) -> bool:
    """Whether a generator tag names another PKP application, whose pages look like OJS's."""
    return (generator or "").lower().startswith(_OTHER_PKP_APPS)


def _meta(page: Page, name: str) -> str | None:
    """The first non-empty ``<meta name|property=name content>`` (name case-insensitive), whitespace folded.

    ``page.meta`` holds ``name`` tags only; Open Graph's ``og:site_name`` is a ``property``.
    """
    for meta in find_all(page.root, "//meta"):
        if (meta.get("name") or meta.get("property") or "").lower() == name.lower():
            content = collapse(meta.get("content"))
            if content:
                return content
    return None


def _links(page: Page, within: etree._Element | None = None) -> Iterator[tuple[etree._Element, str]]:
    """Every linking element with its absolute URL (``<base href>`` honoured, in-page links skipped)."""
    tag = find(page.root, "//base[@href]")
    base = (absolute_url(tag.get("href"), page.url) if tag is not None else None) or page.url
    for element in (page.root if within is None else within).iter("a", "link", "area", "form"):
        value = element.get("href") or element.get("action") or ""
        link = None if value.strip().startswith("#") else absolute_url(value, base)
        if link:
            yield element, link


def _markup(page: Page) -> str | None:
    """The telling OJS theme marker: a ``pkp_`` class (3.x), a ``pkp-`` id (2.x), ``/lib/pkp/`` assets."""
    found: list[str] = []
    for element in page.root.iter():
        found += [name for name in (element.get("class") or "").split() if name.startswith("pkp_")]
        if (element.get("id") or "").startswith("pkp-"):
            found.append(f"id {element.get('id')}")
        if "/lib/pkp/" in (element.get("href") or element.get("src") or ""):
            found.append("/lib/pkp/ assets")
    preferred = ("pkp_structure_page", *(name for name in found if not name.startswith("/")))
    return next((name for name in preferred if name in found), found[0] if found else None)


def _asset_version(page: Page) -> str | None:
    """OJS appends its version to its own assets: ``/lib/pkp/…css?v=3.3.0.11``."""
    for element in page.root.iter("link", "script"):
        if match := _PKP_ASSET_VERSION.search(element.get("href") or element.get("src") or ""):
            return match[1]
    return None


def _context(page: Page) -> OjsUrl | None:
    """The OJS context the page belongs to, from its links to its own pages.

    OJS 3 loads its stylesheet from ``CONTEXT/$$$call$$$/page/page/css``, which settles it;
    otherwise the context most of the page's same-host OJS links point into wins.
    """
    host = urlsplit(page.url).hostname
    votes: Counter[str] = Counter()
    shapes: dict[str, OjsUrl] = {}
    for _, link in _links(page):
        shape = parse_ojs_url(link)
        if shape is None or urlsplit(link).hostname != host:
            continue
        if shape.page == "$$$call$$$":
            return shape
        votes[shape.root] += 2 if shape.strong else 1
        shapes.setdefault(shape.root, shape)
    return shapes[votes.most_common(1)[0][0]] if votes else None


def _is_site_index(page: Page, final: OjsUrl | None, context: OjsUrl | None) -> bool:
    if final is not None and final.strong and not final.is_site:
        return False  # a journal's article, issue, archive… page, whatever its links say
    if context is not None:
        return context.is_site
    return (final is not None and final.is_site) or find(
        page.root, f"//*[{by_class('page_index_site')}]"
    ) is not None


def _listed_journals(page: Page) -> list[ListedJournal]:
    """The journals a site index lists, with the title shown for each."""
    container = find(page.root, f"//*[{by_class('journals')} or @id='journals']")
    host = urlsplit(page.url).hostname
    found: dict[str, tuple[str, etree._Element]] = {}
    titles: dict[str, str | None] = {}
    for element, link in _links(page, container):
        shape = parse_ojs_url(link)
        if shape is None or shape.journal is None or shape.is_site or urlsplit(link).hostname != host:
            continue
        found.setdefault(shape.root, (shape.journal, element))
        heading = next(element.iterancestors(*_HEADINGS), None)
        if heading is not None and shape.root not in titles:
            titles[shape.root] = inner_text(heading)
    for base, (_, element) in found.items():  # OJS 2: the title is the heading before the links
        if (
            base not in titles
            and (before := find(element, "preceding::*[self::h2 or self::h3][1]")) is not None
        ):
            titles[base] = inner_text(before)
    return [ListedJournal(path, base, titles.get(base)) for base, (path, _) in found.items()]


def _journal_title(page: Page) -> str | None:
    for name in ("citation_journal_title", "og:site_name", "DC.Source"):
        if value := _meta(page, name):
            return value
    header = find(page.root, f"//*[{by_class('pkp_site_name')}]")  # the theme's header: a text link or a logo
    if header is None:
        return None
    return inner_text(header) or next(filter(None, (image.get("alt") for image in header.iter("img"))), None)
