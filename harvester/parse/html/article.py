"""Map an OJS article landing page (``BASE/article/view/ID``) to an ``Article``.

Pure: bytes in, model out.  Each field is read from the theme-independent meta tags first
(``citation_*`` from the Google Scholar plugin, ``DC.*`` from the Dublin Core plugin),
then from the theme's markup (the 3.x default theme's ``obj_article_details``, OJS 2's
``#articleTitle``/``#articleAbstract``/…), then from link patterns.  The OJS behaviour
behind each choice is commented where it is used; the field conventions (full titles,
paragraphs joined by a blank line, language tags as the page gives them) match the OAI
parser's so that the two merge cleanly.
Languages: see ``article_texts``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from harvester.model import Article, IssueRef
from harvester.ojs.locales import in_language, rekey
from harvester.ojs.urls import absolute_url, article_id, article_url, issue_id, issue_url
from harvester.parse.html import article_texts as texts
from harvester.parse.html.article_context import ArticleContext
from harvester.parse.html.authors import parse_authors
from harvester.parse.html.common import (
    below,
    by_class,
    find,
    find_all,
    first_below,
    full_date,
    has_class,
    inner_text,
    load_page,
    require,
)
from harvester.parse.html.galleys import parse_galleys
from harvester.parse.html.references import parse_references
from harvester.parse.issue_label import parse_issue_label
from harvester.parse.normalize import clean_text, normalize_doi, normalize_issn
from harvester.works.identifiers import check_doi

__all__ = ["parse_article_page"]

_SUBMISSION_ID_RE = re.compile(r"[?&]submissionId=(\d+)")


def parse_article_page(content: bytes, url: str) -> Article:
    """The ``Article`` an OJS article landing page shows.

    ``url`` is the URL the page was fetched from (after redirects); it resolves relative
    links and is the landing URL when the page names none.  Raises ``PageError`` for a
    login form, a "not found" page, a truncated page, or a page that is not an OJS
    article page.
    """
    page = load_page(content, url)
    markup = bool(page.index.select("obj_article_details") or page.index.with_id("articleTitle"))
    tags = page.meta.first("citation_title") is not None or page.meta.first("DC.Title") is not None
    require(page, markup or tags, "article", "citation_title/DC.Title meta tags or article markup")
    ctx = ArticleContext(page)
    title, subtitle = texts.title(ctx)
    titles = texts.titles(ctx, title)
    subtitles = texts.subtitles(ctx, titles)
    abstracts = texts.abstracts(ctx)
    landing = _landing_url(ctx)
    rights, license_url = _rights(ctx)
    keywords = texts.keywords_by_language(ctx)
    authors = parse_authors(page, ctx.details, ctx.author_locales())
    return Article(
        title=title,
        titles=titles,
        subtitle=in_language(subtitles, ctx.tag) if subtitles else subtitle,
        subtitles=subtitles,
        authors=authors.authors,
        abstract=texts.abstract(ctx, abstracts),
        abstracts=rekey(texts.by_language(abstracts), ctx.tags),
        keywords=in_language(keywords, ctx.tag) or texts.keywords(ctx),
        keywords_by_language=keywords,
        publisher=ctx.meta.text("citation_publisher", "DC.Publisher"),
        published=_published(ctx),
        doi=_doi(ctx),
        url=landing,
        ojs_id=_ojs_id(ctx, landing),
        galleys=parse_galleys(page, ctx.details),
        language=ctx.language,
        rights=rights,
        license_url=license_url,
        section=_section(ctx),
        pages=_pages(ctx),
        issue=_issue(ctx),
        issns=_issns(ctx),
        how_to_cite=inner_text(next(iter(ctx.page.index.with_id("citationOutput", ctx.details)), None)),
        references=parse_references(page, ctx.details),
        identifier_problems=_doi_problems(ctx) + authors.problems,
    )


def _published(ctx: ArticleContext) -> str | None:
    """The article's publication date.

    ``DC.Date.created`` (ISO) and ``citation_date`` (Y/M/D) are the article's date, but
    OJS writes only the issue's year in ``citation_date`` when the article's year differs
    from it (A#6, README quirk 6): only full dates count; then the theme's "Published".
    """
    for name in ("DC.Date.created", "citation_publication_date", "citation_date"):
        for value in ctx.meta.values(name):
            date = full_date(value) if len(value) > 4 else None
            if date:
                return date
    published = ctx.item("published")
    return full_date(inner_text(published)) if published is not None else None


def _doi_problems(ctx: ArticleContext) -> tuple[tuple[str, str, str], ...]:
    """The DOI values of the page's meta tags that are not one DOI, with the reason (issue 17:
    listed in ``identifier_problems`` as the OAI record's are)."""
    values = ctx.meta.values("citation_doi") + ctx.meta.values("DC.Identifier.DOI")
    checked = [(value, check_doi(value)) for value in dict.fromkeys(values)]
    return tuple(("doi", value, result.problem) for value, result in checked if result.problem)


def _doi(ctx: ArticleContext) -> str | None:
    """``citation_doi``, ``DC.Identifier.DOI``, else the theme's DOI link (3.x, OJS 2 pub-id)."""
    for value in ctx.meta.values("citation_doi") + ctx.meta.values("DC.Identifier.DOI"):
        doi = normalize_doi(value)
        if doi:
            return doi
    block = ctx.item("doi")
    links = [a for a in block.iterdescendants("a") if a.get("href") is not None] if block is not None else []
    links += [link for link in ctx.page.index.with_id("pub-id::doi") if link.tag == "a"]
    return next((doi for doi in (normalize_doi(link.get("href")) for link in links) if doi), None)


def _landing_url(ctx: ArticleContext) -> str | None:
    """The canonical landing URL: ``citation_abstract_html_url``, ``DC.Identifier.URI``, the page."""
    candidates = ctx.meta.values("citation_abstract_html_url") + ctx.meta.values("DC.Identifier.URI")
    for candidate in [*candidates, ctx.page.url]:
        url = article_url(absolute_url(candidate, ctx.page.url))
        if url:
            return url
    return None


def _ojs_id(ctx: ArticleContext, landing: str | None) -> int | None:
    """The submission id: from the landing URL, else (a custom URL path) from the 3.x
    citation-style links' ``submissionId=``, else a numeric ``DC.Identifier``."""
    found = article_id(landing)
    if found is not None:
        return found
    for link in find_all(ctx.details, ".//a[contains(@href, 'submissionId=')]"):
        match = _SUBMISSION_ID_RE.search(link.get("href") or "")
        if match:
            return int(match[1])
    identifier = ctx.meta.first("DC.Identifier") or ""
    return int(identifier) if identifier.isdigit() else None


def _rights(ctx: ArticleContext) -> tuple[str | None, str | None]:
    """(copyright statement, licence URL).

    OJS writes both as ``DC.Rights``.  Without the Dublin Core plugin: the 3.x theme's
    ``.item.copyright`` block, whose first link-free paragraph is the copyright statement
    and whose ``rel=license`` link (CC badge) or ``a.copyright`` link is the licence.
    """
    rights = license_url = None
    for value in ctx.meta.values("DC.Rights"):
        if value.lower().startswith(("http://", "https://")):
            license_url = license_url or value
        else:
            rights = rights or clean_text(value)
    block = ctx.item("copyright")
    if rights is None and block is not None:
        rights = inner_text(find(block, "./p[not(.//a)]"))
    if license_url is None:
        link = find(ctx.page.root, f"//*[@rel='license'][@href] | //a[{by_class('copyright')}][@href]")
        license_url = absolute_url(link.get("href"), ctx.page.url) if link is not None else None
    return rights, license_url


def _section(ctx: ArticleContext) -> str | None:
    """The theme's section (3.x ``.item.issue``: the sub-item after the issue link, whose
    value is plain text), else ``DC.Type.articleType`` (the section in the journal's
    primary locale)."""
    block = ctx.item("issue")
    for sub in below(block, "sub_item") if block is not None else []:
        value = first_below(sub, "value")
        if value is not None and next(value.iterdescendants("a", "ul"), None) is None:
            return inner_text(value)
    return ctx.meta.text("DC.Type.articleType")


def _pages(ctx: ArticleContext) -> str | None:
    """The pages as stored: ``DC.Identifier.pageNumber``, else "first-last" from the
    Google Scholar tags (equal pages, as in "e101", give one)."""
    stored = ctx.meta.text("DC.Identifier.pageNumber")
    if stored:
        return stored
    first, last = ctx.meta.text("citation_firstpage"), ctx.meta.text("citation_lastpage")
    if first and last and first != last:
        return f"{first}-{last}"
    return first or last


def _issns(ctx: ArticleContext) -> tuple[str, ...]:
    values = ctx.meta.values("citation_issn") + ctx.meta.values("DC.Source.ISSN")
    return tuple(dict.fromkeys(issn for issn in map(normalize_issn, values) if issn))


def _issue_link(ctx: ArticleContext) -> tuple[str | None, str | None]:
    """(issue TOC URL, identification text): 3.x ``.item.issue a.title``, else the
    breadcrumbs' issue link (3.x ``.cmp_breadcrumbs``, OJS 2 ``#breadcrumb``), else the
    first link to an issue's TOC with text (OJS 2 sidebars come before the content)."""
    for link in _issue_link_candidates(ctx):
        href = link.get("href")
        url = issue_url(absolute_url(href, ctx.page.url)) if href else None
        text = inner_text(link) if url else None
        if url and text:
            return url, text
    return None, None


def _issue_link_candidates(ctx: ArticleContext) -> Iterator[etree._Element]:
    """The links ``_issue_link`` tries, in its order; each source looked up only when reached."""
    block = ctx.item("issue")
    if block is not None:
        yield from (a for a in block.iterdescendants("a") if has_class(a, "title"))
    for crumb in ctx.page.index.with_id("breadcrumb") + ctx.page.index.select("cmp_breadcrumbs"):
        yield from crumb.iterdescendants("a")
    yield from ctx.page.root.iter("a")


def _issue(ctx: ArticleContext) -> IssueRef | None:
    """The article's issue; volume and number from the tags, year and title from the
    identification the page links (the issue's year, not the article's ``citation_date``)."""
    url, text = _issue_link(ctx)
    label = parse_issue_label(text) if text else None
    volume = ctx.meta.text("citation_volume", "DC.Source.Volume") or (label.volume if label else None)
    number = ctx.meta.text("citation_issue", "DC.Source.Issue") or (label.number if label else None)
    issue = IssueRef(
        journal_title=ctx.meta.text("citation_journal_title", "DC.Source"),
        volume=volume,
        number=number,
        year=label.year if label else None,
        title=label.title if label else None,
        url=url,
        ojs_id=issue_id(url),
    )
    return issue if any(value is not None for value in vars(issue).values()) else None
