"""Map an OJS article landing page (``BASE/article/view/ID``) to an ``Article``.

Pure: bytes in, model out.  Each field is read from the theme-independent meta tags first
(``citation_*`` from the Google Scholar plugin, ``DC.*`` from the Dublin Core plugin),
then from the theme's markup (the 3.x default theme's ``obj_article_details``, OJS 2's
``#articleTitle``/``#articleAbstract``/…), then from link patterns.  The OJS behaviour
behind each choice is commented where it is used; the field conventions (full titles,
paragraphs joined by a blank line, language tags as the page gives them) match the OAI
parser's so that the two merge cleanly.

Languages: a page is rendered in the reader's UI locale (``<html lang>``), while the
submission has its own locale.  OJS 3.3+ writes ``citation_title`` (full title) and
``citation_language`` in the submission locale, so ``title`` and ``language`` follow
OAI's ``dc:title``/``dc:language``; the theme shows title, abstract, keywords,
affiliations and biographies in the UI locale (A#12 of the 3.3 recording is fr-CA with
an en-US UI).  ``abstract`` is taken in the submission language when the page has it.

Every language a page gives is kept, keyed as ``locales`` says (the page's two-letter
meta ``xml:lang`` widened to its regional ``<html lang>`` where they agree): ``titles``,
``subtitles``, ``abstracts``, ``keywords_by_language`` and the authors' (see
``authors``).  Sources per language, in order: keywords from ``DC.Subject``, whose header
keys include the locale, so 3.4+ writes every locale's (ojs plugins/generic/
dublinCoreMeta/DublinCoreMetaPlugin.php at 3_4_0-8, 3_5_0-1; 3_3_0-11: the UI locale's
only), then ``citation_keywords``, whose keys do not: keyword i of a later locale replaces
keyword i of an earlier one (pkp/googleScholar at f9eaa17, pinned by 3_4_0-8, and f59a886,
3_5_0-1; the ajpa_ojs3.5.0-1 recording's #307 page has only the es keywords there), then
the theme's block (UI locale); abstracts from the theme and ``DC.Description`` (every
locale, all three tags); titles as ``_titles`` says.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from lxml import etree

from harvester.model import Article, IssueRef
from harvester.ojs.locales import in_language, locale_tag, rekey, widen
from harvester.ojs.urls import absolute_url, article_id, article_url, issue_id, issue_url
from harvester.parse.html.authors import AuthorLocales, parse_authors
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
from harvester.parse.html.galleys import parse_galleys
from harvester.parse.html.references import parse_references
from harvester.parse.html.site import generator_version
from harvester.parse.issue_label import parse_issue_label
from harvester.parse.normalize import clean_text, language_code, normalize_doi, normalize_issn

__all__ = ["parse_article_page"]

_SUBMISSION_ID_RE = re.compile(r"[?&]submissionId=(\d+)")
_Text = tuple[str | None, str]  # (language tag, text)


class _Context:
    """The parsed page plus what several fields need: the details root and the languages."""

    def __init__(self, page: Page) -> None:
        """Locate the article markup and settle the submission's and the page's languages."""
        self.page = page
        self.meta = page.meta
        # 3.x: article.obj_article_details (div in 3.0); OJS 2 and unknown themes: the page.
        details = page.index.select("obj_article_details")
        self.details: etree._Element = details[0] if details else page.root
        self.page_language = language_code(page.lang)
        stated = self.meta.first("citation_language") or self.meta.first("DC.Language")
        self.language = language_code(stated) or self.page_language
        # Language keys: every tag the page writes, bare ones widened to the regional ones.
        self.tags = [tag for tag in map(locale_tag, [page.lang, *(m.lang for m in page.meta.items)]) if tag]
        self.ui_tag = self.key(page.lang)
        self.tag = self.key(stated) or self.ui_tag  # the submission's (citation_language, DC.Language)
        version = generator_version(self.meta.first("generator"))
        self.version = tuple(int(part) for part in version.split(".")) if version else None

    def key(self, lang: str | None) -> str | None:
        """The language key of a tag on this page."""
        tag = locale_tag(lang)
        return widen(tag, self.tags) if tag else None

    def author_locales(self) -> AuthorLocales:
        """Which language the page's author tags are in (see ``authors``); None where the
        release, and so the rule, is unknown (no generator tag), and on OJS 2, whose author
        names and affiliations have no locale."""
        if self.version is None:
            return AuthorLocales(None, None, self.ui_tag)
        if self.version < (3,):
            return AuthorLocales(None, None, None)
        names = self.tag if self.version >= (3, 4, 0, 2) else self.ui_tag
        return AuthorLocales(names, self.tag if self.version >= (3, 4) else self.ui_tag, self.ui_tag)

    def select(self, *names: str, tag: str | None = None) -> list[etree._Element]:
        """The article's elements with every class of ``names`` (and tag ``tag``), in order."""
        return self.page.index.select(*names, within=self.details, tag=tag)

    def first(self, *names: str, tag: str | None = None) -> etree._Element | None:
        """The article's first element with every class of ``names`` (and tag ``tag``)."""
        found = self.select(*names, tag=tag)
        return found[0] if found else None

    def item(self, name: str) -> etree._Element | None:
        """The first 3.x ``.item.NAME`` block of the article."""
        return self.first(name, "item")

    def items(self, name: str) -> list[etree._Element]:
        """Every 3.x ``.item.NAME`` block of the article, in order."""
        return self.select(name, "item")


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
    ctx = _Context(page)
    title, subtitle = _title(ctx)
    titles = _titles(ctx, title)
    subtitles = _subtitles(ctx, titles)
    abstracts = _abstracts(ctx)
    landing = _landing_url(ctx)
    rights, license_url = _rights(ctx)
    keywords = _keywords_by_language(ctx)
    return Article(
        title=title,
        titles=titles,
        subtitle=in_language(subtitles, ctx.tag) if subtitles else subtitle,
        subtitles=subtitles,
        authors=parse_authors(page, ctx.details, ctx.author_locales()),
        abstract=_abstract(ctx, abstracts),
        abstracts=rekey(_by_language(abstracts), ctx.tags),
        keywords=in_language(keywords, ctx.tag) or _keywords(ctx),
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
    )


