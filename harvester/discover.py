"""Find the OJS journal behind any of its URLs: base URL, OAI-PMH endpoint, version, siblings.

A user pastes whatever URL they have (home, archive, issue, article, galley; with or without
``index.php``; the ``index.php?journal=J&page=P&op=O`` form; a journal on its own host; a site
index listing several journals).  Three kinds of evidence are read, and no single one decides:

1. the URL's shape (``journal_base_from_url``, pure): OJS routes every page as
   ``BASE/PAGE/OP/ARGS``, where BASE is ``…/index.php/JOURNAL``, a rewritten ``…/JOURNAL``,
   ``…/index.php?journal=JOURNAL`` or the root of a journal's own host;
2. the page, fetched through the polite client (redirects followed; OJS sends a site's root to
   its only journal): the generator meta tag (OJS and its version), OJS theme markup, and the
   page's links to its own context, which name the journal base whatever URL form the site uses;
3. OAI-PMH Identify at ``BASE/oai`` (and at the site-wide ``…/index.php/index/oai``).

A URL is OJS's when its generator tag says so, or its OAI endpoint answers, or an OJS URL
shape comes with OJS theme markup.  ``sources_toml`` turns the result into config blocks.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

from .config import derive_oai_url
from .errors import HarvesterError
from .http import HttpClient, Response
from .oai import OaiClient

__all__ = [
    "DiscoveredJournal",
    "Discovery",
    "ListedJournal",
    "UrlShape",
    "discover",
    "format_discovery",
    "journal_base_from_url",
    "not_ojs_reason",
    "sources_toml",
]

# Page/op pairs only OJS (2.x and 3.x) routes; None: any op, or none.
_STRONG: dict[str, frozenset[str] | None] = {
    "article": frozenset({"view", "download", "viewFile", "viewArticle", "downloadSuppFile", "viewRST"}),
    "issue": frozenset({"view", "archive", "current", "viewIssue", "viewFile", "download"}),
    "oai": None,
    "gateway": frozenset({"plugin", "lockss", "clockss"}),
    "$$$call$$$": None,
    "search": frozenset({"search", "authors", "titles", "advancedResults"}),
    "about": frozenset({"submissions", "editorialTeam", "contact", "privacy", "aboutThisPublishingSystem"}),
    "user": frozenset({"register", "setLocale", "profile"}),
    "login": frozenset({"signIn", "lostPassword", "signOut"}),
    "information": frozenset({"readers", "authors", "librarians"}),
}
# More OJS pages, recognised right after ``index.php`` (a journal on its own host has no
# journal path there, so ``index.php/article/…`` is its article page, not a journal "article").
_PAGES = frozenset(_STRONG) | {
    "index", "announcement", "help", "rt", "comment", "notification", "payment", "stats",
    "submission", "submissions", "dashboard", "management", "manager", "editor", "author",
    "reviewer", "sectionEditor", "copyeditor", "layoutEditor", "proofreader", "catalog",
    "libraryFiles", "navigationMenu", "sitemap", "subscriptionManager", "donations", "api",
}  # fmt: skip
_FILE_OPS = frozenset({"download", "viewFile", "downloadSuppFile"})  # a file, not a page
_SITE = "index"  # the context path OJS gives the site itself: ``…/index.php/index``
_OJS_GENERATOR = re.compile(r"^Open Journal Systems\b\s*([0-9][0-9.]*)?", re.IGNORECASE)
_OTHER_PKP_APPS = ("open monograph press", "open preprint systems", "open conference systems")
_PKP_ASSET_VERSION = re.compile(r"/lib/pkp/[^?#\s]*\?v=([0-9]+(?:\.[0-9]+)+)")
_HEADINGS = ("h1", "h2", "h3", "h4")
_HTML_PARSER = lxml_html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


@dataclass(frozen=True)
class UrlShape:
    """Where a URL sits in an OJS site, read from the URL alone."""

    base_url: str  # the journal base; the site's context for journal_path "index"
    journal_path: str | None  # None: a journal on its own host (no path in its URLs)
    page: str | None = None
    op: str | None = None
    strong: bool = False  # a page/op pair only OJS routes

    @property
    def is_site(self) -> bool:
        """The site's own context (``…/index.php/index``), not a journal."""
        return self.journal_path == _SITE


