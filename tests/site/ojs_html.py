"""The HTML side of the OJS simulator: OJS 3.3.0-11 default-theme pages, galley files, ground truth.

The markup copies the structure of the pages recorded from a real 3.3.0-11 install
(``shared/samples/sites/jsas_ojs3.3.0-11``): the generator meta, the Google Scholar ``citation_*`` and
Dublin Core ``DC.*`` meta tags (with OJS's double-escaped ``DC.Description`` and its year-only
``citation_date``), the default theme's classes, the pdf.js galley page with its JSON-escaped
``pdfUrl`` and PHP-urlencoded download names. Pages are f-strings over values escaped the way OJS
escapes them (PHP ``htmlspecialchars``); no template engine.

:func:`route` maps a request path to a :class:`Page` (``ojs_site`` adds validators, faults and the
request log); ``expected_*`` build the ``harvester.model`` objects the HTML parser must produce
(the field conventions of ``harvester.parse.html``); :func:`enrich_journal` draws the data only
pages show (affiliations, ORCIDs, bios, subtitles, a title prefix, French abstracts, paragraph
breaks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from harvester.model import ArchivePage, Article, Author, Galley, IssuePage, IssueRef, TocEntry, record_json

if TYPE_CHECKING:
    from tests.site.ojs_releases import Release
    from tests.site.ojs_site import OjsSite, SimArticle, SimAuthor, SimIssue, SimJournal

__all__ = [
    "Page",
    "as_json",
    "citation_text",
    "expected_archive",
    "expected_article",
    "expected_issue",
    "file_name",
    "pdf_bytes",
    "record",
    "route",
]

GENERATOR = "Open Journal Systems 3.3.0.11"  # the markup's release; others: _released
PAGE_TYPE = "text/html; charset=utf-8"  # what OJS sends with pages
PLAIN_TYPE = "text/html; charset=UTF-8"  # ... and with redirects, bare 404s and HTML galley files
NOT_FOUND = b"<h1>404 Not Found</h1>"
_LABELS = {"application/pdf": "PDF", "text/html": "HTML", "application/epub+zip": "EPUB"}
_LICENSES = {
    "https://creativecommons.org/licenses/by/4.0/": ("by", "Attribution"),
    "https://creativecommons.org/licenses/by-nc-nd/4.0/": (
        "by-nc-nd",
        "Attribution-NonCommercial-NoDerivatives",
    ),
}


def _e(text: object) -> str:
    """PHP ``htmlspecialchars(ENT_QUOTES)``, which is how OJS escapes what it writes."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def _stored(text: str, *, raw_amp: bool = False) -> str:
    """Plain text as OJS stores it in rich-text fields (entities for &, <, >; quotes as they are)."""
    if not raw_amp:
        text = text.replace("&", "&amp;")
    return text.replace("<", "&lt;").replace(">", "&gt;")


# ----------------------------------------------------------------------------------------------------
# Page frame
# ----------------------------------------------------------------------------------------------------

_SCRIPTS = "".join(
    f'<script src="{{base}}/{path}?v=3.3.0.11" type="text/javascript"></script>'
    for path in (
        "lib/pkp/lib/vendor/components/jquery/jquery.min.js",
        "lib/pkp/lib/vendor/components/jqueryui/jquery-ui.min.js",
        "plugins/themes/default/js/lib/popper/popper.js",
        "plugins/themes/default/js/lib/bootstrap/util.js",
        "plugins/themes/default/js/lib/bootstrap/dropdown.js",
        "plugins/themes/default/js/main.js",
    )
)


def _styles(journal: SimJournal) -> str:
    return (
        f'  <link rel="stylesheet" href="{journal.url}/$$$call$$$/page/page/css?name=stylesheet" '
        f'type="text/css" /><link rel="stylesheet" href="{journal.base_url}/lib/pkp/styles/fontawesome/'
        'fontawesome.css?v=3.3.0.11" type="text/css" />\n'
    )


def _nav_item(href: str, label: str) -> str:
    return f'      <li class="">\n        <a href="{href}">\n          {label}\n        </a>\n      </li>\n'


def _site_header(journal: SimJournal, *, home: bool) -> str:
    url = journal.url
    screen_reader = f'        <h1 class="pkp_screen_reader">\n          {_e(journal.title)}\n        </h1>\n'
    about = [("", "About the Journal"), ("/submissions", "Submissions"), ("/contact", "Contact")]
    return (
        '    <header class="pkp_structure_head" id="headerNavigationContainer" role="banner">\n'
        '      <nav class="cmp_skip_to_content" aria-label="Jump to content links">\n'
        '  <a href="#pkp_content_main">Skip to main content</a>\n'
        '  <a href="#siteNav">Skip to main navigation menu</a>\n'
        '  <a href="#pkp_content_footer">Skip to site footer</a>\n</nav>\n'
        '      <div class="pkp_head_wrapper">\n        <div class="pkp_site_name_wrapper">\n'
        '          <button class="pkp_site_nav_toggle">\n            <span>Open Menu</span>\n'
        f"          </button>\n{screen_reader if home else ''}"
        f'          <div class="pkp_site_name">\n            <a href="      {url}/index\n          " '
        f'class="is_text">{_e(journal.title)}</a>\n          </div>\n        </div>\n'
        '        <nav class="pkp_site_nav_menu" aria-label="Site Navigation">\n'
        '          <a id="siteNav"></a>\n'
        '    <ul id="navigationPrimary" class="pkp_navigation_primary pkp_nav_list">\n'
        f"{_nav_item(f'{url}/issue/current', 'Current')}{_nav_item(f'{url}/issue/archive', 'Archives')}"
        f'      <li class="">\n        <a href="{url}/about">\n          About\n        </a>\n        <ul>\n'
        + "".join(_nav_item(f"{url}/about{sub}", label) for sub, label in about)
        + "        </ul>\n      </li>\n    </ul>\n"
        '    <ul id="navigationUser" class="pkp_navigation_user pkp_nav_list">\n'
        f"{_nav_item(f'{url}/user/register', 'Register')}{_nav_item(f'{url}/login', 'Login')}    </ul>\n"
        "        </nav>\n      </div><!-- .pkp_head_wrapper -->\n    </header><!-- .pkp_structure_head -->\n"
    )


def _frame(
    journal: SimJournal, title: str, body_class: str, main: str, *, head: str = "", home: bool = False
) -> str:
    """A whole default-theme page around ``main``; ``title`` is plain text."""
    full = _e(journal.title) if home else f"{_e(title)}\n              | {_e(journal.title)}"
    base = journal.base_url
    citation_js = (
        f'<script src="{base}/plugins/generic/citationStyleLanguage/js/articleCitation.js?v=3.3.0.11" '
        'type="text/javascript"></script>'
        if "pkp_page_article" in body_class
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-US" xml:lang="en-US">\n<head>\n  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f'  <title>\n    {full}\n      </title>\n\n<meta name="generator" content="{GENERATOR}">\n{head}'
        f'{_styles(journal)}</head>\n<body class="{body_class}" dir="ltr">\n\n'
        '  <div class="pkp_structure_page">\n'
        f"{_site_header(journal, home=home)}"
        '    <div class="pkp_structure_content">\n      <div class="pkp_structure_main" role="main">\n'
        f'        <a id="pkp_content_main"></a>\n\n{main}\n  </div><!-- pkp_structure_main -->\n\n'
        "    </div><!-- pkp_structure_content -->\n\n"
        '<div class="pkp_structure_footer_wrapper" role="contentinfo">\n  <a id="pkp_content_footer"></a>\n'
        '  <div class="pkp_structure_footer">\n    <div class="pkp_brand_footer" role="complementary">\n'
        f'      <a href="{journal.url}/about/aboutThisPublishingSystem">\n        <img alt="More information '
        'about the publishing system, Platform and Workflow by OJS/PKP." '
        f'src="{base}/templates/images/ojs_brand.png">\n      </a>\n    </div>\n  </div>\n'
        "</div><!-- pkp_structure_footer_wrapper -->\n\n</div><!-- pkp_structure_page -->\n\n"
        f"{_SCRIPTS.format(base=base)}{citation_js}\n\n</body>\n</html>\n"
    )


