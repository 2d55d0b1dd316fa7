"""Map an OJS issue table of contents (``BASE/issue/view/ID``) to an ``IssuePage``.

3.x default theme: the page heading (``.page_issue h1``) is the issue identification
("Vol. 1 No. 1 (2022): Partition and Memory"); ``.obj_issue_toc .heading`` holds the cover,
description and "Published" date; ``.sections > .section`` each have a heading and one
``.obj_article_summary`` per article (title link, ``span.subtitle``, ``.pages``).

OJS 2: the page heading ``#main > h2`` is the identification without the title, which is
the sub-heading ``#main > h3`` when shown; ``#issueDescription``; then, in document order,
``h4.tocSectionTitle`` section headings and one ``table.tocArticle`` per article.  An
article without an abstract has no link to its landing page in OJS 2's table of contents,
only its galley links (``templates/issue/issue.tpl``), so the URL comes from those.
"""

from __future__ import annotations

from lxml import etree

from harvester.model import IssuePage, IssueRef, TocEntry
from harvester.ojs.urls import absolute_url, article_id, article_url, issue_id, issue_url
from harvester.parse.html.common import (
    Page,
    by_class,
    find,
    find_all,
    full_date,
    inner_text,
    load_page,
    paragraphs,
    require,
)
from harvester.parse.issue_label import IssueLabel, parse_issue_label

__all__ = ["parse_issue_page"]

_NO_LABEL = IssueLabel(None, None, None, None)


def parse_issue_page(content: bytes, url: str) -> IssuePage:
    """The ``IssuePage`` an OJS issue page shows.

    ``url`` is the URL the page was fetched from, after redirects (``/issue/current``
    redirects to ``/issue/view/ID`` in 3.x); the issue's URL and id come from it, else from
    the page's cover or "table of contents" link.  Raises ``PageError`` for a login form
    (OJS 3.3/3.4 redirect unknown issues to /login), a "not found" page, a truncated page,
    or a page that is not an OJS issue page.
    """
    page = load_page(content, url)
    tocs = page.index.select("obj_issue_toc")
    toc = tocs[0] if tocs else None
    ojs2 = toc is None and bool(_ojs2_toc(page) or _ojs2_descriptions(page))
    require(page, toc is not None or ojs2, "issue", "issue table of contents markup")
    if toc is not None:
        label, heading = _ojs3_label(page), find(toc, f".//*[{by_class('heading')}]")
        sections, articles = _ojs3_articles(page, toc)
        published = _published(heading)
        cover = find(heading, ".//img[@src]") if heading is not None else None
        description = find(heading, f".//*[{by_class('description')}]") if heading is not None else None
    else:
        label, published = _ojs2_label(page), None
        sections, articles = _ojs2_articles(page)
        cover = find(page.root, "//*[@id='issueCoverImage']//img[@src]")
        description = next(iter(_ojs2_descriptions(page)), None)
    return IssuePage(
        issue=_issue_ref(page, label),
        published=published,
        cover_url=absolute_url(cover.get("src"), url) if cover is not None else None,
        description=paragraphs(description),
        sections=tuple(dict.fromkeys(sections)),
        articles=tuple(articles),
    )


def _issue_ref(page: Page, label: IssueLabel) -> IssueRef:
    """The issue: identification parts, the journal name when shown as text, URL and id."""
    links = [page.url]
    links += [link.get("href") or "" for link in page.index.select("cover", tag="a")]
    links += [link.get("href") or "" for link in find_all(page.root, "//ul[@class='menu']//a[@href]")]
    url = next((found for found in (issue_url(absolute_url(h, page.url)) for h in links) if found), None)
    names = [
        a
        for site in page.index.select("pkp_site_name")
        for a in page.index.select("is_text", within=site, tag="a")
    ]
    journal = names[0] if names else None
    if journal is None:  # OJS 2: the journal's name as the header text (not a logo image)
        journal = find(page.root, "//*[@id='headerTitle']//h1[not(.//img)]")
    return IssueRef(
        journal_title=inner_text(journal),
        volume=label.volume,
        number=label.number,
        year=label.year,
        title=label.title,
        url=url,
        ojs_id=issue_id(url),
    )


