"""Map one page of an OJS issue archive (``BASE/issue/archive[/N]``) to an ``ArchivePage``.

3.x default theme: ``ul.issues_archive`` of ``.obj_issue_summary`` entries, each an
``a.title`` link (the issue title, else the identification) and, when the title is shown,
a ``.series`` line with the identification without the title ("Vol. 1 No. 1 (2022)");
the next page is ``.cmp_pagination a.next``.

OJS 2: ``#issues`` with an ``h3`` per year and an ``h4 > a`` per issue whose text is the
full identification ("Vol 5, No 2 (2020): Title"); pages are ``?issuesPage=N`` links
and the next one is the link shown as ">".

Where the archive ends: the default templates link the next page only when there is one
(3_3_0-11 and 3_5_0-1 lib/pkp templates/frontend/components/pagination.tpl: ``a.next`` only
with ``$nextUrl``, set by templates/frontend/pages/issueArchive.tpl from ``$nextPage``; OJS 2:
ojs-2_4_8-5 lib/pkp classes/template/PKPTemplateManager.inc.php ``smartyPageLinks`` prints
the ">" link only while ``$page < $pageCount``), so a page in their markup without that link
is the last.  A theme with markup of its own does not say: the next page is then the next
number, and the crawl stops where that page lists nothing new or is a 404.  A page past the
last one is a 200 with no issues up to 3.3.0-19 and 3.4.0-7 (it parses to an empty page)
and a 404 from 3.3.0-20, 3.4.0-8 and in 3.5 (see ``harvester.harvest.crawl``).
"""

from __future__ import annotations

from lxml import etree

from harvester.model import ArchivePage, IssueRef
from harvester.ojs.urls import absolute_url, issue_id, issue_url, parse_ojs_url
from harvester.parse.html.common import Page, by_class, find, find_all, inner_text, load_page, require
from harvester.parse.issue_label import parse_issue_label

__all__ = ["parse_archive_page", "read_archive"]

_SUMMARY = f"//*[{by_class('obj_issue_summary')}]"
_OJS3_ARCHIVE = (
    f"{_SUMMARY} | //*[{by_class('page_issue_archive')}] | //ul[{by_class('issues_archive')}]"
    f" | //body[{by_class('pkp_op_archive')}]"
)
_NEXT = (
    f"//*[{by_class('cmp_pagination')}]//a[{by_class('next')}][@href]"
    " | //a[normalize-space(.)='>'][contains(@href, 'issuesPage=')]"  # OJS 2 page_links
)
# The wrappers of the default archive templates, whose pagination links every next page:
# ``div.page_issue_archive`` (templates/frontend/pages/issueArchive.tpl, ojs-3_1_0-1 to 3_5_0-1)
# and OJS 2's ``div#issues`` (ojs-2_4_8-5 templates/issue/archive.tpl).
_DEFAULT_ARCHIVE = f"//*[{by_class('page_issue_archive')}] | //*[@id='issues']"


def parse_archive_page(content: bytes, url: str) -> ArchivePage:
    """The issues one archive page lists, in its order, and the next page's URL.

    Raises ``PageError`` for a login form, a "not found" page, a truncated page, or a page
    that is not an OJS issue archive.
    """
    return read_archive(load_page(content, url))


def read_archive(page: Page) -> ArchivePage:
    """``parse_archive_page`` of a page already loaded (``common.load_page``)."""
    summaries = find_all(page.root, _SUMMARY)
    ojs3 = bool(summaries) or find(page.root, _OJS3_ARCHIVE) is not None
    ojs2 = find(page.root, "//*[@id='issues']")
    require(page, ojs3 or ojs2 is not None, "archive", "issue archive markup")
    issues = [_summary(page, node) for node in summaries] if ojs3 else _ojs2_issues(page)
    unique: dict[str | None, IssueRef] = {}
    for issue in issues:  # a theme may link an issue twice (cover and title): first wins
        if issue is not None:
            unique.setdefault(issue.url, issue)
    return ArchivePage(issues=tuple(unique.values()), next_url=_next_url(page))


def _next_url(page: Page) -> str | None:
    """The archive page to read after this one: the page's own "next" link; none when the
    default templates' pagination shows no such link (this is the last page); the next
    number when a theme's own markup does not say."""
    link = find(page.root, _NEXT)
    if link is not None:
        return absolute_url(link.get("href"), page.url)
    if find(page.root, _DEFAULT_ARCHIVE) is not None:
        return None
    route = parse_ojs_url(page.url)
    if route is None or (route.page, route.op) != ("issue", "archive") or len(route.args) > 1:
        return None
    number = int(route.args[0]) if route.args and route.args[0].isdigit() else 1
    return route.build("issue", "archive", str(number + 1))


def _summary(page: Page, node: etree._Element) -> IssueRef | None:
    """One 3.x ``.obj_issue_summary``: the title link and the ``.series`` identification."""
    link = find(node, f".//a[{by_class('title')}][@href]")
    url = issue_url(absolute_url(link.get("href"), page.url)) if link is not None else None
    if url is None:
        return None
    text = inner_text(link)
    series = inner_text(find(node, f".//*[{by_class('series')}]"))
    label = parse_issue_label(series or text or "")
    title = text if series else label.title
    return IssueRef(
        volume=label.volume,
        number=label.number,
        year=label.year,
        title=title,
        url=url,
        ojs_id=issue_id(url),
    )


def _ojs2_issues(page: Page) -> list[IssueRef | None]:
    """OJS 2: each ``h4`` issue link's identification.

    The year headings (``h3``) are not used to fill a year the identification hides: the
    OAI ``dc:source`` of the same issue has none either, and the issue key must agree.
    """
    issues: list[IssueRef | None] = []
    for link in find_all(page.root, "//*[@id='issues']//h4//a[@href]"):
        url = issue_url(absolute_url(link.get("href"), page.url))
        if url is not None:
            volume, number, year, title = parse_issue_label(inner_text(link) or "")
            issues.append(IssueRef(None, volume, number, year, title, url, issue_id(url)))
    return issues