def _crumbs(journal: SimJournal, links: list[tuple[str, str]], current: str) -> str:
    items = "".join(
        f'    <li>\n      <a href="{href}">\n        {_e(label)}\n      </a>\n'
        '      <span class="separator">/</span>\n    </li>\n'
        for href, label in [(f"{journal.url}/index", "Home"), *links]
    )
    return (
        '  <nav class="cmp_breadcrumbs" role="navigation" aria-label="You are here:">\n  <ol>\n'
        f'{items}    <li class="current" aria-current="page">\n      <span aria-current="page">\n'
        f"        {_e(current)}\n      </span>\n    </li>\n  </ol>\n</nav>\n"
    )


# ----------------------------------------------------------------------------------------------------
# Journal home, issue archive, issue table of contents
# ----------------------------------------------------------------------------------------------------


def _cover(issue: SimIssue) -> str:
    cover = issue.cover_url()
    if cover is None:
        return ""
    alt = _e(f"View {issue.identification}")
    return f'  <a class="cover" href="{issue.url()}">\n    <img src="{cover}" alt="{alt}">\n  </a>\n'


def _galley_link(art: SimArticle, galley_id: int, mime: str, *, labelled: bool) -> str:
    kind = "pdf" if mime == "application/pdf" else "file"  # the 3.3 theme has no other classes
    aria = f" aria-labelledby=article-{art.id}" if labelled else ""
    label = _LABELS.get(mime, "File")
    href = art.galley_url(galley_id)
    return f'\n<a class="obj_galley_link {kind}" href="{href}"{aria}>\n\n    \n  {label}\n\n  </a>\n'


def _summary(art: SimArticle, heading: int) -> str:
    """``obj_article_summary``: one article in a table of contents."""
    title = _e(f"{art.prefix} {art.title}" if art.prefix else art.title)
    if art.subtitle:
        title += f'\n              <span class="subtitle">\n          {_e(art.subtitle)}\n        </span>'
    pages = f'              <div class="pages">\n        {_e(art.pages)}\n      </div>\n' if art.pages else ""
    galleys = "".join(
        f"                          <li>\n{_galley_link(art, gid, mime, labelled=True)}        </li>\n"
        for gid, mime in art.galleys
    )
    return (
        f'\n<div class="obj_article_summary">\n  \n  <h{heading} class="title">\n'
        f'    <a id="article-{art.id}" href="{art.url()}">\n      {title}\n    </a>\n  </h{heading}>\n\n'
        f'    <div class="meta">\n        <div class="authors">\n      '
        f"{_e(', '.join(a.name for a in art.authors))}\n    </div>\n    \n{pages}    \n  </div>\n"
        + (f'  \n      <ul class="galleys_links">\n{galleys}          </ul>\n' if galleys else "")
        + "  \n  \n</div>\n"
    )


def _issue_toc(issue: SimIssue, section_heading: int) -> str:
    """``obj_issue_toc``: heading (cover, description, published) and the sections' articles."""
    description = (
        f'      <div class="description">\n        <p>{_stored(issue.description)}</p>\n      </div>\n'
        if issue.description
        else ""
    )
    sections = []
    for title in issue.sections():
        items = "".join(
            f"                  <li>\n{_summary(a, section_heading + 1)}          </li>\n"
            for a in issue.articles
            if a.section_title == title
        )
        sections.append(
            f'      <div class="section">\n                  <h{section_heading}>\n          {_e(title)}\n'
            f'        </h{section_heading}>\n            <ul class="cmp_article_list articles">\n'
            f"{items}              </ul>\n        </div>\n"
        )
    return (
        '  <div class="obj_issue_toc">\n\n    \n    <div class="heading">\n\n'
        f"{_cover(issue)}{description}"
        '              <div class="published">\n        <span class="label">\n          Published:\n'
        f'        </span>\n        <span class="value">\n          {issue.published}\n        </span>\n'
        f'      </div>\n      </div>\n\n    \n    <div class="sections">\n{"".join(sections)}'
        "    </div><!-- .sections -->\n</div>\n"
    )


def home_page(journal: SimJournal, current: SimIssue | None) -> str:
    """The journal's home page: the current issue's table of contents and a link to the archive."""
    feeds = "".join(
        f'<link rel="alternate" type="application/{kind}+xml" '
        f'href="{journal.url}/gateway/plugin/WebFeedGatewayPlugin/{name}">\n'
        for kind, name in (("atom", "atom"), ("rdf", "rss"), ("rss", "rss2"))
    )
    section = ""
    if current is not None:
        section = (
            '    <section class="current_issue">\n      <a id="homepageIssue"></a>\n      <h2>\n'
            '        Current Issue\n      </h2>\n      <div class="current_issue_title">\n'
            f"        {_e(current.identification)}\n      </div>\n{_issue_toc(current, 3)}"
            f'      <a href="{journal.url}/issue/archive" class="read_more">\n        View All Issues\n'
            "      </a>\n    </section>\n"
        )
    main = f'<div class="page_index_journal">\n\n{section}\n    </div><!-- .page -->\n'
    return _frame(journal, journal.title, "pkp_page_index pkp_op_index", main, head=feeds, home=True)


def _issue_summary(issue: SimIssue) -> str:
    series = (
        f'          <div class="series">\n        {_e(issue.identification.split(": ")[0])}\n      </div>\n'
    )
    description = f"<p>{_stored(issue.description)}</p>" if issue.description else ""
    return (
        f'\n<div class="obj_issue_summary">\n\n{_cover(issue)}  \n  <h2>\n'
        f'    <a class="title" href="{issue.url()}">\n      {_e(issue.title or issue.identification)}\n'
        f"          </a>\n{series if issue.title else ''}      </h2>\n\n"
        f'  <div class="description">\n    {description}\n  </div>\n'
        "</div><!-- .obj_issue_summary -->\n"
    )


def _pagination(journal: SimJournal, page: int, size: int, total: int) -> str:
    if total <= size:
        return ""
    archive = f"{journal.url}/issue/archive"
    prev = ""
    if page > 1:
        href = archive if page == 2 else f"{archive}/{page - 1}"
        prev = f'          <a class="prev" href="{href}">Previous</a>\n'
    following = (
        f'          <a class="next" href="{archive}/{page + 1}">Next</a>\n' if page * size < total else ""
    )
    shown = f"{(page - 1) * size + 1}-{min(page * size, total)} of {total}"
    return (
        '                            <div class="cmp_pagination" aria-label="View additional pages">\n'
        f'{prev}        <span class="current">\n      {shown}\n    </span>\n{following}      </div>\n'
    )