def _title(ctx: _Context) -> tuple[str | None, str | None]:
    """(full title, subtitle).

    ``citation_title`` is the full title ("Prefix Title: Subtitle") in the submission
    locale (3.3+), as plain text even where 3.4's h1 carries ``<i>``.  The subtitle is the
    theme's ``h2.subtitle``, kept only when it is part of that title: on a page whose UI
    locale differs from the submission's, the theme shows another language's subtitle.
    """
    headings = ctx.select("page_title") or ctx.page.index.with_id("articleTitle")
    shown = inner_text(headings[0]) if headings else None
    subtitle = inner_text(ctx.first("subtitle", tag="h2"))
    title = ctx.meta.text("citation_title", "DC.Title")
    if title is None and shown:
        title = f"{shown}: {subtitle}" if subtitle else shown
    if subtitle and title and subtitle.casefold() not in title.casefold():
        subtitle = None
    return title, subtitle


def _tag(lang: str | None) -> str | None:
    return (lang.strip().replace("_", "-") or None) if lang else None


def _tagged_heading(ctx: _Context) -> etree._Element | None:
    """3.5's ``h1.page_title`` with a ``lang`` (a title shown in a fallback locale)."""
    return next((h1 for h1 in ctx.select("page_title", tag="h1") if h1.get("lang") is not None), None)


def _titles(ctx: _Context, title: str | None) -> dict[str, str]:
    """{language tag: full title} for every language the page states.

    ``DC.Title`` is tagged with ``<html lang>``, ``DC.Title.Alternative`` with its xml:lang;
    3.5's theme tags its h1 (+ subtitle) and the titles of its multilingual metadata
    blocks; ``citation_title`` is tagged with ``citation_language``.  One title per
    language, the first wins.  Quirks: OJS 3.1 writes ``DC.Title`` in the submission
    locale, not the UI's, so when it is the citation title it takes that title's
    language; 3.3 writes ``DC.Title`` in the UI locale and skips only the submission
    locale in the alternatives, so an alternative can repeat ``DC.Title``'s language
    (A#12: "en-US" and "en") and is then dropped.
    """
    citation_lang = _tag(ctx.meta.first("citation_language"))
    dc_title = ctx.meta.text("DC.Title")
    dc_lang = ctx.page.lang
    if dc_title and dc_title == title and citation_lang and language_code(citation_lang) != ctx.page_language:
        dc_lang = citation_lang
    texts: list[_Text] = [(dc_lang, dc_title or "")]
    texts += [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all("DC.Title.Alternative")]
    heading = _tagged_heading(ctx)
    if heading is not None:  # 3.5
        shown = inner_text(heading) or ""
        subtitle = inner_text(ctx.first("subtitle", tag="h2"))
        texts.append((_tag(heading.get("lang")), f"{shown}: {subtitle}" if shown and subtitle else shown))
    for other in (
        p for block in ctx.select("page_locale_title") for p in block.iterdescendants("p") if p.get("lang")
    ):
        texts.append((_tag(other.get("lang")), inner_text(other) or ""))
    texts.append((citation_lang, title or ""))
    return rekey(_by_language(texts), ctx.tags)


