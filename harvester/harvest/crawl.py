"""The HTML crawl of one journal: issue archive → issue tables of contents → article pages.

Every request goes through the polite client (robots.txt, per-host pacing, retries) and is
conditional when the page was seen before (``If-None-Match`` / ``If-Modified-Since`` from the
stored validators).  An unchanged page (a 304, or the same body from a server that sends no
validators, as OJS does) is not parsed.  Each page is written in one transaction together
with what the crawl remembers of it (``store.pages``), so a killed crawl loses nothing and the
next one skips what was already checked.

Which pages a run checks: the archive, the newest ``harvest.recent_issues`` issues and
their articles every time; every other page when it was last checked ``harvest.revisit``
ago (or never); everything on a backfill.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Connection

from ..errors import PageError, PermanentHTTPStatusError, RefusedURLError, RobotsDisallowedError
from ..fetch.conditional import request_headers, validators
from ..model import Article, JournalFacts
from ..ojs.urls import article_id, journal_page_url
from ..parse.html import parse_article_page, parse_issue_page
from ..parse.html.archive import read_archive
from ..parse.html.common import load_page
from ..parse.journal_feed import parse_journal_feed
from ..redact import mask
from ..store.articles import PageCounts, RawPage
from ..store.feed import RunContext, write_changes
from ..store.journals import update_journal
from ..store.page_ingest import ingest_article_page, ingest_issue_toc
from ..store.pages import WebPage, load_pages, save_page
from ..store.runs import record_page
from .job import Interrupted, Run
from .journal import page_facts

__all__ = ["Crawl", "crawl_journal"]

log = logging.getLogger(__name__)

# A runaway archive (a theme that repeats its last page forever) ends here.
MAX_ARCHIVE_PAGES = 1000

_T = TypeVar("_T")


@dataclass
class Crawl:
    """One crawl of one journal, inside a run."""

    run: Run
    checked: int = 0  # pages requested
    unchanged: int = 0  # of which not modified (304, or the same body)
    # What the tables of contents read in this run list, as (URL, OJS id) pairs, and whether
    # every one was read (the evidence ``store.sweeps`` needs to withdraw an article).
    listed: list[tuple[str, int | None]] = field(default_factory=list)
    complete: bool = True
    tocs: int = 0  # tables of contents read
    # What the pages read in this run show of the journal itself (see ``journal.page_facts``).
    feed: JournalFacts | None = None
    generator: str | None = None
    first_article: Article | None = None


@dataclass(frozen=True)
class _Fetched:
    """A page as fetched: its body when it changed, else None."""

    page: WebPage
    content: bytes | None
    url: str


def _now() -> datetime:
    return datetime.now(UTC)


def _fetch(crawl: Crawl, url: str, kind: str, known: WebPage | None) -> _Fetched:
    """GET a page, conditionally when seen before; its body only if it changed."""
    response = crawl.run.http.get(
        url, headers=request_headers(known.etag, known.last_modified) if known else None
    )
    crawl.checked += 1
    now = _now()
    if response.status == 304 and known is not None:
        crawl.unchanged += 1
        return _Fetched(replace(known, checked_at=now), None, url)
    digest = hashlib.sha256(response.content).hexdigest()
    etag, last_modified = validators(response.headers)
    if known is not None and known.sha256 == digest:
        crawl.unchanged += 1
        page = replace(known, checked_at=now, etag=etag, last_modified=last_modified)
        return _Fetched(page, None, response.url)
    page = WebPage(url, kind, digest, (), now, now, etag, last_modified)
    return _Fetched(page, response.content, response.url)


def _due(crawl: Crawl, known: WebPage | None, *, always: bool, now: datetime) -> bool:
    if always or crawl.run.everything or known is None:
        return True
    return now - known.checked_at >= crawl.run.settings.harvest.revisit


Writer = Callable[[Connection, RunContext], PageCounts]


def _commit(crawl: Crawl, page: WebPage, write: Writer | None = None) -> None:
    """One transaction: what the page held, the crawl's memory of it, the run's counts."""
    now = _now()
    ids = crawl.run.ids
    ctx = RunContext(ids.source_id, ids.journal_id, crawl.run.result.run_id, now)
    with crawl.run.store.write() as conn:
        counts = write(conn, ctx) if write else PageCounts()
        save_page(conn, ids.source_id, page)
        record_page(
            conn,
            crawl.run.result.run_id,
            counts,
            crawl.run.http.requests_made,
            crawl.run.result.warnings,
            now,
        )
    crawl.run.result.counts.add(counts)
    crawl.run.result.pages += 1
    if crawl.run.stop.is_set():
        raise Interrupted(
            f"{crawl.run.source.name}: stopped after {page.url}; the next run goes on from there"
        )


def _skip(crawl: Crawl, url: str, exc: Exception) -> None:
    """A page that cannot be read this time: logged, counted, retried by the next run."""
    crawl.run.result.warnings += 1
    reason = str(exc) if url in str(exc) else f"{url}: {exc}"
    log.warning("%s: skipped %s", crawl.run.source.name, reason)


def _gone(crawl: Crawl, url: str, status: int) -> None:
    """An article a table of contents lists but whose page is gone: logged, nothing changed.

    An unpublished or unknown submission's page answers 404 (3_3_0-11
    pages/article/ArticleHandler.inc.php, 3_4_0-8 and 3_5_0-1 pages/article/ArticleHandler.php
    ``initialize``: ``handle404``); a table of contents still listing it is stale or cached, so
    the article keeps what is stored and, being listed, is not withdrawn."""
    crawl.run.result.warnings += 1
    log.warning(
        "%s: %s is listed by a table of contents but answers HTTP %d; kept as stored, not withdrawn",
        crawl.run.source.name,
        url,
        status,
    )


def _get(crawl: Crawl, url: str, kind: str, known: WebPage | None) -> _Fetched | None:
    try:
        return _fetch(crawl, url, kind, known)
    except PermanentHTTPStatusError as exc:
        if kind == "article" and exc.status in (404, 410):
            _gone(crawl, url, exc.status)
        else:
            _skip(crawl, url, exc)
        return None
    except (RobotsDisallowedError, RefusedURLError) as exc:  # a redirect to file://, say
        _skip(crawl, url, exc)
        return None


def _parse(crawl: Crawl, fetched: _Fetched, content: bytes, parse: Callable[[bytes, str], _T]) -> _T | None:
    try:
        return parse(content, fetched.url)
    except PageError as exc:
        _skip(crawl, fetched.page.url, exc)
        return None


def _raw(crawl: Crawl, fetched: _Fetched) -> RawPage | None:
    if crawl.run.settings.harvest.keep_raw and fetched.content is not None:
        return RawPage(fetched.url, fetched.content)
    return None


def _archive_page(crawl: Crawl, url: str, known: WebPage | None, *, first: bool) -> WebPage | None:
    """One archive page: the issue URLs it lists and the next page to read; None past the end.

    The archive is the crawl's entry: a failure on its first page (wrong URL, not OJS) fails
    the run with the server's answer.  A 404 on a later page is the end of the archive, as
    OJS answers past the last page from 3.3.0-20, 3.4.0-8 and in 3.5 (pkp-lib#10596:
    3_3_0-20 pages/issue/IssueHandler.inc.php and 3_4_0-8 pages/issue/IssueHandler.php
    ``handle404()``, 3_5_0-1 pages/issue/IssueHandler.php ``NotFoundHttpException``, each
    when ``!count($issues) && $offset``; observed, OJS 3.5.0-1, samples ajpa ``/issue/archive/4``).
    """
    try:
        fetched = _fetch(crawl, url, "archive", known)
    except PermanentHTTPStatusError as exc:
        if not first and exc.status == 404:
            log.info("%s: the issue archive ends before %s (HTTP 404)", crawl.run.source.name, url)
            return None
        raise PageError(
            url,
            f"no OJS issue archive here (HTTP {exc.status}); is {crawl.run.source.url} a journal's base URL? "
            "`harvester discover URL` finds it",
        ) from exc
    page = fetched.page
    if fetched.content is not None:
        loaded = load_page(fetched.content, fetched.url)
        archive = read_archive(loaded)
        if first:  # the OJS version, as every page's generator tag names it
            crawl.generator = loaded.meta.first("generator")
        links = tuple(issue.url for issue in archive.issues if issue.url)
        page = replace(page, links=links, next_url=archive.next_url)
    _commit(crawl, page)
    return page


def _archive(crawl: Crawl, pages: dict[str, WebPage]) -> list[str]:
    """Every issue URL, newest first, from every archive page.

    The walk follows each page's next page (``parse_archive_page``) and ends where there is
    none, at a 404 past the last page (3.3.0-20+, 3.4.0-8+, 3.5), or at a page that lists no
    issue not seen before: a 200 with an empty list up to 3.3.0-19 and 3.4.0-7 (3_3_0-11
    pages/issue/IssueHandler.inc.php renders an empty ``$issues``; observed, OJS 3.3.0-11,
    samples jsas ``/issue/archive/3``), the last page again in OJS 2 and 3.0-3.1.0
    (``?issuesPage=N`` past the end, clamped by ADOdb; OJS.md section 9).
    """
    found: list[str] = []
    url = journal_page_url(crawl.run.source.url, "issue", "archive")
    for number in range(1, MAX_ARCHIVE_PAGES + 1):
        page = _archive_page(crawl, url, pages.get(mask(url)), first=number == 1)
        new = [link for link in page.links if link not in found] if page else []
        found += new
        if page is None or not new or page.next_url is None:
            break
        url = page.next_url
    return found


def _listed(crawl: Crawl, links: tuple[str, ...]) -> tuple[str, ...]:
    """Note the article links of a table of contents read in this run."""
    crawl.tocs += 1
    crawl.listed += [(link, article_id(link)) for link in links]
    return links


def _issue(crawl: Crawl, url: str, known: WebPage | None, *, recent: bool, now: datetime) -> tuple[str, ...]:
    """The article URLs of an issue, from its page when due, else as last seen."""
    remembered = known.links if known else ()
    fetched = _get(crawl, url, "issue", known) if _due(crawl, known, always=recent, now=now) else None
    if fetched is None:  # not due, or not readable this time: this crawl is not a complete sweep
        crawl.complete = False
        return remembered
    if fetched.content is None:
        _commit(crawl, fetched.page)
        return _listed(crawl, fetched.page.links)
    toc = _parse(crawl, fetched, fetched.content, parse_issue_page)
    if toc is None:
        crawl.complete = False
        return remembered
    links = _listed(crawl, tuple(entry.url for entry in toc.articles))

    def write(conn: Connection, ctx: RunContext) -> PageCounts:
        ingest_issue_toc(conn, ctx, toc)
        return PageCounts()

    _commit(crawl, replace(fetched.page, links=links), write)
    return links


def _article(crawl: Crawl, url: str, known: WebPage | None, *, recent: bool, now: datetime) -> None:
    if not _due(crawl, known, always=recent, now=now):
        return
    fetched = _get(crawl, url, "article", known)
    if fetched is None:
        return
    if fetched.content is None:
        _commit(crawl, fetched.page)
        return
    article = _parse(crawl, fetched, fetched.content, parse_article_page)
    if article is None:
        return
    crawl.first_article = crawl.first_article or article
    raw = _raw(crawl, fetched)
    _commit(crawl, fetched.page, lambda conn, ctx: ingest_article_page(conn, ctx, article, raw))


def _read_feed(crawl: Crawl) -> JournalFacts | None:
    """The journal's RSS 1.0 feed (``parse.journal_feed``); None when the plugin is off or the
    feed unreadable, which costs the run nothing but the facts only the feed gives."""
    url = journal_page_url(crawl.run.source.url, "gateway", "plugin", "WebFeedGatewayPlugin", "rss")
    try:
        response = crawl.run.http.get(url)
        crawl.checked += 1
        return parse_journal_feed(response.content, response.url)
    except (PageError, PermanentHTTPStatusError, RefusedURLError, RobotsDisallowedError) as exc:
        log.info(
            "%s: no journal feed (%s); publisher and primary locale not read", crawl.run.source.name, exc
        )
        return None


def _store_journal(crawl: Crawl) -> None:
    """What this run's pages showed of the journal, into the journal row."""
    facts = page_facts(crawl.feed, crawl.first_article, crawl.generator)
    ctx = RunContext(crawl.run.ids.source_id, crawl.run.ids.journal_id, crawl.run.result.run_id, _now())
    with crawl.run.store.write() as conn:
        write_changes(conn, update_journal(conn, ctx, facts))


def crawl_journal(crawl: Crawl) -> None:
    """Crawl one journal's pages into the store (see the module docstring for which pages)."""
    with crawl.run.store.read() as conn:
        pages = load_pages(conn, crawl.run.ids.source_id)
    crawl.feed = _read_feed(crawl)
    issues = _archive(crawl, pages)
    now = _now()
    recent_issues = crawl.run.settings.harvest.recent_issues
    for index, issue_url in enumerate(issues):
        recent = index < recent_issues
        for article_url in _issue(crawl, issue_url, pages.get(mask(issue_url)), recent=recent, now=now):
            _article(crawl, article_url, pages.get(mask(article_url)), recent=recent, now=now)
    _store_journal(crawl)
    log.info(
        "%s: pages: %d issues listed, %d pages checked, %d of them unchanged",
        crawl.run.source.name,
        len(issues),
        crawl.checked,
        crawl.unchanged,
    )