@dataclass(frozen=True)
class ListedJournal:
    """A journal a site index lists."""

    path: str
    base_url: str
    title: str | None


@dataclass
class DiscoveredJournal:
    """A journal found, its OAI check, and the config it needs."""

    path: str | None  # None: a journal on its own host
    base_url: str
    title: str | None
    name: str  # the suggested source name
    oai_url: str
    oai_ok: bool = False
    oai_error: str | None = None
    repository_name: str | None = None
    strategy: str = "html"  # "oai+html" when OAI Identify answers


@dataclass
class Discovery:
    """Everything ``discover`` learnt, with the evidence, one line per finding."""

    url: str
    is_ojs: bool = False
    version: str | None = None
    site_url: str | None = None  # the install's root URL
    journals: list[DiscoveredJournal] = field(default_factory=list)
    site_journals: list[ListedJournal] = field(default_factory=list)  # what the site index lists
    site_oai_url: str | None = None
    site_oai_ok: bool | None = None  # None: not tried
    evidence: list[str] = field(default_factory=list)
    generator: str | None = None  # the generator meta tag, whatever it names
    markup: str | None = None  # the first OJS theme marker seen
    url_shape: bool = False  # the URL (given or final) has an unmistakable OJS route

    def to_json(self) -> str:
        """The discovery as JSON (``harvester discover --json``)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


# --- URL shapes (pure) -------------------------------------------------------------------------


def journal_base_from_url(url: str) -> UrlShape | None:
    """The journal base (and page, op) an OJS URL implies; None when the URL says nothing."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = dict(parse_qsl(parts.query))
    if query.get("journal"):
        base = urlunsplit(
            (parts.scheme, parts.netloc, parts.path, urlencode({"journal": query["journal"]}), "")
        )
        return _shape(base, query["journal"], [query.get("page", ""), query.get("op", "")])
    segments = [segment for segment in parts.path.split("/") if segment]
    return _path_shape(f"{parts.scheme}://{parts.netloc}", segments)


def _path_shape(origin: str, segments: list[str]) -> UrlShape | None:
    if "index.php" in segments:
        cut = segments.index("index.php") + 1
        root, rest = "/".join([origin, *segments[:cut]]), segments[cut:]
        if not rest:
            return None  # the site's front door: only the page can tell
        if rest[0] in _PAGES and rest[0] != _SITE:
            return _shape(root, None, rest)  # a journal on its own host
        return _shape(f"{root}/{rest[0]}", rest[0], rest[1:])
    for index, segment in enumerate(segments):  # rewritten URLs: only unmistakable routes count
        if _is_strong(segment, segments[index + 1] if index + 1 < len(segments) else None):
            journal = segments[index - 1] if index else None
            return _shape("/".join([origin, *segments[:index]]), journal, segments[index:])
    return None


def _shape(base: str, journal: str | None, tail: list[str]) -> UrlShape:
    page = tail[0] if tail and tail[0] else None
    op = tail[1] if len(tail) > 1 and tail[1] else None
    return UrlShape(base, journal, page, op, _is_strong(page, op))


def _is_strong(page: str | None, op: str | None) -> bool:
    if page not in _STRONG:
        return False
    ops = _STRONG[page]
    return ops is None or op in ops


def _site_context(shape: UrlShape) -> str | None:
    """The site's own context URL beside a journal base; None for a journal on its own host."""
    if shape.journal_path is None or shape.is_site:
        return None if shape.journal_path is None else shape.base_url
    return _beside(shape.base_url, _SITE)


def _install_root(shape: UrlShape) -> str:
    """The URL OJS is installed at (no ``index.php``, no journal path)."""
    parts = urlsplit(shape.base_url)
    path = parts.path
    if shape.journal_path is not None and not parts.query:
        path = path.rsplit("/", 1)[0]
    path = path.removesuffix("/index.php")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _source_name(shape: UrlShape) -> str:
    raw = shape.journal_path or urlsplit(shape.base_url).netloc.removeprefix("www.")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return name or "journal"