def archive_page(
    journal: SimJournal, issues: list[SimIssue], page: int, size: int, *, themed: bool = False
) -> str:
    """``/issue/archive[/N]``: ``size`` issues per page, newest first; past the end, an empty list.

    ``themed``: a theme's own archive template around OJS's issue summaries, with paging
    controls of its own (no ``page_issue_archive`` wrapper, no ``cmp_pagination``)."""
    shown = issues[(page - 1) * size : page * size]
    heading = "Archives" if page == 1 else f"Archives - Page {page}"
    if shown:
        items = "".join(f"              <li>\n{_issue_summary(i)}        </li>\n" for i in shown)
        listing = f'        <ul class="issues_archive">\n{items}          </ul>\n'
        listing += "" if themed else _pagination(journal, page, size, len(issues))
    else:
        listing = "        <p>This journal has not published any issues.</p>\n"
    wrapper = "theme_archive" if themed else "page page_issue_archive"
    main = (
        f'<div class="{wrapper}">\n{_crumbs(journal, [], heading)}\n  <h1>\n'
        f"          {heading}\n  \n  </h1>\n\n{listing}  </div>\n"
    )
    return _frame(journal, heading, "pkp_page_issue pkp_op_archive", main)


def issue_page(issue: SimIssue) -> str:
    """``/issue/view/ID``: the issue's table of contents."""
    journal = issue.journal
    archive = [(f"{journal.url}/issue/archive", "Archives")]
    main = (
        f'<div class="page page_issue">\n\n        {_crumbs(journal, archive, issue.identification)}'
        f"    <h1>\n      {_e(issue.identification)}\n    </h1>\n      {_issue_toc(issue, 2)}  </div>\n"
    )
    return _frame(journal, issue.identification, "pkp_page_issue pkp_op_view", main)


# ----------------------------------------------------------------------------------------------------
# Article page
# ----------------------------------------------------------------------------------------------------


def _meta(name: str, content: object, extra: str = "") -> str:
    return f'<meta name="{name}"{extra} content="{_e(content)}"/>\n'


def _page_range(pages: str) -> tuple[str, str]:
    first, _, last = pages.partition("-")
    return first, last or first


def _abstract_html(art: SimArticle) -> str:
    """The abstract as stored (rich text): one ``<p>`` per paragraph, or ``<br>`` / a ``<ul>``."""
    paras = [_stored(p, raw_amp=art.raw_amp) for p in art.paragraphs]
    if art.abstract_style == "br":
        return f"<p>{'<br>'.join(paras)}</p>"
    if art.abstract_style == "ul" and len(paras) > 1:
        return f"<p>{paras[0]}</p><ul>{''.join(f'<li>{p}</li>' for p in paras[1:])}</ul>"
    return "".join(f"<p>{p}</p>" for p in paras)


def _bio_html(bio: str) -> str:
    return "".join(f"<p>{_stored(p)}</p>" for p in bio.split("\n\n"))


def _scholar_meta(art: SimArticle) -> str:
    """The Google Scholar plugin's ``citation_*`` tags."""
    journal = art.owner
    assert journal is not None
    out = '<meta name="gs_meta_revision" content="1.1"/>\n' + _meta("citation_journal_title", journal.title)
    if journal.abbrev:
        out += _meta("citation_journal_abbrev", journal.abbrev)
    issn = journal.issn_online or journal.issn_print
    out += _meta("citation_issn", issn).replace("\n", " \n") if issn else ""
    for author in art.authors:
        out += _meta("citation_author", author.name)
        out += _meta("citation_author_institution", author.affiliation) if author.affiliation else ""
    # OJS quirk (recorded A#6): an article date in another year than its issue gives the issue's year only.
    same_year = art.published[:4] == str(art.year)
    out += _meta("citation_title", art.full_title) + _meta("citation_language", "en")
    out += _meta("citation_date", art.published.replace("-", "/") if same_year else art.year)
    out += _meta("citation_volume", art.volume) + _meta("citation_issue", art.number)
    if art.pages:
        first, last = _page_range(art.pages)
        out += _meta("citation_firstpage", first) + _meta("citation_lastpage", last)
    out += _meta("citation_doi", art.doi) if art.doi else ""
    out += _meta("citation_abstract_html_url", art.url())
    if art.abstract and journal.release.citation_abstract:  # tags stripped, escaped twice (quirk 1)
        stripped = re.sub(r"<[^>]*>", "", _abstract_html(art))
        out += _meta("citation_abstract", stripped, f' xml:lang="{journal.release.meta_lang("en")}"')
    out += _citation_keywords(art, journal.release)
    pdfs = [gid for gid, mime in art.galleys if mime == "application/pdf"]
    out += "".join(_meta("citation_pdf_url", art.download_url(gid)) for gid in pdfs)
    # HTML galleys: their view page (recorded: 3.3.0-11 #13, 3.5.0-1 #307).
    pages = [gid for gid, mime in art.galleys if mime == "text/html"]
    out += "".join(_meta("citation_fulltext_html_url", art.galley_url(gid)) for gid in pages)
    # pkp/googleScholar (7c9dddc, pinned by 3_3_0-11): one tag per citation, its raw text, last.
    return out + "".join(_meta("citation_reference", c) for c in art.references)


def _citation_keywords(art: SimArticle, release: Release) -> str:
    """``citation_keywords``: the UI locale's (3.3), or every locale's with keyword i of a later locale
    replacing keyword i of an earlier one in its place (3.4+; ``Release.keywords_every_locale``)."""
    if not release.keywords_every_locale:
        return "".join(_meta("citation_keywords", k, ' xml:lang="en"') for k in art.keywords)
    slots: dict[int, str] = {}
    for language, keywords in (("en", art.keywords), ("fr", art.keywords_fr)):
        for i, keyword in enumerate(keywords):
            slots[i] = _meta("citation_keywords", keyword, f' xml:lang="{release.meta_lang(language)}"')
    return "".join(slots.values())


def _dublin_core_meta(art: SimArticle, issue: SimIssue | None) -> str:
    """The Dublin Core plugin's ``DC.*`` tags (``DC.Description``: tags stripped, escaped twice)."""
    journal = art.owner
    assert journal is not None
    release = journal.release
    en, fr = f' xml:lang="{release.meta_lang("en")}"', f' xml:lang="{release.meta_lang("fr")}"'
    submitted = date.fromisoformat(art.published) - timedelta(days=120)
    out = '<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/" />\n'
    out += "".join(_meta("DC.Creator.PersonalName", a.name) for a in art.authors)
    iso = ' scheme="ISO8601"'
    out += _meta("DC.Date.created", art.published, iso) + _meta("DC.Date.dateSubmitted", submitted, iso)
    out += _meta("DC.Date.issued", issue.published, iso) if issue else ""
    out += _meta("DC.Date.modified", art.modified.date().isoformat(), iso)
    if art.abstract:  # OJS quirk (recorded quirks 1, 2): strip_tags runs paragraphs together, then escapes
        stripped = re.sub(r"<[^>]*>", "", _abstract_html(art))
        out += _meta("DC.Description", stripped, en)
    out += _meta("DC.Description", _stored(art.abstract_fr), fr) if art.abstract_fr else ""
    out += "".join(_meta("DC.Format", mime, ' scheme="IMT"') for _, mime in art.galleys)
    out += _meta("DC.Identifier", art.id)
    out += _meta("DC.Identifier.pageNumber", art.pages) if art.pages else ""
    out += _meta("DC.Identifier.DOI", art.doi) if art.doi else ""
    scheme = ' scheme="rfc5646"' if release.bcp47_meta else ' scheme="ISO639-1"'
    out += _meta("DC.Identifier.URI", art.url()) + _meta("DC.Language", "en", scheme)
    out += _meta("DC.Rights", art.copyright) if art.copyright else ""
    out += _meta("DC.Rights", art.license_url) + _meta("DC.Source", journal.title)
    issn = journal.issn_online or journal.issn_print
    out += _meta("DC.Source.ISSN", issn) if issn else ""
    out += _meta("DC.Source.Issue", art.number) + _meta("DC.Source.Volume", art.volume)
    out += _meta("DC.Source.URI", journal.url)
    out += "".join(_meta("DC.Subject", k, en) for k in art.keywords)
    out += (
        "".join(_meta("DC.Subject", k, fr) for k in art.keywords_fr) if release.keywords_every_locale else ""
    )
    out += _meta("DC.Title", art.full_title)
    out += _meta("DC.Title.Alternative", art.title_fr, fr) if art.title_fr else ""
    return out + _meta("DC.Type", "Text.Serial.Journal") + _meta("DC.Type.articleType", art.section_title)


