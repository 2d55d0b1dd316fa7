"""OJS URLs: where a URL sits in an OJS site, which object it points to, and its canonical URL.

OJS routes every page as ``BASE/PAGE/OP/ARGS``, where BASE, the journal base, is
``…/index.php/JOURNAL`` (path info), a rewritten ``…/JOURNAL``, ``…/index.php?journal=JOURNAL``
(path info disabled: the route goes in ``page``, ``op`` and ``path[]``) or the root of a
journal's own host; the site itself is the context ``index``.  OJS 3.5 puts the UI locale
after the journal path in multilingual journals (``BASE/en/article/view/ID``).
``parse_ojs_url`` reads them all, for the page parsers and for ``harvester discover`` alike.

One object's URL comes in several shapes, all of which the page parsers meet:

- path info: ``BASE/article/view/ID`` (the landing page), ``BASE/article/view/ID/GALLEY``
  (a galley's view page), ``BASE/article/download/ID/GALLEY[/FILE]`` (the file itself);
  ``BASE/issue/view/ID`` (an issue's table of contents), ``BASE/issue/archive[/N]``;
- OJS 2 also ``BASE/article/viewFile/ID/GALLEY``, ``/viewArticle/ID`` and
  ``/viewDownloadInterstitial/ID/GALLEY``;
- with path info disabled: ``index.php?journal=J&page=article&op=view&path[]=ID``
  (``path%5B%5D`` as OJS writes it).

``ID`` is OJS's "best id": the numeric id, or a custom URL path (3.x) when the journal set
one, in which case no numeric id can be read from the URL.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = [
    "SITE_CONTEXT",
    "OjsUrl",
    "absolute_url",
    "article_id",
    "article_url",
    "galley_download_url",
    "galley_view_url",
    "install_url",
    "issue_id",
    "issue_url",
    "journal_base",
    "journal_page_url",
    "oai_article_id",
    "parse_ojs_url",
    "site_context_url",
    "split_url",
]

# Page/op pairs only OJS (2.x and 3.x) routes; None: any op, or none.
_STRONG: dict[str, frozenset[str] | None] = {
    "article": frozenset({
        "view", "download", "viewFile", "viewArticle", "downloadSuppFile", "viewRST",
        "viewDownloadInterstitial",
    }),
    "issue": frozenset({"view", "archive", "current", "viewIssue", "viewFile", "download"}),
    "oai": None,
    "gateway": frozenset({"plugin", "lockss", "clockss"}),
    "$$$call$$$": None,
    "search": frozenset({"search", "authors", "titles", "advancedResults"}),
    "about": frozenset({"submissions", "editorialTeam", "contact", "privacy", "aboutThisPublishingSystem"}),
    "user": frozenset({"register", "setLocale", "profile"}),
    "login": frozenset({"signIn", "lostPassword", "signOut"}),
    "information": frozenset({"readers", "authors", "librarians"}),
}  # fmt: skip
# More OJS pages, recognised right after ``index.php`` (a journal on its own host has no
# journal path there, so ``index.php/article/…`` is its article page, not a journal "article").
_PAGES = frozenset(_STRONG) | {
    "index", "announcement", "help", "rt", "comment", "notification", "payment", "stats",
    "submission", "submissions", "dashboard", "management", "manager", "editor", "author",
    "reviewer", "sectionEditor", "copyeditor", "layoutEditor", "proofreader", "catalog",
    "libraryFiles", "navigationMenu", "sitemap", "subscriptionManager", "donations", "api",
}  # fmt: skip
_FILE_OPS = frozenset({"download", "viewFile", "downloadSuppFile"})  # a file, not a page
_GALLEY_OPS = frozenset({"view", "viewFile", "download", "viewDownloadInterstitial"})
_LOCALE = re.compile(r"[a-z]{2,3}(?:_[A-Za-z]{2,4})?(?:@[a-z]+)?")  # en, pt_BR, sr_RS@latin
SITE_CONTEXT = "index"  # the context path OJS gives the site itself: ``…/index.php/index``


@dataclass(frozen=True)
class OjsUrl:
    """An OJS URL split into its route, ``root`` + ``/page/op/args...``, read from the URL alone."""

    root: str  # the journal base (``…?journal=J`` with path info off); the site's context for "index"
    journal: str | None  # the journal path; None: a journal on its own host (no path in its URLs)
    page: str | None = None
    op: str | None = None
    args: tuple[str, ...] = ()
    locale: str | None = None  # OJS 3.5's locale segment after the journal path, if any

    @property
    def strong(self) -> bool:
        """A page/op pair only OJS routes."""
        return _is_strong(self.page, self.op)

    @property
    def is_site(self) -> bool:
        """The site's own context (``…/index.php/index``), not a journal."""
        return self.journal == SITE_CONTEXT

    @property
    def is_file(self) -> bool:
        """A file download (galley, supplementary or issue file), not a page."""
        return self.page in ("article", "issue") and self.op in _FILE_OPS

    def build(self, page: str, op: str, *args: str) -> str:
        """The URL of another route of the same journal, in the same URL shape."""
        base = self.root if self.locale is None else f"{self.root}/{self.locale}"
        return journal_page_url(base, page, op, *args)