# --- pages (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    root: Any  # lxml.html document
    url: str  # the final URL, after redirects

    def meta(self, name: str) -> str | None:
        """The first ``<meta name|property=name content>`` (name case-insensitive), whitespace folded."""
        for meta in self.root.iter("meta"):
            if (meta.get("name") or meta.get("property") or "").lower() == name.lower():
                content = " ".join((meta.get("content") or "").split())
                if content:
                    return content
        return None

    def anchors(self, within: Any = None) -> Iterator[tuple[Any, str]]:
        """Every linking element with its absolute URL (``<base href>`` honoured)."""
        base = self.url
        for element in self.root.iter("base"):
            base = urljoin(base, (element.get("href") or "").strip())
            break
        for element in (within if within is not None else self.root).iter("a", "link", "area", "form"):
            value = (element.get("href") or element.get("action") or "").strip()
            if value and not value.startswith(("#", "javascript:", "mailto:")):
                yield element, urljoin(base, value)


def _parse_page(response: Response) -> _Page | None:
    """The response as an HTML document; None if it is not HTML."""
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type and "html" not in content_type:
        return None
    charset = re.search(r"charset=([\w-]+)", content_type)
    try:
        text = response.content.decode(charset[1] if charset else "utf-8")
    except (LookupError, UnicodeDecodeError):
        text = response.content.decode("cp1252", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input with a declaration
    try:
        return _Page(lxml_html.document_fromstring(text, parser=_HTML_PARSER), response.url)
    except (etree.ParserError, ValueError):
        return None


def _markup(page: _Page) -> str | None:
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


def _page_context(page: _Page) -> UrlShape | None:
    """The OJS context the page belongs to, from its links to its own pages.

    OJS 3 loads its stylesheet from ``CONTEXT/$$$call$$$/page/page/css``, which settles it;
    otherwise the context most of the page's same-host OJS links point into wins.
    """
    host = urlsplit(page.url).hostname
    votes: Counter[str] = Counter()
    shapes: dict[str, UrlShape] = {}
    for _, link in page.anchors():
        shape = journal_base_from_url(link)
        if shape is None or urlsplit(link).hostname != host:
            continue
        if shape.page == "$$$call$$$":
            return shape
        votes[shape.base_url] += 2 if shape.strong else 1
        shapes.setdefault(shape.base_url, shape)
    return shapes[votes.most_common(1)[0][0]] if votes else None


def _listed_journals(page: _Page) -> list[ListedJournal]:
    """The journals a site index lists, with the title shown for each."""
    container = next(
        (
            el
            for el in page.root.iter()
            if "journals" in (el.get("class") or "").split() or el.get("id") == "journals"
        ),
        None,
    )
    host = urlsplit(page.url).hostname
    found: dict[str, tuple[str, Any]] = {}
    titles: dict[str, str] = {}
    for element, link in page.anchors(container):
        shape = journal_base_from_url(link)
        if shape is None or shape.journal_path in (None, _SITE) or urlsplit(link).hostname != host:
            continue
        found.setdefault(shape.base_url, (shape.journal_path, element))
        heading = next((h for h in element.iterancestors(*_HEADINGS)), None)
        if heading is not None and shape.base_url not in titles:
            titles[shape.base_url] = _text(heading)
    for base, (_, element) in found.items():  # OJS 2: the title is the heading before the links
        if base not in titles and (before := element.xpath("preceding::*[self::h2 or self::h3][1]")):
            titles[base] = _text(before[0])
    return [ListedJournal(path, base, titles.get(base) or None) for base, (path, _) in found.items()]


def _journal_title(page: _Page | None) -> str | None:
    if page is None:
        return None
    for name in ("citation_journal_title", "og:site_name", "DC.Source"):
        if value := page.meta(name):
            return value
    names = page.root.find_class("pkp_site_name")  # the theme's header: a text link or a logo
    images = [image.get("alt") for image in names[0].iter("img")] if names else []
    return (_text(names[0]) if names else None) or next(filter(None, images), None)


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


# --- discovery ---------------------------------------------------------------------------------


def discover(url: str, http: HttpClient) -> Discovery:
    """Decide whether ``url`` belongs to an OJS site and find its journal(s) and OAI endpoints.

    Raises the client's ``HarvesterError`` when the URL itself cannot be fetched (unreachable,
    HTTP error, robots.txt); a page that is not OJS's gives ``is_ojs=False``.
    """
    found = Discovery(url=url)
    given = journal_base_from_url(url)
    fetch = url
    if given is not None and given.op in _FILE_OPS and given.page in ("article", "issue"):
        fetch = given.base_url
        found.evidence.append(f"URL shape: a file download ({given.page}/{given.op}); reading {fetch}")
    elif given is not None and given.page == "oai":  # a bare endpoint may answer 404; Identify is small
        endpoint = derive_oai_url(given.base_url)
        fetch = f"{endpoint}{'&' if '?' in endpoint else '?'}verb=Identify"
    response = http.get(fetch)
    redirect = f", redirected to {response.url}" if response.url != fetch else ""
    found.evidence.append(f"fetched {fetch}: HTTP {response.status}{redirect}")
    page = _parse_page(response)
    final = journal_base_from_url(response.url)
    context = _page_context(page) if page is not None else None
    _read_signals(found, page, given, final, context)
    if page is not None and _is_site_index(page, final, context):
        listed = _listed_journals(page)
        found.site_journals = listed
        found.evidence.append(f"site index listing {len(listed)} journal(s)")
        shapes = [UrlShape(j.base_url, j.path) for j in listed]
        titles = [j.title for j in listed]
        site = context if context is not None and context.is_site else final
    else:
        target = next((s for s in (context, final, given) if s is not None and not s.is_site), None)
        shapes, titles = ([target], [_journal_title(page)]) if target is not None else ([], [])
        site = next((s for s in (context, final, given) if s is not None and s.is_site), None)
    for shape, title in zip(shapes, titles, strict=True):
        found.journals.append(_check_journal(shape, title, http, found))
    _check_site(found, shapes, site, response.url, http)
    if len(shapes) == 1 and not found.site_journals and _looks_ojs(found):
        _list_siblings(found, shapes[0], http)
    _decide(found, [s for s in (given, final, context) if s is not None])
    return found


def _read_signals(
    found: Discovery,
    page: _Page | None,
    given: UrlShape | None,
    final: UrlShape | None,
    context: UrlShape | None,
) -> None:
    """Generator tag, theme markup and URL shapes, into evidence lines."""
    if page is None:
        found.evidence.append("not an HTML page: no generator tag or theme markup to read")
    else:
        found.generator, found.markup = page.meta("generator"), _markup(page)
        found.evidence.append(f"generator meta tag: {found.generator or 'none'}")
        found.evidence.append(f"OJS theme markup: {found.markup or 'none'}")
    if match := _OJS_GENERATOR.match(found.generator or ""):
        found.version = match[1]
    elif page is not None and (version := _asset_version(page)):
        found.version = version
        found.evidence.append(f"OJS version {version} from /lib/pkp/ asset URLs")
    found.url_shape = any(shape is not None and shape.strong for shape in (given, final))
    for label, shape in (("URL", given), ("final URL", final if final != given else None)):
        if shape is not None:
            found.evidence.append(f"{label} shape: {_describe_shape(shape)}")
    if context is not None:
        found.evidence.append(f"the page's own links point into {_describe_shape(context, page=False)}")


def _asset_version(page: _Page) -> str | None:
    """OJS appends its version to its own assets: ``/lib/pkp/…css?v=3.3.0.11``."""
    for element in page.root.iter("link", "script"):
        if match := _PKP_ASSET_VERSION.search(element.get("href") or element.get("src") or ""):
            return match[1]
    return None


def _describe_shape(shape: UrlShape, *, page: bool = True) -> str:
    if shape.is_site:
        where = "the site context"
    else:
        where = f"journal {shape.journal_path!r}" if shape.journal_path else "a journal on its own host"
    route = "/".join(part for part in (shape.page, shape.op) if part)
    if page and route:
        return f"{where} at {shape.base_url}, {'an OJS' if shape.strong else 'an OJS-like'} route {route}"
    return f"{where} at {shape.base_url}"


def _is_site_index(page: _Page, final: UrlShape | None, context: UrlShape | None) -> bool:
    if final is not None and final.strong and not final.is_site:
        return False  # a journal's article, issue, archive… page, whatever its links say
    if context is not None:
        return context.is_site
    return (final is not None and final.is_site) or bool(page.root.find_class("page_index_site"))


@dataclass(frozen=True)
class _Identified:
    ok: bool
    said: str  # what Identify said, or why it failed
    name: str | None = None
    version: str | None = None  # from the OJS toolkit description

    @property
    def outcome(self) -> str:
        return self.said if self.ok else f"does not answer ({self.said})"


def _identify(endpoint: str, http: HttpClient) -> _Identified:
    try:
        info = OaiClient(endpoint, http).identify()
    except HarvesterError as exc:  # the message starts with the URL asked; the reason is enough
        return _Identified(ok=False, said=re.sub(r"^\S+(?: \(Identify\))?: ", "", str(exc)))
    said = f"answers, repository {info.name!r}" if info.name else "answers, no repository name"
    if info.base_url and info.base_url.rstrip("/") != endpoint.rstrip("/"):
        said += f", baseURL {info.base_url}"
    return _Identified(ok=True, said=said, name=info.name, version=info.software_version)


def _check_journal(
    shape: UrlShape, title: str | None, http: HttpClient, found: Discovery
) -> DiscoveredJournal:
    journal = DiscoveredJournal(
        path=shape.journal_path, base_url=shape.base_url, title=title,
        name=_source_name(shape), oai_url=derive_oai_url(shape.base_url),
    )  # fmt: skip
    identified = _identify(journal.oai_url, http)
    found.evidence.append(f"OAI-PMH Identify at {journal.oai_url}: {identified.outcome}")
    if not identified.ok:
        journal.oai_error = identified.said
        return journal
    journal.oai_ok, journal.strategy = True, "oai+html"
    journal.repository_name = identified.name
    journal.title = journal.title or identified.name
    if found.version is None and identified.version:
        found.version = identified.version
        found.evidence.append(f"OJS version {identified.version} from the OAI Identify toolkit description")
    return journal


def _check_site(
    found: Discovery, shapes: list[UrlShape], site: UrlShape | None, final_url: str, http: HttpClient
) -> None:
    """Site root URL; the site-wide OAI endpoint when no journal's endpoint answered."""
    anchor = shapes[0] if shapes else site
    found.site_url = _install_root(anchor) if anchor is not None else None
    if any(journal.oai_ok for journal in found.journals):
        return
    context = _site_context(anchor) if anchor is not None else None
    if anchor is None:
        parts = urlsplit(final_url)
        context = f"{parts.scheme}://{parts.netloc}/index.php/{_SITE}"
    if context is None:
        return
    found.site_oai_url = derive_oai_url(context)
    identified = _identify(found.site_oai_url, http)
    found.site_oai_ok = identified.ok
    found.evidence.append(f"site-wide OAI-PMH Identify at {found.site_oai_url}: {identified.outcome}")
    if identified.ok and not found.journals:
        _journals_from_sets(found, context, http)


def _journals_from_sets(found: Discovery, context: str, http: HttpClient) -> None:
    """The site's journals from its OAI sets: one per journal path, beside ``PATH:SECTION`` ones."""
    try:
        sets = OaiClient(derive_oai_url(context), http).list_sets()
    except HarvesterError as exc:
        found.evidence.append(f"site-wide OAI-PMH ListSets: {exc}")
        return
    paths = [spec for spec in sets if ":" not in spec]
    found.evidence.append(f"site-wide OAI-PMH ListSets: {len(paths)} journal set(s)")
    for path in paths:
        shape = UrlShape(_beside(context, path), path)
        found.site_journals.append(ListedJournal(path, shape.base_url, sets[path]))
        found.journals.append(_check_journal(shape, sets[path], http, found))


def _beside(context: str, path: str) -> str:
    """The base of the journal ``path`` on the site whose own context URL is ``context``."""
    parts = urlsplit(context)
    if parts.query:
        return urlunsplit(parts._replace(query=urlencode({"journal": path})))
    return f"{context.rsplit('/', 1)[0]}/{path}"


def _list_siblings(found: Discovery, shape: UrlShape, http: HttpClient) -> None:
    """Read the site index beside a journal: the other journals of a multi-journal site."""
    index_url = _site_context(shape)
    if index_url is None:
        return
    try:
        response = http.get(index_url)
    except HarvesterError as exc:
        found.evidence.append(f"site index {index_url}: not readable ({exc})")
        return
    page = _parse_page(response)
    context = _page_context(page) if page is not None else None
    if page is None or not _is_site_index(page, journal_base_from_url(response.url), context):
        found.evidence.append(f"site index {index_url}: redirects to {response.url} (one journal)")
        return
    found.site_journals = _listed_journals(page)
    found.evidence.append(f"site index {index_url}: lists {len(found.site_journals)} journal(s)")


def _looks_ojs(found: Discovery) -> bool:
    return (
        bool(_OJS_GENERATOR.match(found.generator or "")) or found.markup is not None or _oai_answered(found)
    )


def _decide(found: Discovery, shapes: list[UrlShape]) -> None:
    if (found.generator or "").lower().startswith(_OTHER_PKP_APPS):
        found.evidence.append(f"not OJS: the generator tag names {found.generator}")
    else:
        found.is_ojs = (
            bool(_OJS_GENERATOR.match(found.generator or ""))
            or _oai_answered(found)
            or (found.markup is not None and any(shape.strong for shape in shapes))
        )
    if not found.is_ojs:
        found.journals = []  # nothing to configure; the evidence keeps what was tried


def _oai_answered(found: Discovery) -> bool:
    return bool(found.site_oai_ok) or any(journal.oai_ok for journal in found.journals)


def not_ojs_reason(found: Discovery) -> str | None:
    """Why ``found`` gives no config: None when it does."""
    if found.is_ojs:
        return None if found.journals else "an OJS site, but no journal found from this URL"
    reasons = [
        f"the generator tag names {found.generator}" if found.generator else "no OJS generator tag",
        "an OAI-PMH endpoint answers" if found.site_oai_ok else "no OAI-PMH endpoint",
        "an OJS-like URL but no OJS page markup" if found.url_shape else "no OJS URL shape",
    ]
    return f"not an OJS journal ({', '.join(reasons)})"


# --- output ------------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def sources_toml(found: Discovery) -> str:
    """A ``[[sources]]`` block per journal found, ready to paste into the config file."""
    blocks = []
    seen: Counter[str] = Counter()
    for journal in found.journals:
        seen[journal.name] += 1  # source names must be unique in a config
        name = journal.name if seen[journal.name] == 1 else f"{journal.name}-{seen[journal.name]}"
        lines = [f"# {' '.join(journal.title.split())}"] if journal.title else []
        lines += ["[[sources]]", f"name = {_toml_string(name)}", f"url = {_toml_string(journal.base_url)}"]
        if journal.oai_ok:
            lines.append(f"oai_url = {_toml_string(journal.oai_url)}")
        lines.append(f"strategy = {_toml_string(journal.strategy)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def format_discovery(found: Discovery) -> str:
    """The human summary: verdict, evidence, journals, then the config blocks."""
    verdict = (
        (f"OJS {found.version}" if found.version else "OJS (version not shown)")
        if found.is_ojs
        else "not OJS"
    )
    lines = [f"{found.url}: {verdict}", "evidence:", *(f"  - {line}" for line in found.evidence)]
    if found.site_url:
        lines.append(f"site: {found.site_url}")
    others = [j for j in found.site_journals if j.base_url not in {d.base_url for d in found.journals}]
    if others:
        lines.append(
            f"the site also hosts {len(others)} other journal(s); discover any of them for its block:"
        )
        lines += [f"  - {j.path}: {j.title or '(no title shown)'} ({j.base_url})" for j in others]
    for journal in found.journals:
        oai = "answers" if journal.oai_ok else f"does not answer ({journal.oai_error})"
        lines += [
            f"journal {journal.path or '(own host)'}: {journal.title or '(no title shown)'}",
            f"  base URL: {journal.base_url}",
            f"  OAI-PMH:  {journal.oai_url} {oai}",
            f"  strategy: {journal.strategy}",
        ]
    if found.is_ojs and found.journals:
        lines += ["", "# Paste into the config file (config/harvester.toml):", "", sources_toml(found)]
    return "\n".join(lines).rstrip("\n")