def _ojs3_label(page: Page) -> IssueLabel:
    """The 3.x page heading, else the ``<title>`` before " | journal"."""
    heading = inner_text(
        next((h1 for block in page.index.select("page_issue") for h1 in block.iterdescendants("h1")), None)
    )
    if not heading:
        title = inner_text(find(page.root, "//title")) or ""
        heading = title.rsplit(" | ", 1)[0].strip()
    return parse_issue_label(heading) if heading else _NO_LABEL


def _ojs2_label(page: Page) -> IssueLabel:
    """OJS 2: identification ``#main > h2``, title ``#main > h3`` (shown when it differs)."""
    heading = inner_text(find(page.root, "//*[@id='main']/h2"))
    subtitle = inner_text(find(page.root, "//*[@id='main']/h3"))
    label = parse_issue_label(heading) if heading else _NO_LABEL
    if subtitle and label.title is None:
        label = label._replace(title=subtitle)
    return label


def _published(heading: etree._Element | None) -> str | None:
    """The 3.x "Published:" date (default format ``%Y-%m-%d``; other formats give None)."""
    if heading is None:
        return None
    return full_date(inner_text(find(heading, f".//*[{by_class('published')}]//*[{by_class('value')}]")))


def _entry(page: Page, node: etree._Element, title_xpath: str, section: str | None) -> TocEntry | None:
    """One table-of-contents entry: the title link, else a galley link, for the URL."""
    title_el = find(node, title_xpath)
    link = find(title_el, ".//a[@href]") if title_el is not None else None
    hrefs = [link.get("href")] if link is not None else []
    hrefs += [galley.get("href") for galley in find_all(node, ".//a[@href]")]
    url = next((found for found in (article_url(absolute_url(h, page.url)) for h in hrefs) if found), None)
    if url is None:
        return None
    text_el = link if link is not None else title_el
    main = inner_text(text_el, frozenset({"subtitle"}))
    subtitle = inner_text(find(text_el, f".//*[{by_class('subtitle')}]")) if text_el is not None else None
    title = f"{main}: {subtitle}" if main and subtitle else main
    pages = inner_text(find(node, f".//*[{by_class('pages')} or {by_class('tocPages')}]"))
    return TocEntry(url=url, ojs_id=article_id(url), title=title, section=section, pages=pages)


def _ojs3_articles(page: Page, toc: etree._Element) -> tuple[list[str], list[TocEntry]]:
    """(section titles, entries) of a 3.x table of contents, in display order."""
    sections: list[str] = []
    entries: list[TocEntry] = []
    groups = find_all(toc, f".//*[{by_class('sections')}]/*[{by_class('section')}]") or [toc]
    for group in groups:
        name = inner_text(find(group, "./h2 | ./h3 | ./h4")) if group is not toc else None
        summaries = page.index.select("obj_article_summary", within=group)
        if name and summaries:
            sections.append(name)
        for summary in summaries:
            entry = _entry(page, summary, f".//*[{by_class('title')}]", name)
            if entry is not None:
                entries.append(entry)
    return sections, entries


def _ojs2_toc(page: Page) -> list[etree._Element]:
    """OJS 2's section headings and article tables, in document order."""
    return find_all(page.root, f"//h4[{by_class('tocSectionTitle')}] | //table[{by_class('tocArticle')}]")


def _ojs2_descriptions(page: Page) -> list[etree._Element]:
    return page.index.with_id("issueDescription") + page.index.with_id("issueCoverDescription")


def _ojs2_articles(page: Page) -> tuple[list[str], list[TocEntry]]:
    """(section titles, entries) of an OJS 2 table of contents, in document order."""
    sections: list[str] = []
    entries: list[TocEntry] = []
    section: str | None = None
    for node in _ojs2_toc(page):
        if node.tag == "h4":
            section = inner_text(node)
            if section:
                sections.append(section)
            continue
        entry = _entry(page, node, f".//*[{by_class('tocTitle')}]", section)
        if entry is not None:
            entries.append(entry)
    return sections, entries
