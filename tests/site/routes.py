"""The routes of the test site's HTML side: which page, redirect, file or 404 a request path gets.

``route`` answers everything but OAI and robots.txt; ``server.OjsSite`` adds validators, faults and the
request log.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

from tests.site.galleys import file_name, galley_file_bytes
from tests.site.pages import (
    archive_page,
    article_page,
    home_page,
    html_view_page,
    issue_page,
    login_page,
    non_ojs_page,
    pdf_view_page,
    site_index_page,
    soft_404_page,
)

if TYPE_CHECKING:
    from tests.site.model import SimArticle, SimJournal
    from tests.site.server import OjsSite

__all__ = ["NOT_FOUND", "PAGE_TYPE", "PLAIN_TYPE", "Page", "route"]

PAGE_TYPE = "text/html; charset=utf-8"  # what OJS sends with pages
PLAIN_TYPE = "text/html; charset=UTF-8"  # ... and with redirects, bare 404s and HTML galley files
NOT_FOUND = b"<h1>404 Not Found</h1>"


def _download(art: SimArticle, galley_id: int, mime: str) -> Page:
    body = galley_file_bytes(art, galley_id, mime)
    if mime == "text/html":  # the plugin serves the (rewritten) file inline, without a file name
        return Page("download", 200, body, PLAIN_TYPE, {}, art.modified, download=True)
    name = quote_plus(file_name(art, galley_id, mime))  # PHP urlencode, even inside the quotes (quirk 12)
    disposition = f"attachment;filename=\"{name}\";filename*=UTF-8''{name}"
    return Page(
        "download", 200, body, mime, {"Content-Disposition": disposition}, art.modified, download=True
    )


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


def _localized(journal: SimJournal, text: str) -> str:
    """A page as 3.5 links it: the journal's locale segment in every link but the meta tags' and How to
    Cite's (``ojs_releases.Release.url_locale``; observed on 3.5.0-1, O4, and its #304 ``csl-entry``)."""
    if not journal.locale_segment:
        return text
    return "".join(
        line
        if line.startswith("<meta ") or 'class="csl-entry"' in line
        else line.replace(f"{journal.url}/", f"{journal.page_url}/")
        for line in text.splitlines(keepends=True)
    )


def _released(journal: SimJournal, page: Page) -> Page:
    """A journal's page with 3.5's locale segment in its links (see :func:`_localized`)."""
    if page.content_type != PAGE_TYPE or not journal.locale_segment:
        return page
    return dataclasses.replace(page, body=_localized(journal, page.body.decode()).encode())


def route(site: OjsSite, path: str, args: dict[str, str]) -> Page:
    """Answer a request for anything but OAI and robots.txt."""
    if path in ("/", "/index.php", "/index.php/", "/index.php/index", "/index.php/index/index"):
        if len(site.journals) == 1:
            return _redirect("site", next(iter(site.journals.values())).url)
        return _html("site", site_index_page(site), site.created)
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
    return _released(journal, _journal_route(site, journal, segments, path, args))


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
        source = f"/index.php/{journal.path}/article/download/{art.id}/{number}"
        body = _localized(journal, login_page(journal, source)).encode()
        return Page("download", 200, body, mime, {}, art.modified, download=True)
    return _download(art, number, mime)


def _cover_image(site: OjsSite, context_id: int, issue_id: int) -> Page:
    journal = next((j for j in site.journals.values() if j.context_id == context_id), None)
    issue = journal.issue(issue_id) if journal else None
    if issue is None or not issue.cover:
        return _not_found("cover")
    body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + f"cover {issue_id}".encode() + b"\xff\xd9"
    return Page("cover", 200, body, "image/jpeg", {}, site.created, download=True)