def _authors_block(art: SimArticle) -> str:
    items = []
    for author in art.authors:
        item = f'            <li>\n              <span class="name">\n                {_e(author.name)}\n'
        item += "              </span>\n"
        if author.affiliation:
            item += (
                f'                <span class="affiliation">\n                  {_e(author.affiliation)}\n'
            )
            item += "                  </span>\n"
        if author.orcid:
            link = f"https://orcid.org/{author.orcid}"
            item += (
                f'                <span class="orcid">\n                  <a href="{link}" target="_blank">\n'
            )
            item += f"                    {link}\n                  </a>\n                </span>\n"
        items.append(item + "            </li>\n")
    return (
        '              <section class="item authors">\n          <h2 class="pkp_screen_reader">Authors</h2>\n'
        f'          <ul class="authors">\n{"".join(items)}            </ul>\n        </section>\n'
    )


def _label_block(item: str, label: str, value: str) -> str:
    return (
        f'        <section class="item {item}">\n          <h2 class="label">\n            {label}\n'
        f"          </h2>\n{value}        </section>\n"
    )


def _bios_block(authors: list[SimAuthor]) -> str:
    with_bio = [a for a in authors if a.bio]
    if not with_bio:
        return ""
    subs = []
    for author in with_bio:
        name = _e(author.name)
        if author.affiliation:
            name += f', <span class="affiliation">{_e(author.affiliation)}</span>'
        assert author.bio is not None
        subs.append(
            f'              <section class="sub_item">\n                <h3 class="label">\n'
            f"                  {name}\n                  </h3>\n"
            f'                <div class="value">\n                  {_bio_html(author.bio)}\n'
            "                </div>\n              </section>\n"
        )
    label = "Author Biographies" if len(with_bio) > 1 else "Author Biography"
    return _label_block("author_bios", label, "".join(subs))


def _main_entry(art: SimArticle) -> str:
    out = _authors_block(art)
    if art.doi:
        link = f"https://doi.org/{_e(art.doi)}"
        value = f'          <span class="value">\n            <a href="{link}">\n              {link}\n'
        out += _label_block("doi", "DOI:", value + "            </a>\n          </span>\n")
    if art.keywords:
        shown = ", \t\t\t\t".join(_e(k) for k in art.keywords)
        out += _label_block(
            "keywords", "Keywords:", f'        <span class="value">\n          {shown}  </span>\n'
        )
    if art.abstract:
        out += (
            '              <section class="item abstract">\n          <h2 class="label">Abstract</h2>\n'
            f"          {_abstract_html(art)}\n        </section>\n"
        )
    return out + _bios_block(art.authors) + _references_block(art)


# pkp-lib classes/citation/Citation ``getCitationWithLinks`` (3_3_0-11 .inc.php; same in 3_4_0-8, 3_5_0-1).
_CITATION_URL_RE = re.compile(r"(http|https|ftp)://[\d\w\.-]+\.[\w\.]{2,6}[^\s\]\[\<\>]*/?")


def _with_links(citation: str) -> str:
    """A raw citation as ``getCitationWithLinks`` shows it: bare URLs linked, a trailing . or , left out."""

    def link(match: re.Match[str]) -> str:
        url = match[0].rstrip(".,")
        return f'<a href="{url}">{url}</a>{match[0][len(url) :]}'

    return _CITATION_URL_RE.sub(link, _e(citation))


def _references_block(art: SimArticle) -> str:
    """The References section: one ``<p>`` per citation (templates/frontend/objects/
    article_details.tpl at 3_3_0-11, 3_4_0-8, 3_5_0-1; recorded jsas #1, ajpa #301)."""
    if not art.references:
        return ""
    paragraphs = "".join(f"\t\t\t\t\t\t\t<p>{_with_links(c)} </p>\n" for c in art.references)
    value = f'\t\t\t\t\t<div class="value">\n{paragraphs}\t\t\t\t\t</div>\n'
    return _label_block("references", "References", value)


def _citation_block(art: SimArticle) -> str:
    base = art.owner.url if art.owner else ""
    styles = "".join(
        f'                  <li>\n                    <a aria-controls="citationOutput" href="{base}'
        f'/citationstylelanguage/get/{style}?submissionId={art.id}&amp;publicationId={art.id}" '
        f"data-load-citation>\n          {label}\n        </a>\n      </li>\n"
        for style, label in (
            ("acm-sig-proceedings", "ACM"),
            ("apa", "APA"),
            ("chicago-author-date", "Chicago"),
        )
    )
    return (
        '        <div class="item citation">\n          <section class="sub_item citation_display">\n'
        '            <h2 class="label">\n              How to Cite\n            </h2>\n'
        '            <div class="value">\n'
        '              <div id="citationOutput" role="region" aria-live="polite">\n'
        f'                <div class="csl-bib-body">\n'
        f'  <div class="csl-entry">{_cite(art, markup=True)}</div>\n'
        '</div>\n              </div>\n              <div class="citation_formats">\n'
        '        <button class="cmp_button citation_formats_button" aria-controls="cslCitationFormats" '
        'aria-expanded="false" data-csl-dropdown="true">\n                  More Citation Formats\n'
        '        </button>\n        <div id="cslCitationFormats" class="citation_formats_list" '
        f'aria-hidden="true">\n                  <ul class="citation_formats_styles">\n{styles}'
        "                  </ul>\n                </div>\n              </div>\n            </div>\n"
        "          </section>\n        </div>\n"
    )


def _sub_item(label: str, value: str) -> str:
    return (
        f'            <section class="sub_item">\n              <h2 class="label">\n                {label}\n'
        f'              </h2>\n              <div class="value">\n{value}              </div>\n'
        "            </section>\n"
    )


def _license_block(art: SimArticle) -> str:
    code, name = _LICENSES.get(art.license_url, ("", ""))
    link = f'<a rel="license" href="{_e(art.license_url)}">'
    if code:
        notice = (
            f'{link}<img alt="Creative Commons License" src="//i.creativecommons.org/l/{code}/4.0/88x31.png"'
            f" /></a><p>This work is licensed under a {link}Creative Commons {name} 4.0 International"
            " License</a>.</p>"
        )
    else:
        notice = f"<p>{link}{_e(art.license_url)}</a></p>"
    copyright_line = f"          <p>{_e(art.copyright)}</p>\n" if art.copyright else ""
    return (
        '              <div class="item copyright">\n          <h2 class="label">\n            License\n'
        f"          </h2>\n{copyright_line}            {notice}\n        </div>\n"
    )


