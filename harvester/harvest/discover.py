"""Find the OJS journal behind any of its URLs: base URL, OAI-PMH endpoint, version, siblings.

A user pastes whatever URL they have (home, archive, issue, article, galley; with or without
``index.php``; the ``index.php?journal=J&page=P&op=O`` form; a journal on its own host; a site
index listing several journals).  Three kinds of evidence are read, and no single one decides:

1. the URL's shape (``parse.html.urls.parse_ojs_url``, pure): OJS routes every page as
   ``BASE/PAGE/OP/ARGS``, where BASE is ``…/index.php/JOURNAL``, a rewritten ``…/JOURNAL``,
   ``…/index.php?journal=JOURNAL`` or the root of a journal's own host;
2. the page, fetched through the polite client (redirects followed; OJS sends a site's root to
   its only journal) and read by ``parse.html.site`` (pure): the generator meta tag (OJS and its
   version), OJS theme markup, and the page's links to its own context, which name the journal
   base whatever URL form the site uses;
3. OAI-PMH Identify at ``BASE/oai`` (and at the site-wide ``…/index.php/index/oai``).

A URL is OJS's when its generator tag says so, or its OAI endpoint answers with OJS's toolkit
description, or an OJS URL shape comes with OJS theme markup.  An OJS version is read only
from OJS's own evidence (the generator tag, that toolkit description); an OAI endpoint of
other software (DSpace, EPrints, a toolkit of another title) is named as such, never taken
for OJS.  ``sources_toml`` turns the result into config blocks.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from ..config import derive_oai_url
from ..errors import HarvesterError
from ..fetch.client import HttpClient, Response
from ..ojs.urls import SITE_CONTEXT, OjsUrl, install_url, journal_base, parse_ojs_url, site_context_url
from ..parse.html.site import (
    ListedJournal,
    SitePage,
    generator_version,
    is_ojs_generator,
    is_other_pkp_app,
    read_site_page,
)
from ..parse.identify import OJS_TOOLKIT
from .oai import OaiClient

__all__ = [
    "DiscoveredJournal",
    "Discovery",
    "ListedJournal",
    "discover",
    "not_ojs_reason",
]


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
    strategy: str = "html"  # "oai+html" when OJS's OAI Identify answers


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
    # An OAI-PMH endpoint that answered but is not OJS's: the software its Identify names.
    other_oai: str | None = None
    evidence: list[str] = field(default_factory=list)
    generator: str | None = None  # the generator meta tag, whatever it names
    markup: str | None = None  # the first OJS theme marker seen
    url_shape: bool = False  # the URL (given or final) has an unmistakable OJS route

    def to_json(self) -> str:
        """The discovery as JSON (``harvester discover --json``)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def discover(url: str, http: HttpClient) -> Discovery:
    """Decide whether ``url`` belongs to an OJS site and find its journal(s) and OAI endpoints.

    Raises the client's ``HarvesterError`` when the URL itself cannot be fetched (unreachable,
    HTTP error, robots.txt); a page that is not OJS's gives ``is_ojs=False``.
    """
    found = Discovery(url=url)
    given = parse_ojs_url(url)
    fetch = url
    if given is not None and given.is_file:
        fetch = given.root
        found.evidence.append(f"URL shape: a file download ({given.page}/{given.op}); reading {fetch}")
    elif given is not None and given.page == "oai":  # a bare endpoint may answer 404; Identify is small
        endpoint = derive_oai_url(given.root)
        fetch = f"{endpoint}{'&' if '?' in endpoint else '?'}verb=Identify"
    response = http.get(fetch)
    redirect = f", redirected to {response.url}" if response.url != fetch else ""
    found.evidence.append(f"fetched {fetch}: HTTP {response.status}{redirect}")
    page = _read_page(response)
    final = parse_ojs_url(response.url)
    context = page.context if page is not None else None
    _read_signals(found, page, given, final)
    if page is not None and page.is_site_index:
        found.site_journals = list(page.journals)
        found.evidence.append(f"site index listing {len(page.journals)} journal(s)")
        shapes = [OjsUrl(j.base_url, j.path) for j in page.journals]
        titles = [j.title for j in page.journals]
        site = context if context is not None and context.is_site else final
    else:
        target = next((s for s in (context, final, given) if s is not None and not s.is_site), None)
        title = page.journal_title if page is not None else None
        shapes, titles = ([target], [title]) if target is not None else ([], [])
        site = next((s for s in (context, final, given) if s is not None and s.is_site), None)
    for shape, title in zip(shapes, titles, strict=True):
        found.journals.append(_check_journal(shape, title, http, found))
    _check_site(found, shapes, site, response.url, http)
    if len(shapes) == 1 and not found.site_journals and _looks_ojs(found):
        _list_siblings(found, shapes[0], http)
    _decide(found, [s for s in (given, final, context) if s is not None])
    return found