def _subtitles(ctx: _Context, titles: dict[str, str]) -> dict[str, str]:
    """{language key: subtitle} for the theme's ``h2.subtitle``.

    It is in the language of the h1 (3.5 tags a fallback h1 with ``lang``), else the UI
    locale, and kept only when that language's full title contains it: the theme falls
    back silently to another locale's subtitle.
    """
    subtitle = inner_text(ctx.first("subtitle", tag="h2"))
    heading = _tagged_heading(ctx)
    lang = ctx.key(heading.get("lang")) if heading is not None else ctx.ui_tag
    title = titles.get(lang) if lang else None
    if subtitle and lang and title and subtitle.casefold() in title.casefold():
        return {lang: subtitle}
    return {}


def _by_language(texts: Iterable[_Text]) -> dict[str, str]:
    """{tag: text} keeping the first text per language (tags compared as ISO 639-1 codes)."""
    result: dict[str, str] = {}
    seen: set[str | None] = set()
    for lang, text in texts:
        code = language_code(lang)
        if lang and text and code not in seen:
            seen.add(code)
            result[lang] = text
    return result


def _block_lang(ctx: _Context, block: etree._Element) -> str | None:
    """The language of a theme block: its content's ``lang`` (3.5), else the page's."""
    tagged = find(block, f".//*[@lang and not({by_class('label')})]")
    if tagged is not None:
        return _tag(tagged.get("lang"))
    return ctx.page.lang


def _abstracts(ctx: _Context) -> list[_Text]:
    """Every abstract the page shows or tags, theme blocks (with paragraphs) first.

    Theme: 3.x ``.item.abstract`` (3.5 adds one per language when multilingual metadata is
    shown, and one for the plain-language summary, which comes after the abstract and so
    never wins its language); OJS 2 ``#articleAbstract``.  Tags: ``DC.Description`` (all
    versions) and ``citation_abstract`` (3.4+), double-escaped and with paragraphs run
    together (README quirks 1 and 2), cleaned by ``clean_text``.
    """
    blocks = ctx.items("abstract") + ctx.page.index.with_id("articleAbstract")
    found: list[_Text] = []
    for block in blocks:
        text = paragraphs(block)
        if text:
            found.append((_block_lang(ctx, block), text))
    for name in ("DC.Description", "citation_abstract"):
        found += [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all(name)]
    return [(lang, text) for lang, text in found if text]


def _abstract(ctx: _Context, abstracts: list[_Text]) -> str | None:
    """The abstract in the submission language when the page has one, else the first shown."""
    for _, text in _in_language(abstracts, ctx.language):
        return text
    return abstracts[0][1] if abstracts else None


def _in_language(texts: list[_Text], language: str | None) -> list[_Text]:
    return [(lang, text) for lang, text in texts if language and language_code(lang) == language]


def _pick_language(ctx: _Context, texts: list[_Text]) -> list[str]:
    """The texts in the submission language, else the page's, else the first text's."""
    for language in (ctx.language, ctx.page_language):
        chosen = _in_language(texts, language)
        if chosen:
            return [text for _, text in chosen]
    first = texts[0][0] if texts else None
    return [text for lang, text in texts if lang == first]


def _keywords(ctx: _Context) -> tuple[str, ...]:
    """Keywords in display order: ``citation_keywords``, else ``DC.Subject``, else the theme.

    3.3 tags only the UI locale's keywords, 3.5 every locale's (so a language is picked);
    OJS 2 splits its "a; b; c" subject field into tags.  The theme's block is split on
    commas as shown (OJS 2's ``#articleSubject`` on semicolons).
    """
    for name in ("citation_keywords", "DC.Subject"):
        tagged = [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all(name)]
        chosen = _pick_language(ctx, [(lang, text) for lang, text in tagged if text])
        if chosen:
            return tuple(dict.fromkeys(chosen))
    shown: list[_Text] = []
    for block in ctx.items("keywords"):
        value = find(block, f".//*[{by_class('value')}]")
        shown.append((_block_lang(ctx, block), inner_text(value) or ""))
    subject = inner_text(find(ctx.page.root, "//*[@id='articleSubject']/div"))
    if subject:
        shown.append((ctx.page.lang, subject.replace(";", ",")))
    chosen = _pick_language(ctx, [(lang, text) for lang, text in shown if text])
    words = [word.strip() for text in chosen[:1] for word in text.split(",")]
    return tuple(dict.fromkeys(word for word in words if word))