def _entry_details(art: SimArticle, issue: SimIssue | None) -> str:
    out = ""
    if issue is not None and issue.cover:
        out += (
            '        <div class="item cover_image">\n          <div class="sub_item">\n'
            f'            <a href="{issue.url()}">\n              <img src="{issue.cover_url()}" alt="">\n'
            "            </a>\n          </div>\n        </div>\n"
        )
    if art.galleys:
        links = "".join(
            f"              <li>\n{_galley_link(art, gid, mime, labelled=False)}              </li>\n"
            for gid, mime in art.galleys
        )
        out += (
            '              <div class="item galleys">\n          <h2 class="pkp_screen_reader">\n'
            f'            Downloads\n          </h2>\n          <ul class="value galleys_links">\n{links}'
            "                      </ul>\n        </div>\n"
        )
    published = f"                              <span>{art.published}</span>\n"
    out += (
        f'            <div class="item published">\n{_sub_item("Published", published)}              </div>\n'
    )
    out += _citation_block(art)
    base = art.owner.url if art.owner else ""
    issue_link = base + (f"/issue/view/{issue.id}" if issue else "/issue/archive")
    identification = f"Vol. {art.volume} No. {art.number} ({art.year})"
    identification += f": {art.issue_title}" if art.issue_title else ""
    issue_value = (
        f'                <a class="title" href="{issue_link}">\n                  {_e(identification)}\n'
    )
    out += '              <div class="item issue">\n'
    out += _sub_item("Issue", issue_value + "                </a>\n")
    out += _sub_item("Section", f"                {_e(art.section_title)}\n") + "          </div>\n"
    return out + _license_block(art)


def article_page(art: SimArticle, issue: SimIssue | None) -> str:
    """``/article/view/ID``: meta tags, then the theme's ``obj_article_details``."""
    journal = art.owner
    assert journal is not None
    title = _e(f"{art.prefix} {art.title}" if art.prefix else art.title)
    subtitle = f'      <h2 class="subtitle">\n      {_e(art.subtitle)}\n    </h2>\n' if art.subtitle else ""
    identification = f"Vol. {art.volume} No. {art.number} ({art.year})"
    identification += f": {art.issue_title}" if art.issue_title else ""
    crumbs = [(f"{journal.url}/issue/archive", "Archives")]
    crumbs += [(issue.url(), identification)] if issue else []
    main = (
        f'<div class="page page_article">\n      {_crumbs(journal, crumbs, art.section_title)}\n'
        f'        <article class="obj_article_details">\n  <h1 class="page_title">\n    {title}\n  </h1>\n\n'
        f'{subtitle}\n  <div class="row">\n    <div class="main_entry">\n\n{_main_entry(art)}'
        '    </div><!-- .main_entry -->\n\n    <div class="entry_details">\n\n'
        f"{_entry_details(art, issue)}    </div><!-- .entry_details -->\n  </div><!-- .row -->\n\n"
        "</article>\n\n</div><!-- .page -->\n"
    )
    head = _scholar_meta(art) + _dublin_core_meta(art, issue)
    return _frame(journal, art.full_title, "pkp_page_article pkp_op_view", main, head=head)


# ----------------------------------------------------------------------------------------------------
# How to cite (the citationStyleLanguage plugin's APA output, quirks as recorded)
# ----------------------------------------------------------------------------------------------------


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _cite_name(author: SimAuthor) -> str:
    """APA's "Family, G." as citeproc-php writes it for OJS (recorded: "صدیقی ع.", "Wróbel, Łukasz")."""
    if not author.family:
        return author.given
    first = author.given[:1]
    if not _is_latin(first):  # non-Latin scripts: no comma
        return f"{author.family} {first}."
    if not first.isascii():  # a non-ASCII initial is left unabbreviated
        return f"{author.family}, {author.given}"
    return f"{author.family}, " + " ".join(f"{part[0]}." for part in author.given.split())


def _cite(art: SimArticle, *, markup: bool) -> str:
    def esc(text: str) -> str:
        return _e(text) if markup else text

    def ital(text: str) -> str:
        return f"<i>{text}</i>" if markup else text

    journal = art.owner
    assert journal is not None
    names = [esc(_cite_name(a)) for a in art.authors]
    amp = "&#38;" if markup else "&"
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f", {amp} " + names[-1] if names else ""
    who += "" if who.endswith(".") else "."
    title = art.full_title.replace("'", "\u2019")  # CSL's smart apostrophe
    title += "" if title[-1:] in ".?!" else "."
    source = f"{ital(esc(journal.title))}, {ital(esc(art.volume))}({esc(art.number)})"
    source += f", {esc(art.pages.replace('-', '–'))}" if art.pages else ""
    link = f"https://doi.org/{art.doi}" if art.doi else f"Retrieved from {art.url()}"
    return f"{who} ({art.published[:4]}). {esc(title)} {source}. {esc(link)}"


def citation_text(art: SimArticle) -> str:
    """The "How to Cite" text as the page shows it (markup removed, entities decoded)."""
    return _cite(art, markup=False)


# ----------------------------------------------------------------------------------------------------
# Galley pages and files
# ----------------------------------------------------------------------------------------------------


def pdf_view_page(art: SimArticle, galley_id: int) -> str:
    """The pdfJsViewer page of a PDF galley: no metadata, the file only via JS and the download link."""
    journal = art.owner
    assert journal is not None
    title = _e(art.full_title)
    download = art.download_url(galley_id, file=True)
    pdf_url = json.dumps(download).replace("/", "\\/")  # PHP json_encode escapes slashes
    viewer = f"{journal.base_url}/plugins/generic/pdfJsViewer/pdf.js/web/viewer.html?file="
    return (
        '<!DOCTYPE html>\n<html lang="en-US" xml:lang="en-US">\n<head>\n'
        '  <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f'  <title>View of {title}</title>\n\n  \n<meta name="generator" content="{GENERATOR}">\n'
        f"{_styles(journal)}  {_SCRIPTS.format(base=journal.base_url)}\n</head>\n"
        '<body class="pkp_page_article pkp_op_view">\n\n    <header class="header_view">\n\n'
        f'    <a href="{art.url()}" class="return">\n      <span class="pkp_screen_reader">\n'
        "                  Return to Article Details\n              </span>\n    </a>\n\n"
        f'    <a href="{art.url()}" class="title">\n      {title}\n    </a>\n\n'
        f'    <a href="{download}" class="download" download>\n      <span class="label">\n'
        '        Download\n      </span>\n      <span class="pkp_screen_reader">\n        Download PDF\n'
        '      </span>\n    </a>\n\n  </header>\n\n  <script type="text/javascript">\n'
        "    // Creating iframe's src in JS instead of Smarty so that EZProxy-using sites can find our "
        "domain in $pdfUrl and do their rewrites on it.\n    $(document).ready(function() {\n"
        f'      var urlBase = "{viewer}";\n      var pdfUrl = {pdf_url};\n'
        '      $("#pdfCanvasContainer > iframe").attr("src", urlBase + encodeURIComponent(pdfUrl));\n'
        '    });\n  </script>\n\n  <div id="pdfCanvasContainer" class="galley_view">\n'
        '        <iframe src="" width="100%" height="100%" style="min-height: 500px;" '
        f'title="PDF of {title}" '
        "allowfullscreen webkitallowfullscreen></iframe>\n  </div>\n  \n</body>\n</html>\n"
    )


def html_view_page(art: SimArticle, galley_id: int) -> str:
    """The HtmlArticleGalley page: the file in an iframe (``src`` with tabs, a newline and ?inline=1)."""
    journal = art.owner
    assert journal is not None
    title = _e(art.full_title)
    main = (
        f'    <header class="header_view">\n\n    \n    <a href="{art.url()}" class="return">\n'
        '      <span class="pkp_screen_reader">\n        Return to Article Details\n      </span>\n'
        f'    </a>\n\n    <a href="{art.url()}" class="title">\n      {title}\n    </a>\n  </header>\n\n'
        '  <div id="htmlContainer" class="galley_view" '
        'style="overflow:visible;-webkit-overflow-scrolling:touch">\n'
        f'      <iframe name="htmlFrame" src="\t\t\t\t{art.download_url(galley_id)}?inline=1\n\t\t\t" '
        f'title="HTML of {title}" allowfullscreen webkitallowfullscreen></iframe>\n  </div>\n  \n'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-US" xml:lang="en-US">\n<head>\n  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"  <title>\n    View of {title}\n              | {_e(journal.title)}\n      </title>\n\n  \n"
        f'<meta name="generator" content="{GENERATOR}">\n{_styles(journal)}</head>\n'
        f'<body class="pkp_page_article pkp_op_view">\n\n{main}</body>\n</html>\n'
    )