def _read_page(response: Response) -> SitePage | None:
    return read_site_page(response.content, response.url, response.headers.get("Content-Type", ""))


def _read_signals(
    found: Discovery, page: SitePage | None, given: OjsUrl | None, final: OjsUrl | None
) -> None:
    """Generator tag, theme markup and URL shapes, into evidence lines."""
    if page is None:
        found.evidence.append("not an HTML page: no generator tag or theme markup to read")
    else:
        found.generator, found.markup = page.generator, page.markup
        found.evidence.append(f"generator meta tag: {found.generator or 'none'}")
        found.evidence.append(f"OJS theme markup: {found.markup or 'none'}")
    if is_ojs_generator(found.generator):
        found.version = generator_version(found.generator)
    elif page is not None and page.asset_version:
        found.version = page.asset_version
        found.evidence.append(f"OJS version {page.asset_version} from /lib/pkp/ asset URLs")
    found.url_shape = any(shape is not None and shape.strong for shape in (given, final))
    shown = None  # the final URL's shape only when it says something else
    for label, shape in (("URL", given), ("final URL", final)):
        if shape is not None and (described := _describe_shape(shape)) != shown:
            found.evidence.append(f"{label} shape: {described}")
            shown = described
    if page is not None and page.context is not None:
        found.evidence.append(f"the page's own links point into {_describe_shape(page.context, page=False)}")


def _describe_shape(shape: OjsUrl, *, page: bool = True) -> str:
    if shape.is_site:
        where = "the site context"
    else:
        where = f"journal {shape.journal!r}" if shape.journal else "a journal on its own host"
    route = "/".join(part for part in (shape.page, shape.op) if part)
    if page and route:
        return f"{where} at {shape.root}, {'an OJS' if shape.strong else 'an OJS-like'} route {route}"
    return f"{where} at {shape.root}"


@dataclass(frozen=True)
class _Identified:
    ok: bool
    said: str  # what Identify said, or why it failed
    name: str | None = None
    software: str | None = None  # what Identify names the provider (``parse.identify``)
    version: str | None = None  # from the OJS toolkit description only

    @property
    def outcome(self) -> str:
        return self.said if self.ok else f"does not answer ({self.said})"

    @property
    def is_ojs(self) -> bool:
        return self.ok and self.software == OJS_TOOLKIT


def _identify(endpoint: str, http: HttpClient) -> _Identified:
    try:
        info = OaiClient(endpoint, http).identify()
    except HarvesterError as exc:  # the message starts with the URL asked; the reason is enough
        return _Identified(ok=False, said=re.sub(r"^\S+(?: \(Identify\))?: ", "", str(exc)))
    said = f"answers, repository {info.name!r}" if info.name else "answers, no repository name"
    if info.base_url and info.base_url.rstrip("/") != endpoint.rstrip("/"):
        said += f", baseURL {info.base_url}"
    if info.software is None:
        said += ", software not named (no toolkit description): not OJS's endpoint"
    else:
        version = f" {info.software_version}" if info.software_version else ""
        said += f", software {info.software}{version}" + ("" if info.ojs_version else ": not OJS")
    return _Identified(True, said, info.name, info.software, info.ojs_version)