def journal_page_url(base: str, page: str, op: str, *args: str) -> str:
    """The URL of a route (``page``/``op``/``args``) of the journal at ``base``, in its URL shape.

    OJS with path info off (``index.php?journal=J``) takes ``page``, ``op`` and ``path[]``
    parameters instead of path segments.
    """
    if "?" in base and urlsplit(base).query:  # (no query without a "?")
        query = [("page", page), ("op", op), *(("path[]", arg) for arg in args)]
        return f"{base}&{urlencode(query)}"
    return "/".join((base.rstrip("/"), page, op, *args))


# An absolute http(s) URL with a host, no fragment, no whitespace or controls and no empty
# query: ``absolute_url`` would return it unchanged (``urljoin`` leaves an absolute URL with a
# host as it is, ``urlunsplit`` drops only the fragment and an empty query).
_PLAIN_ABSOLUTE_RE = re.compile(r"https?://[^/?#\s\x00-\x1f]+(?:[/?][^#\s\x00-\x1f]*)?(?<!\?)\Z")


def absolute_url(href: str | None, base: str) -> str | None:
    """``href`` resolved against ``base``, without its fragment; None unless http(s).

    OJS 3.3 wraps some hrefs in tabs and newlines (the site name link), so both ends are
    stripped first.
    """
    if not href or not href.strip():
        return None
    href = href.strip()
    if _PLAIN_ABSOLUTE_RE.match(href):  # nothing to resolve or drop (most OJS links)
        return href
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


# An http(s) URL that ``urlsplit`` splits just as this pattern does: printable ASCII (it drops
# tabs and newlines and checks non-ASCII hosts), a lower-case scheme, no IPv6 brackets.
_PLAIN_URL_RE = re.compile(r"(https?)://([^/?#\[\]]*)((?:/[^?#]*)?)(?:\?([^#]*))?(?:#.*)?")


def split_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, host, path, query) of ``url`` as ``urlsplit`` gives them, at a fraction of its
    cost for the plain URLs of OJS pages."""
    match = _PLAIN_URL_RE.fullmatch(url) if url.isascii() and url.isprintable() else None
    if match is None:
        parts = urlsplit(url)
        return parts.scheme, parts.netloc, parts.path, parts.query
    scheme, netloc, path, query = match.groups()
    return scheme, netloc, path, query or ""


@functools.lru_cache(maxsize=64)  # a page names the same few URLs several times
def parse_ojs_url(url: str | None) -> OjsUrl | None:
    """Where an http(s) URL sits in an OJS site, in any URL shape; None when its shape says nothing."""
    if not url:
        return None
    scheme, netloc, path, query_text = split_url(url.strip())
    if scheme not in ("http", "https") or not netloc:
        return None
    pairs = parse_qsl(query_text) if query_text else []
    query = dict(pairs)
    if query.get("journal"):
        root = urlunsplit((scheme, netloc, path, urlencode({"journal": query["journal"]}), ""))
        args = [value for key, value in pairs if key in ("path[]", "path")]
        return _route(root, query["journal"], [query.get("page", ""), query.get("op", ""), *args])
    segments = [segment for segment in path.split("/") if segment]
    return _path_route(f"{scheme}://{netloc}", segments)


def _path_route(origin: str, segments: list[str]) -> OjsUrl | None:
    if "index.php" in segments:
        cut = segments.index("index.php") + 1
        root, rest = "/".join([origin, *segments[:cut]]), segments[cut:]
        if not rest:
            return None  # the site's front door: only the page can tell
        locale, tail = _split_locale(rest[1:])
        # A journal on its own host routes ``index.php/PAGE/OP``, unless an OJS route follows
        # (a journal whose path is a page name: ``index.php/stats/article/view/3``).
        if rest[0] in _PAGES and rest[0] != SITE_CONTEXT and not _is_strong(*_page_op(tail)):
            return _route(root, None, rest)
        return _route(f"{root}/{rest[0]}", rest[0], tail, locale)
    for index, segment in enumerate(segments):  # rewritten URLs: only unmistakable routes count
        if _is_strong(segment, segments[index + 1] if index + 1 < len(segments) else None):
            journal = segments[index - 1] if index else None
            return _route("/".join([origin, *segments[:index]]), journal, segments[index:])
    return None


def _split_locale(tail: list[str]) -> tuple[str | None, list[str]]:
    """The locale OJS 3.5 puts before the route in multilingual journals (``en/article/view/3``)."""
    if tail and tail[0] not in _PAGES and _LOCALE.fullmatch(tail[0]) and _is_strong(*_page_op(tail[1:])):
        return tail[0], tail[1:]
    return None, tail


def _page_op(tail: list[str]) -> tuple[str | None, str | None]:
    page = tail[0] if tail and tail[0] else None
    op = tail[1] if len(tail) > 1 and tail[1] else None
    return page, op


def _route(root: str, journal: str | None, tail: list[str], locale: str | None = None) -> OjsUrl:
    return OjsUrl(root, journal, *_page_op(tail), args=tuple(tail[2:]), locale=locale)


def _is_strong(page: str | None, op: str | None) -> bool:
    if page not in _STRONG:
        return False
    ops = _STRONG[page]
    return ops is None or op in ops


# --- the site around a journal ------------------------------------------------------------------


def journal_base(context: str, path: str) -> str:
    """The base of the journal ``path`` on the site whose own context URL is ``context``."""
    parts = urlsplit(context)
    if parts.query:
        return urlunsplit(parts._replace(query=urlencode({"journal": path})))
    return f"{context.rsplit('/', 1)[0]}/{path}"


def site_context_url(url: OjsUrl) -> str | None:
    """The site's own context URL beside a journal base; None for a journal on its own host."""
    return None if url.journal is None else journal_base(url.root, SITE_CONTEXT)