def pdf_bytes(art: SimArticle, galley_id: int) -> bytes:
    """A small, valid, deterministic PDF: depends on the journal, ids and ``file_revision`` only."""
    lines = [f"{art.journal} article {art.id}", f"galley {galley_id} revision {art.file_revision}"]
    stream = "BT /F1 14 Tf 72 720 Td 16 TL\n" + "".join(f"({line}) Tj T*\n" for line in lines) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}endstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode()
    table = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{len(out)}\n%%EOF\n"
    return out + f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n{table}{trailer}".encode()


def _html_galley_bytes(art: SimArticle) -> bytes:
    paragraphs = "".join(f"<p>{_stored(p)}</p>\n" for p in art.paragraphs)
    names = _e(", ".join(a.name for a in art.authors))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n\n<meta charset="utf-8">\n'
        f"<title>{_e(art.full_title)}</title>\n"
        f'</head>\n<body>\n<h1>{_e(art.full_title)}</h1>\n<p class="authors">{names}</p>\n{paragraphs}'
        f"<p>Seed {art.journal}-{art.id}-{art.file_revision}.</p>\n</body>\n</html>\n"
    ).encode()


def file_name(art: SimArticle, galley_id: int, mime: str) -> str:
    """The galley file's name: OJS's generated one, or an author-chosen one for each journal's first."""
    journal = art.owner
    ext = {"application/pdf": "pdf", "text/html": "html", "application/epub+zip": "epub"}.get(mime, "bin")
    if journal and journal.articles and journal.articles[0] is art and art.galleys[0][0] == galley_id:
        names = "-".join(a.family or a.given for a in art.authors[:2])
        return f"{names} {art.year} (final).{ext}"  # like the recorded "Siddiqui-Müller 1947 (final).pdf"
    return f"{art.id}-Article Text-{art.file_id(galley_id)}-1-10-{art.published.replace('-', '')}.{ext}"


def galley_file_bytes(art: SimArticle, galley_id: int, mime: str) -> bytes:
    """The bytes a galley's download serves (padded to ``art.file_size`` when that is larger)."""
    if mime == "text/html":
        return _html_galley_bytes(art)
    if mime == "application/pdf":
        body = pdf_bytes(art, galley_id)
    else:
        body = b"PK\x03\x04" + hashlib.sha256(f"{art.journal}/{art.id}/{galley_id}".encode()).digest()
    if art.file_size > len(body):  # large files for the mirror's tests and benchmark
        body += b"\n%" + b"0" * (art.file_size - len(body) - 2)
    return body


def _download(art: SimArticle, galley_id: int, mime: str) -> Page:
    body = galley_file_bytes(art, galley_id, mime)
    if mime == "text/html":  # the plugin serves the (rewritten) file inline, without a file name
        return Page("download", 200, body, PLAIN_TYPE, {}, art.modified, download=True)
    name = quote_plus(file_name(art, galley_id, mime))  # PHP urlencode, even inside the quotes (quirk 12)
    disposition = f"attachment;filename=\"{name}\";filename*=UTF-8''{name}"
    return Page(
        "download", 200, body, mime, {"Content-Disposition": disposition}, art.modified, download=True
    )


# ----------------------------------------------------------------------------------------------------
# Other pages: login, the theme's "not found", the site index, a non-OJS site
# ----------------------------------------------------------------------------------------------------


def login_page(journal: SimJournal, source: str) -> str:
    """``/login``, where OJS sends requests for unknown issues (``?source=`` the page asked for)."""
    token = hashlib.md5(journal.path.encode(), usedforsecurity=False).hexdigest()
    field_html = "".join(
        f'      <div class="{name}">\n        <label>\n          <span class="label">\n            {label}\n'
        '            <span class="required" aria-hidden="true">*</span>\n          </span>\n'
        f'          <input type="{kind}" name="{name}" id="{name}" value="" maxlength="32" required '
        'aria-required="true">\n        </label>\n      </div>\n'
        for name, label, kind in (("username", "Username", "text"), ("password", "Password", "password"))
    )
    main = (
        f'<div class="page page_login">\n{_crumbs(journal, [], "Login")}  <h1>\n    Login\n  </h1>\n'
        '  <form class="cmp_form cmp_form login" id="login" method="post" '
        f'action="{journal.url}/login/signIn">\n'
        f'    <input type="hidden" name="csrfToken" value="{token}">\n'
        f'    <input type="hidden" name="source" value="{_e(source)}" />\n    <fieldset class="fields">\n'
        f'      <legend class="pkp_screen_reader">Login</legend>\n{field_html}'
        '      <div class="buttons">\n        <button class="submit" type="submit">\n          Login\n'
        f'        </button>\n        <a href="{journal.url}/user/register?source={quote(source, safe="")}" '
        'class="register">\n          Register\n        </a>\n      </div>\n    </fieldset>\n  </form>\n'
        "</div><!-- .page -->\n"
    )
    return _frame(journal, "Login", "pkp_page_login pkp_op_index", main)


def soft_404_page(journal: SimJournal) -> str:
    """The theme's error page, served with 200: no article markup, no citation_* meta."""
    main = (
        f'<div class="page page_error">\n{_crumbs(journal, [], "Not Found")}  <h1>\n    Not Found\n  </h1>\n'
        '  <div class="description">\n    The requested page could not be found.\n  </div>\n'
        f'  <div class="cmp_back_link">\n    <a href="{journal.url}/index">Go to the home page</a>\n'
        "  </div>\n"
        "</div>\n"
    )
    return _frame(journal, "Not Found", "pkp_page_article pkp_op_view", main)


def site_index_page(site: OjsSite) -> str:
    """The site's home when it hosts several journals (``page_index_site``)."""
    items = "".join(
        f'        <li>\n          <div class="body">\n            <h3>\n              <a href="{j.url}" '
        f'rel="bookmark">\n                {_e(j.title)}\n              </a>\n            </h3>\n'
        f'            <ul class="links">\n              <li class="view">\n                <a href="{j.url}">'
        "\n                  View Journal\n                </a>\n              </li>\n"
        f'              <li class="current">\n                <a href="{j.url}/issue/current">\n'
        "                  Current Issue\n                </a>\n              </li>\n            </ul>\n"
        "          </div>\n        </li>\n"
        for j in site.journals.values()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-US" xml:lang="en-US">\n<head>\n  <meta charset="utf-8">\n'
        "  <title>\n    Open Journal Systems\n      </title>\n\n"
        f'<meta name="generator" content="{GENERATOR}">\n'
        '</head>\n<body class="pkp_page_index pkp_op_index" dir="ltr">\n  <div class="pkp_structure_page">\n'
        '    <div class="pkp_structure_content">\n      <div class="pkp_structure_main" role="main">\n'
        '<div class="page_index_site">\n  <div class="journals">\n    <h2>\n      Journals\n    </h2>\n'
        f"      <ul>\n{items}      </ul>\n  </div>\n</div><!-- .page -->\n"
        "      </div>\n    </div>\n  </div>\n</body>\n</html>\n"
    )


