"""OJS URLs: which object a link points to, and the canonical URL of that object.

OJS writes one object's URL in several shapes, all of which the page parsers meet:

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

import re
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = [
    "OjsUrl",
    "absolute_url",
    "article_id",
    "article_url",
    "galley_download_url",
    "galley_view_url",
    "issue_id",
    "issue_url",
    "parse_ojs_url",
]

# The last "/article/" or "/issue/" segment of a path starts the OJS route (greedy root).
_ROUTE_RE = re.compile(r"^(?P<root>.*)/(?P<page>article|issue)/(?P<op>[A-Za-z]+)(?P<args>(?:/[^/]+)*)/?$")
_GALLEY_OPS = frozenset({"view", "viewFile", "download", "viewDownloadInterstitial"})


class OjsUrl(NamedTuple):
    """An OJS page URL split into its route: ``root`` + ``/page/op/args...``.

    For the query form (path info off) ``root`` is the script URL and ``journal`` is set.
    """

    root: str
    page: str
    op: str
    args: tuple[str, ...]
    journal: str | None = None

    def build(self, page: str, op: str, *args: str) -> str:
        """The URL of another route of the same journal, in the same URL shape."""
        if self.journal is None:
            return "/".join((self.root, page, op, *args))
        query = [("journal", self.journal), ("page", page), ("op", op)]
        query += [("path[]", arg) for arg in args]
        return f"{self.root}?{urlencode(query)}"


def absolute_url(href: str | None, base: str) -> str | None:
    """``href`` resolved against ``base``, without its fragment; None unless http(s).

    OJS 3.3 wraps some hrefs in tabs and newlines (the site name link), so both ends are
    stripped first.
    """
    if not href or not href.strip():
        return None
    parts = urlsplit(urljoin(base, href.strip()))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def parse_ojs_url(url: str | None) -> OjsUrl | None:
    """The OJS route of an article or issue URL in either shape, else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    query = dict(parse_qsl(parts.query))
    if query.get("page") in ("article", "issue") and query.get("journal"):
        args = tuple(value for key, value in parse_qsl(parts.query) if key in ("path[]", "path"))
        script = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return OjsUrl(script, query["page"], query.get("op") or "index", args, query["journal"])
    match = _ROUTE_RE.match(parts.path)
    if match is None:
        return None
    root = urlunsplit((parts.scheme, parts.netloc, match["root"], "", ""))
    args = tuple(arg for arg in match["args"].split("/") if arg)
    return OjsUrl(root, match["page"], match["op"], args)


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


def issue_url(url: str | None) -> str | None:
    """The canonical table of contents ``BASE/issue/view/ID`` of an issue view URL."""
    route = parse_ojs_url(url)
    if route is None or route.page != "issue" or route.op != "view" or not route.args:
        return None
    return route.build("issue", "view", route.args[0])


def issue_id(url: str | None) -> int | None:
    """The numeric OJS issue id in an issue view URL (None for a custom URL path)."""
    route = parse_ojs_url(url)
    if route is None or route.page != "issue" or route.op != "view" or not route.args:
        return None
    return _numeric(route.args[0])