def install_url(url: OjsUrl) -> str:
    """The URL OJS is installed at (no ``index.php``, no journal path)."""
    parts = urlsplit(url.root)
    path = parts.path
    if url.journal is not None and not parts.query:
        path = path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, path.removesuffix("/index.php"), "", ""))


# --- the objects a URL points to ----------------------------------------------------------------


def _numeric(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _article_route(url: str | None) -> OjsUrl | None:
    route = parse_ojs_url(url)
    if route is None or route.page != "article" or not route.args:
        return None
    if route.op not in _GALLEY_OPS and route.op != "viewArticle":
        return None
    return route


def article_url(url: str | None) -> str | None:
    """The canonical landing page ``BASE/article/view/ID`` of any article or galley URL."""
    route = _article_route(url)
    return route.build("article", "view", route.args[0]) if route else None


def article_id(url: str | None) -> int | None:
    """The numeric OJS submission id in an article or galley URL (None for a URL path)."""
    route = _article_route(url)
    return _numeric(route.args[0]) if route else None


# 3_3_0-11 classes/oai/ojs/JournalOAI.inc.php and 3_4_0-8 classes/oai/ojs/JournalOAI.php
# (articleIdToIdentifier): ``'oai:' . repositoryId . ':' . 'article/' . $articleId``.
_OAI_ARTICLE_ID = re.compile(r":article/(\d+)$")


def oai_article_id(identifier: str) -> int | None:
    """The OJS submission id in an OAI identifier ``oai:REPOSITORY_ID:article/ID``."""
    match = _OAI_ARTICLE_ID.search(identifier)
    return int(match[1]) if match else None


def _galley_route(url: str | None) -> OjsUrl | None:
    """An article route naming a galley (``…/ID/GALLEY``), excluding 3.x version links."""
    route = _article_route(url)
    if route is None or len(route.args) < 2 or route.op not in _GALLEY_OPS:
        return None
    return None if route.args[1] == "version" else route  # 3.2+: /article/view/ID/version/N


def galley_view_url(url: str | None) -> str | None:
    """The galley view page ``BASE/article/view/ID/GALLEY`` of any galley URL."""
    route = _galley_route(url)
    return route.build("article", "view", *route.args[:2]) if route else None


def galley_download_url(url: str | None) -> str | None:
    """The file URL ``BASE/article/download/ID/GALLEY[/FILE]`` of any galley URL.

    A ``/FILE`` part is kept only when ``url`` is itself a download URL that has one.
    """
    route = _galley_route(url)
    if route is None:
        return None
    args = route.args[:3] if route.op == "download" else route.args[:2]
    return route.build("article", "download", *args)


def _issue_route(url: str | None) -> OjsUrl | None:
    route = parse_ojs_url(url)
    if route is None or route.page != "issue" or route.op != "view" or not route.args:
        return None
    return route


def issue_url(url: str | None) -> str | None:
    """The canonical table of contents ``BASE/issue/view/ID`` of an issue view URL."""
    route = _issue_route(url)
    return route.build("issue", "view", route.args[0]) if route else None


def issue_id(url: str | None) -> int | None:
    """The numeric OJS issue id in an issue view URL (None for a custom URL path)."""
    route = _issue_route(url)
    return _numeric(route.args[0]) if route else None