_POSTS = {
    "": ("Field Notes", "News from the department's research projects."),
    "2024/04/new-issue/": ("Our journal has a new issue", "The latest issue of our journal is out."),
    "2024/02/archive-visit/": (
        "A visit to the Punjab archives",
        "Notes & photographs from the reading room.",
    ),
}


def non_ojs_page(site: OjsSite, prefix: str, slug: str) -> str | None:
    """A small WordPress-style blog (no OJS markup) linking to the first journal, or None if unknown."""
    if slug not in _POSTS:
        return None
    title, text = _POSTS[slug]
    journal = next(iter(site.journals.values()), None)
    link = f'<p>Read <a href="{journal.url}">{_e(journal.title)}</a>.</p>' if journal else ""
    posts = "".join(
        f'<article class="post type-post status-publish">\n<h2 class="entry-title"><a href="{prefix}{path}">'
        f'{_e(head)}</a></h2>\n<div class="entry-content"><p>{_e(body)}</p></div>\n</article>\n'
        for path, (head, body) in _POSTS.items()
        if path and not slug
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
        f"<title>{_e(title)} &#8211; Department of History</title>\n"
        '<meta name="generator" content="WordPress 6.4.2">\n'
        '<link rel="alternate" type="application/rss+xml" title="Field Notes &raquo; Feed" '
        f'href="{prefix}feed/">\n'
        f'</head>\n<body class="{"home blog" if not slug else "post-template-default single"}">\n'
        f'<header class="site-header"><p class="site-title"><a href="{prefix}">Field Notes</a></p></header>\n'
        f'<main id="main" class="site-main">\n<h1 class="entry-title">{_e(title)}</h1>\n<p>{_e(text)}</p>\n'
        f'{posts}{link}\n</main>\n<footer class="site-footer"><p>Proudly powered by WordPress</p></footer>\n'
        "</body>\n</html>\n"
    )