def _check_journal(shape: OjsUrl, title: str | None, http: HttpClient, found: Discovery) -> DiscoveredJournal:
    journal = DiscoveredJournal(
        path=shape.journal, base_url=shape.root, title=title,
        name=_source_name(shape), oai_url=derive_oai_url(shape.root),
    )  # fmt: skip
    identified = _identify(journal.oai_url, http)
    found.evidence.append(f"OAI-PMH Identify at {journal.oai_url}: {identified.outcome}")
    if not identified.ok:
        journal.oai_error = identified.said
        return journal
    if not identified.is_ojs:
        journal.oai_error = _note_other(found, identified)
        return journal
    journal.oai_ok, journal.strategy = True, "oai+html"
    journal.repository_name = identified.name
    journal.title = journal.title or identified.name
    if found.version is None and identified.version:
        found.version = identified.version
        found.evidence.append(f"OJS version {identified.version} from the OAI Identify toolkit description")
    return journal


def _note_other(found: Discovery, identified: _Identified) -> str:
    """Remember an answering endpoint of other software; why it is not used."""
    found.other_oai = found.other_oai or identified.software or "software not named in Identify"
    return f"not OJS's endpoint ({identified.software or 'no toolkit description'})"


def _source_name(shape: OjsUrl) -> str:
    raw = shape.journal or urlsplit(shape.root).netloc.removeprefix("www.")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return name or "journal"


def _check_site(
    found: Discovery, shapes: list[OjsUrl], site: OjsUrl | None, final_url: str, http: HttpClient
) -> None:
    """Site root URL; the site-wide OAI endpoint when no journal's endpoint answered."""
    anchor = shapes[0] if shapes else site
    found.site_url = install_url(anchor) if anchor is not None else None
    if any(journal.oai_ok for journal in found.journals):
        return
    if anchor is None:  # nothing OJS-shaped: ask where OJS would have the site's endpoint
        parts = urlsplit(final_url)
        context: str | None = f"{parts.scheme}://{parts.netloc}/index.php/{SITE_CONTEXT}"
    else:
        context = site_context_url(anchor)
    if context is None:
        return
    found.site_oai_url = derive_oai_url(context)
    identified = _identify(found.site_oai_url, http)
    found.site_oai_ok = identified.is_ojs
    if identified.ok and not identified.is_ojs:
        _note_other(found, identified)
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
        shape = OjsUrl(journal_base(context, path), path)
        found.site_journals.append(ListedJournal(path, shape.root, sets[path]))
        found.journals.append(_check_journal(shape, sets[path], http, found))


def _list_siblings(found: Discovery, shape: OjsUrl, http: HttpClient) -> None:
    """Read the site index beside a journal: the other journals of a multi-journal site."""
    index_url = site_context_url(shape)
    if index_url is None:
        return
    try:
        response = http.get(index_url)
    except HarvesterError as exc:
        found.evidence.append(f"site index {index_url}: not readable ({exc})")
        return
    page = _read_page(response)
    if page is None or not page.is_site_index:
        found.evidence.append(f"site index {index_url}: redirects to {response.url} (one journal)")
        return
    found.site_journals = list(page.journals)
    found.evidence.append(f"site index {index_url}: lists {len(found.site_journals)} journal(s)")


def _looks_ojs(found: Discovery) -> bool:
    return is_ojs_generator(found.generator) or found.markup is not None or _oai_answered(found)


def _decide(found: Discovery, shapes: list[OjsUrl]) -> None:
    if is_other_pkp_app(found.generator):
        found.evidence.append(f"not OJS: the generator tag names {found.generator}")
    else:
        found.is_ojs = (
            is_ojs_generator(found.generator)
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
        f"an OAI-PMH endpoint of other software answers ({found.other_oai})"
        if found.other_oai
        else ("an OAI-PMH endpoint answers" if found.site_oai_ok else "no OAI-PMH endpoint"),
        "an OJS-like URL but no OJS page markup" if found.url_shape else "no OJS URL shape",
    ]
    return f"not an OJS journal ({', '.join(reasons)})"