def _keywords_by_language(ctx: _Context) -> dict[str, tuple[str, ...]]:
    """{language key: keywords in order}: ``DC.Subject``, then ``citation_keywords`` for the
    languages it lacks, then the theme's block (see the module docstring)."""
    found: dict[str, tuple[str, ...]] = {}
    for name in ("DC.Subject", "citation_keywords"):
        grouped: dict[str, list[str]] = {}
        for meta in ctx.meta.all(name):
            lang, text = ctx.key(meta.lang), clean_text(meta.content)
            if lang and text:
                grouped.setdefault(lang, []).append(text)
        for lang, words in grouped.items():
            found.setdefault(lang, tuple(dict.fromkeys(words)))
    for block in ctx.items("keywords"):
        lang = ctx.key(_block_lang(ctx, block))
        text = inner_text(find(block, f".//*[{by_class('value')}]")) or ""
        shown = tuple(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))
        if lang and shown and lang not in found and shown not in found.values():  # not a fallback
            found[lang] = shown
    return found


def _published(ctx: _Context) -> str | None:
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


def _doi(ctx: _Context) -> str | None:
    """``citation_doi``, ``DC.Identifier.DOI``, else the theme's DOI link (3.x, OJS 2 pub-id)."""
    for value in ctx.meta.values("citation_doi") + ctx.meta.values("DC.Identifier.DOI"):
        doi = normalize_doi(value)
        if doi:
            return doi
    block = ctx.item("doi")
    links = find_all(block, ".//a[@href]") if block is not None else []
    links += [link for link in ctx.page.index.with_id("pub-id::doi") if link.tag == "a"]
    return next((doi for doi in (normalize_doi(link.get("href")) for link in links) if doi), None)


def _landing_url(ctx: _Context) -> str | None:
    """The canonical landing URL: ``citation_abstract_html_url``, ``DC.Identifier.URI``, the page."""
    candidates = ctx.meta.values("citation_abstract_html_url") + ctx.meta.values("DC.Identifier.URI")
    for candidate in [*candidates, ctx.page.url]:
        url = article_url(absolute_url(candidate, ctx.page.url))
        if url:
            return url
    return None


def _ojs_id(ctx: _Context, landing: str | None) -> int | None:
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


def _rights(ctx: _Context) -> tuple[str | None, str | None]:
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


def _section(ctx: _Context) -> str | None:
    """The theme's section (3.x ``.item.issue``: the sub-item after the issue link, whose
    value is plain text), else ``DC.Type.articleType`` (the section in the journal's
    primary locale)."""
    block = ctx.item("issue")
    for sub in find_all(block, f".//*[{by_class('sub_item')}]") if block is not None else []:
        value = find(sub, f".//*[{by_class('value')}]")
        if value is not None and not find_all(value, ".//a | .//ul"):
            return inner_text(value)
    return ctx.meta.text("DC.Type.articleType")


def _pages(ctx: _Context) -> str | None:
    """The pages as stored: ``DC.Identifier.pageNumber``, else "first-last" from the
    Google Scholar tags (equal pages, as in "e101", give one)."""
    stored = ctx.meta.text("DC.Identifier.pageNumber")
    if stored:
        return stored
    first, last = ctx.meta.text("citation_firstpage"), ctx.meta.text("citation_lastpage")
    if first and last and first != last:
        return f"{first}-{last}"
    return first or last


def _issns(ctx: _Context) -> tuple[str, ...]:
    values = ctx.meta.values("citation_issn") + ctx.meta.values("DC.Source.ISSN")
    return tuple(dict.fromkeys(issn for issn in map(normalize_issn, values) if issn))


def _issue_link(ctx: _Context) -> tuple[str | None, str | None]:
    """(issue TOC URL, identification text): 3.x ``.item.issue a.title``, else the
    breadcrumbs' issue link (3.x ``.cmp_breadcrumbs``, OJS 2 ``#breadcrumb``), else the
    first link to an issue's TOC with text (OJS 2 sidebars come before the content)."""
    block = ctx.item("issue")
    titled = find_all(block, f".//a[{by_class('title')}]") if block is not None else []
    crumbs = ctx.page.index.with_id("breadcrumb") + ctx.page.index.select("cmp_breadcrumbs")
    crumbed = (link for crumb in crumbs for link in crumb.iterdescendants("a"))
    for link in itertools.chain(titled, crumbed, ctx.page.root.iter("a")):
        href = link.get("href")
        url = issue_url(absolute_url(href, ctx.page.url)) if href else None
        text = inner_text(link)
        if url and text:
            return url, text
    return None, None


def _issue(ctx: _Context) -> IssueRef | None:
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