# ----------------------------------------------------------------------------------------------------
# Routing
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One answer of the HTML side; ``modified`` (set on 200s) is what Last-Modified derives from."""

    kind: str
    status: int
    body: bytes = b""
    content_type: str = PLAIN_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    modified: datetime | None = None
    download: bool = False


def _html(kind: str, text: str, modified: datetime) -> Page:
    return Page(kind, 200, text.encode(), PAGE_TYPE, {}, modified)


def _not_found(kind: str) -> Page:
    return Page(kind, 404, NOT_FOUND)


def _redirect(kind: str, location: str) -> Page:
    return Page(kind, 302, b"", PLAIN_TYPE, {"Location": location})


def _login_redirect(journal: SimJournal, kind: str, path: str) -> Page:
    return _redirect(kind, f"{journal.url}/login?source={quote(path, safe='')}")


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _released(site: OjsSite, journal: SimJournal | None, page: Page) -> Page:
    """A page as the site's release writes it: its version in the generator meta and the asset URLs
    (``?v=``), its ``<html lang>``, and in 3.5 the journal's locale segment in every link but the meta
    tags' and How to Cite's (``ojs_releases``; observed on 3.5.0-1, O4, and its #304 ``csl-entry``).
    The markup is the recorded 3.3.0-11 one."""
    release = site.release
    if page.content_type != PAGE_TYPE or release.name == "3.3.0-11":
        return page
    text = page.body.decode().replace("3.3.0.11", release.version)
    text = text.replace(
        'lang="en-US" xml:lang="en-US"', f'lang="{release.html_lang}" xml:lang="{release.html_lang}"'
    )
    if journal is not None and journal.locale_segment:
        text = "".join(
            line
            if line.startswith("<meta ") or 'class="csl-entry"' in line
            else line.replace(f"{journal.url}/", f"{journal.page_url}/")
            for line in text.splitlines(keepends=True)
        )
    return dataclasses.replace(page, body=text.encode())


def route(site: OjsSite, path: str, args: dict[str, str]) -> Page:
    """Answer a request for anything but OAI and robots.txt."""
    if path in ("/", "/index.php", "/index.php/", "/index.php/index", "/index.php/index/index"):
        if len(site.journals) == 1:
            return _redirect("site", next(iter(site.journals.values())).url)
        return _released(site, None, _html("site", site_index_page(site), site.created))
    prefix = site.non_ojs_path
    if prefix and path.startswith(prefix):
        text = non_ojs_page(site, prefix, path[len(prefix) :])
        return _html("not-ojs", text, site.created) if text else _not_found("not-ojs")
    if cover := re.fullmatch(r"/public/journals/(\d+)/cover_issue_(\d+)_en_US\.jpg", path):
        return _cover_image(site, int(cover.group(1)), int(cover.group(2)))
    match = re.fullmatch(r"/index\.php/([^/]+)(/.*)?", path)
    journal = site.journals.get(match.group(1)) if match else None
    if journal is None or match is None:
        return _not_found("not-found")
    segments = [s for s in (match.group(2) or "").split("/") if s]
    return _released(site, journal, _journal_route(site, journal, segments, path, args))


def _journal_route(
    site: OjsSite, journal: SimJournal, segments: list[str], path: str, args: dict[str, str]
) -> Page:
    head, rest = (segments[0], segments[1:]) if segments else ("index", [])
    if head == "index" and not rest:
        issues = journal.issues()
        return _html("home", home_page(journal, issues[0] if issues else None), journal.modified())
    if head == "login" and not rest:
        return _html("login", login_page(journal, args.get("source", "")), site.created)
    if head == "issue":
        return _issue_route(site, journal, rest, path)
    if head == "article":
        return _article_route(site, journal, rest, path)
    return _not_found("not-found")


def _issue_route(site: OjsSite, journal: SimJournal, rest: list[str], path: str) -> Page:
    match rest:
        case ["current"]:
            issues = journal.issues()
            return _redirect("issue-current", issues[0].url() if issues else f"{journal.url}/issue/archive")
        case ["archive", *more] if len(more) <= 1:
            return _archive(site, journal, _php_int(more[0]) if more else 1)
        case ["view", issue_id]:
            number = _number(issue_id)
            issue = journal.issue(number) if number else None
            if issue is None:  # OJS quirk (recorded quirk 8): unknown issues redirect to the login page
                return _login_redirect(journal, "issue", path)
            return _html("issue", issue_page(issue), issue.modified)
    return _not_found("not-found")


def _php_int(text: str) -> int:
    """PHP's ``(int)`` of a path argument: its leading integer, else 0."""
    match = re.match(r"\s*[+-]?\d+", text)
    return int(match.group()) if match else 0


def _archive(site: OjsSite, journal: SimJournal, page: int) -> Page:
    """``/issue/archive[/N]``: ``(int) N``, where 0, negatives and non-numbers show page 1 (tag 3_4_0-8
    pages/issue/IssueHandler.php ``archive``; observed on 3.5.0-1, O1, whose page 0 links "next" to 1,
    not copied here); past the last page a 404 or an empty list, as the release answers."""
    issues = journal.issues()
    page = max(page, 1)
    past_end = page > 1 and (page - 1) * site.archive_page_size >= len(issues)
    if past_end and site.archive_past_end == 404:
        return _not_found("archive")
    text = archive_page(journal, issues, page, site.archive_page_size, themed=site.themed_archive)
    return _html("archive", text, journal.modified())


def _article_route(site: OjsSite, journal: SimJournal, rest: list[str], path: str) -> Page:
    match rest:
        case ["view", article_id]:
            return _article(site, journal, article_id, path)
        case ["view", article_id, galley_id]:
            return _galley_view(journal, article_id, galley_id)
        case ["download", article_id, galley_id, *file] if len(file) <= 1:
            return _galley_file(site, journal, article_id, galley_id, file)
    return _not_found("not-found")


def _live(journal: SimJournal, article_id: str) -> SimArticle | None:
    number = _number(article_id)
    art = journal.find(number) if number else None
    return None if art is None or art.deleted else art


def _article(site: OjsSite, journal: SimJournal, article_id: str, path: str) -> Page:
    art = _live(journal, article_id)
    if art is None or art.id in site.page_gone:
        return _not_found("article")
    if art.id in site.login_instead:
        return _login_redirect(journal, "article", path)
    if art.id in site.soft_404:
        return _html("article", soft_404_page(journal), art.modified)
    issue = journal.issue(art.issue_id) if art.issue_id else None
    return _html("article", article_page(art, issue), art.modified)


def _galley(journal: SimJournal, article_id: str, galley_id: str) -> tuple[SimArticle, int, str] | None:
    art = _live(journal, article_id)
    number = _number(galley_id)
    found = next(((g, m) for g, m in art.galleys if g == number), None) if art else None
    return (art, *found) if art and found else None


def _galley_view(journal: SimJournal, article_id: str, galley_id: str) -> Page:
    found = _galley(journal, article_id, galley_id)
    if found is None:
        return _not_found("galley-view")
    art, number, mime = found
    if mime == "application/pdf":
        return _html("galley-view", pdf_view_page(art, number), art.modified)
    if mime == "text/html":
        return _html("galley-view", html_view_page(art, number), art.modified)
    return _redirect("galley-view", art.download_url(number))  # no viewer plugin: OJS sends the file


def _galley_file(
    site: OjsSite, journal: SimJournal, article_id: str, galley_id: str, file: list[str]
) -> Page:
    found = _galley(journal, article_id, galley_id)
    if found is None or (file and _number(file[0]) != found[0].file_id(found[1])):
        return _not_found("download")
    art, number, mime = found
    if number in site.disguised:  # the login page, sent as the file (a proxy or plugin's doing)
        body = login_page(journal, f"/index.php/{journal.path}/article/download/{art.id}/{number}").encode()
        return Page("download", 200, body, mime, {}, art.modified, download=True)
    return _download(art, number, mime)


def _cover_image(site: OjsSite, context_id: int, issue_id: int) -> Page:
    journal = next((j for j in site.journals.values() if j.context_id == context_id), None)
    issue = journal.issue(issue_id) if journal else None
    if issue is None or not issue.cover:
        return _not_found("cover")
    body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + f"cover {issue_id}".encode() + b"\xff\xd9"
    return Page("cover", 200, body, "image/jpeg", {}, site.created, download=True)


# ----------------------------------------------------------------------------------------------------
# Ground truth: what the HTML parser must make of each page
# ----------------------------------------------------------------------------------------------------


def _linked(journal: SimJournal, url: str) -> str:
    """A URL as the theme links it: with 3.5's locale segment (the meta tags' URLs have none)."""
    return url.replace(f"{journal.url}/", f"{journal.page_url}/", 1)


def _expected_author(author: SimAuthor, key: str) -> Author:
    # 3.x pages show only the full name: the parser splits on the last space (conventions).
    # citation_author and its institution are in the UI locale (3.3) or the submission's (3.4.0-2+),
    # both the journal's primary here: keyed by <html lang> (``key``).
    given, _, family = author.name.rpartition(" ")
    return Author(
        name=author.name,
        given=given or author.name,
        family=family if given else None,
        affiliation=author.affiliation,
        orcid=author.orcid,
        bio=author.bio,
        given_names={key: given or author.name},
        family_names={key: family} if given else {},
        affiliations={key: (author.affiliation,)} if author.affiliation else {},
    )


def expected_article(art: SimArticle) -> Article:
    """The article page as ``harvester.model.Article``."""
    journal = art.owner
    assert journal is not None
    issue_id = art.issue_id
    paragraphs = art.paragraphs
    # Like titles: the theme's abstract (paragraphs kept) in the page's language, then the other
    # languages' DC.Description ("en" repeats the page's language and is dropped). Keys: <html lang>
    # for the page's language, the meta tags' xml:lang for the others (ojs_releases).
    en, fr = journal.release.html_lang, journal.release.meta_lang("fr")
    abstracts = {en: "\n\n".join(paragraphs)} if paragraphs else {}
    abstracts |= {fr: art.abstract_fr} if art.abstract_fr else {}
    keywords = {en: tuple(art.keywords)} if art.keywords else {}  # DC.Subject xml:lang "en" widened
    if art.keywords_fr and journal.release.keywords_every_locale:
        keywords[fr] = tuple(art.keywords_fr)
    galleys = tuple(  # MIME type: class "pdf", else the DC.Format tags (one per galley, in order)
        Galley(_linked(journal, art.galley_url(gid)), _LABELS.get(mime, "File"), mime,
               _linked(journal, art.download_url(gid)))
        for gid, mime in art.galleys
    )  # fmt: skip
    issue = IssueRef(
        journal_title=journal.title,
        volume=str(art.volume),
        number=str(art.number),
        year=int(art.year),
        title=art.issue_title,
        url=f"{journal.page_url}/issue/view/{issue_id}" if issue_id else None,
        ojs_id=issue_id,
    )
    return Article(
        title=art.full_title,
        titles={en: art.full_title} | ({fr: art.title_fr} if art.title_fr else {}),
        subtitle=art.subtitle,
        subtitles={en: art.subtitle} if art.subtitle else {},
        authors=tuple(_expected_author(a, en) for a in art.authors),
        abstract="\n\n".join(paragraphs) or None,
        abstracts=abstracts,
        keywords=tuple(art.keywords),
        keywords_by_language=keywords,
        published=art.published,
        doi=art.doi.lower() if art.doi else None,
        url=art.url(),
        ojs_id=art.id,
        galleys=galleys,
        language="en",
        rights=art.copyright or None,
        license_url=art.license_url,
        section=art.section_title,
        pages=art.pages or None,
        issue=issue,
        issns=tuple(i for i in (journal.issn_online or journal.issn_print,) if i),
        how_to_cite=citation_text(art),
    )


def record(art: SimArticle) -> dict[str, Any]:
    """``record_json`` of :func:`expected_article`."""
    return record_json(expected_article(art))


def _issue_ref(issue: SimIssue, journal_title: str | None) -> IssueRef:
    url = _linked(issue.journal, issue.url())
    return IssueRef(journal_title, issue.volume, issue.number, issue.year, issue.title, url, issue.id)


def expected_issue(issue: SimIssue) -> IssuePage:
    """The issue page as ``harvester.model.IssuePage`` (journal title: the page header shows it)."""
    return IssuePage(
        issue=_issue_ref(issue, issue.journal.title),
        published=issue.published,
        cover_url=issue.cover_url(),
        description=issue.description,
        sections=tuple(issue.sections()),
        articles=tuple(
            TocEntry(_linked(issue.journal, a.url()), a.id, a.full_title, a.section_title, a.pages or None)
            for a in issue.articles
        ),
    )


def expected_archive(journal: SimJournal, issues: list[SimIssue], page: int, size: int) -> ArchivePage:
    """Archive page ``page`` as ``harvester.model.ArchivePage`` (entries carry no journal title)."""
    shown = issues[(page - 1) * size : page * size]
    following = f"{journal.page_url}/issue/archive/{page + 1}" if page * size < len(issues) else None
    return ArchivePage(issues=tuple(_issue_ref(i, None) for i in shown), next_url=following)


def as_json(page: Any) -> dict[str, Any]:
    """A page model as a JSON-ready dict (tuples become lists)."""
    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(page)))
    return result
