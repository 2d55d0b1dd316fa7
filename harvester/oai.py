"""OAI-PMH through Sickle, over the polite client, parsed strictly, quirks handled in one place.

Sickle builds the requests and reads Identify, ListSets and ListMetadataFormats; every HTTP
request goes through ``HttpClient`` and every response is parsed by a strict, hardened lxml
parser (Sickle's own parser silently *recovers* from broken XML, which would turn a truncated
page into a quiet end of the harvest).  ``OaiClient.pages`` walks one harvest window page by
page so the pipeline can commit each page with its checkpoint.

The quirk policy of DESIGN.md §3 lives in the section "Quirks" below and nowhere else.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from sickle import Sickle
from sickle.models import Identify, MetadataFormat, Set
from sickle.response import OAIResponse

from .errors import (
    BadResumptionToken,
    BrokenResponseError,
    HarvesterError,
    NoRecordsMatch,
    TransientHTTPStatusError,
    oai_error_for_code,
)
from .http import HttpClient
from .model import OaiRecord
from .parse.oai_dc import parse_record

__all__ = [
    "OaiClient",
    "Page",
    "RepositoryInfo",
    "Window",
    "format_datestamp",
    "parse_datestamp",
    "repair_payload",
]

log = logging.getLogger(__name__)

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
# Some servers answer 406 to a bare "application/xml"; OJS ignores Accept altogether.
ACCEPT = "text/xml, application/xml;q=0.9, */*;q=0.1"

# Hardened and strict: no entity expansion, no network, no DTD, and no silent recovery.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, recover=False, huge_tree=False
)


@dataclass(frozen=True)
class RepositoryInfo:
    """What Identify says about a repository."""

    name: str | None
    base_url: str | None
    granularity: str  # "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ"
    earliest_datestamp: str | None
    deleted_record: str | None
    repository_identifier: str | None
    software_version: str | None


@dataclass(frozen=True)
class Window:
    """One selective harvest: ListRecords with these arguments, followed to the last page."""

    metadata_prefix: str
    from_: str | None = None
    until: str | None = None
    set_spec: str | None = None


@dataclass(frozen=True)
class Page:
    """One fetched ListRecords page."""

    records: list[OaiRecord]
    token: str | None  # the token for the next page; None on the last page
    response_date: str
    url: str
    content: bytes
    warnings: tuple[str, ...] = ()  # repairs made and records skipped
    complete_list_size: int | None = None  # the whole window's size, when the server tells
    last: bool = False  # the window ends with this page


@dataclass
class _WindowState:
    seen_tokens: set[str] = field(default_factory=set)
    empty_run: int = 0
    restarted: bool = False


# --- Quirks ----------------------------------------------------------------------------------

# XML 1.0 forbids C0 controls other than tab/LF/CR (and U+FFFE/U+FFFF).  OJS copies pasted
# text (Word, PDF) into records unfiltered, so real endpoints emit them raw and as character
# references; a strict parser rejects the whole page for one stray \x0b.
_ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ILLEGAL_REFS = re.compile(
    r"&#(?:x0*(?:[0-8bcef]|1[0-9a-f])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));", re.IGNORECASE
)


def repair_payload(content: bytes) -> tuple[bytes, tuple[str, ...]]:
    """Make a response parseable without changing any well-formed content; say what was done.

    Quirk: invalid UTF-8 (Latin-1 text stored in a UTF-8 database by old OJS upgrades) is
    replaced by U+FFFD; XML-illegal control characters are removed.
    """
    repairs: list[str] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("utf-8", errors="replace")
        repairs.append("invalid UTF-8 replaced")
    text, raw = _ILLEGAL_CHARS.subn("", text)
    text, refs = _ILLEGAL_REFS.subn("", text)
    if raw or refs:
        repairs.append(f"{raw + refs} XML-illegal control character(s) removed")
    return (text.encode("utf-8"), tuple(repairs)) if repairs else (content, ())


def _restart_or_raise(state: _WindowState, error: BadResumptionToken, where: str) -> None:
    """Quirk: tokens expire (OJS: ~24 h) or vanish on a server restart.  Records are idempotent
    in the store, so the window restarts from its first page, once; a second bad token fails."""
    if state.restarted:
        raise error
    log.warning("%s: %s; restarting the window from its first page", where, error)
    state.restarted = True
    state.seen_tokens.clear()
    state.empty_run = 0


def _window_should_end(state: _WindowState, page: Page, max_empty_pages: int, where: str) -> bool:
    """Quirk: a token that repeats (looping servers) or a run of pages without records but
    with a token (broken servers) would page forever; the window ends with a warning."""
    if page.token is None:
        return True
    if page.token in state.seen_tokens:
        log.warning("%s: resumption token %r repeated; ending the window here", where, page.token)
        return True
    state.seen_tokens.add(page.token)
    state.empty_run = 0 if page.records else state.empty_run + 1
    if state.empty_run >= max_empty_pages:
        log.warning("%s: %d pages in a row without records; ending the window here", where, state.empty_run)
        return True
    return False


def _parse_strict(content: bytes, where: str) -> tuple[bytes, Any, tuple[str, ...]]:
    """Parse strictly; only a page that fails is repaired (see ``repair_payload``) and parsed
    again, so well-formed pages cost one parse.  Returns the bytes parsed, the tree and the
    repairs made."""
    try:
        return content, etree.fromstring(content, _PARSER), ()
    except etree.XMLSyntaxError as exc:
        error = exc
    repaired, repairs = repair_payload(content)
    if not repairs:
        raise BrokenResponseError(f"{where}: broken XML: {error}") from None
    for repair in repairs:
        log.warning("%s: %s", where, repair)
    try:
        return repaired, etree.fromstring(repaired, _PARSER), repairs
    except etree.XMLSyntaxError as exc:
        raise BrokenResponseError(f"{where}: broken XML even after repair: {exc}") from None


def _is_from_failure(error: HarvesterError, window: Window, token: str | None) -> bool:
    """Quirk: OJS 3.4.0-4 on PostgreSQL answers every ListRecords with ``from`` by HTTP 500
    with an empty body; such a window is harvested as a full sweep instead."""
    return (
        isinstance(error, TransientHTTPStatusError)
        and error.status == 500
        and window.from_ is not None
        and token is None
    )


# --- datestamps ------------------------------------------------------------------------------


def parse_datestamp(text: str) -> datetime:
    """An OAI datestamp (day or seconds granularity) as an aware UTC datetime.

    Quirk: some servers add fractions of a second or write "+00:00" for "Z"; both are read.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BrokenResponseError(f"{text!r} is not an OAI datestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_datestamp(moment: datetime, granularity: str) -> str:
    """A datetime in the repository's granularity."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if granularity == "YYYY-MM-DD" else "%Y-%m-%dT%H:%M:%SZ")


def incremental_from(high_water: str, overlap: timedelta, granularity: str) -> str:
    """Where an incremental window starts: the last window's start minus an overlap."""
    return format_datestamp(parse_datestamp(high_water) - overlap, granularity)


# --- the client ------------------------------------------------------------------------------


class _StrictResponse(OAIResponse):  # type: ignore[misc]
    """Sickle's response, carrying the tree our strict parser built."""

    def __init__(self, params: dict[str, Any], url: str, content: bytes, tree: Any, repairs: tuple[str, ...]):
        super().__init__(http_response=None, params=params)
        self.url = url
        self.content = content
        self.tree = tree
        self.repairs = repairs

    @property
    def xml(self) -> Any:
        return self.tree

    @property
    def raw(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class _PoliteSickle(Sickle):  # type: ignore[misc]
    """Sickle with its HTTP layer replaced by our client and our strict parsing."""

    def __init__(self, endpoint: str, http: HttpClient) -> None:
        super().__init__(endpoint)
        self._http = http

    def harvest(self, **kwargs: str) -> _StrictResponse:
        response = self._http.get(self.endpoint, params=kwargs, headers={"Accept": ACCEPT})
        where = f"{self.endpoint} ({kwargs.get('verb', '?')})"
        content, tree, repairs = _parse_strict(response.content, where)
        if tree.tag != f"{OAI_NS}OAI-PMH":
            raise BrokenResponseError(f"{where}: not an OAI-PMH response (root element {tree.tag!r})")
        error = tree.find(f"{OAI_NS}error")
        if error is not None:
            oai_error = oai_error_for_code(error.get("code", "unknown"), (error.text or "").strip())
            oai_error.response_date = (tree.findtext(f"{OAI_NS}responseDate") or "").strip() or None
            raise oai_error
        return _StrictResponse(kwargs, response.url, content, tree, repairs)


class OaiClient:
    """The OAI-PMH verbs a harvester needs, for one endpoint."""

    def __init__(self, endpoint: str, http: HttpClient, *, max_empty_pages: int = 3) -> None:
        self.endpoint = endpoint
        self._sickle = _PoliteSickle(endpoint, http)
        self._max_empty_pages = max_empty_pages

    def identify(self) -> RepositoryInfo:
        """Identify: granularity, earliest datestamp, deleted-record policy, software."""
        info = Identify(self._sickle.harvest(verb="Identify"))
        granularity = getattr(info, "granularity", "YYYY-MM-DD")
        return RepositoryInfo(
            name=getattr(info, "repositoryName", None),
            base_url=getattr(info, "baseURL", None),
            granularity="YYYY-MM-DDThh:mm:ssZ" if "hh" in granularity else "YYYY-MM-DD",
            earliest_datestamp=getattr(info, "earliestDatestamp", None),
            deleted_record=getattr(info, "deletedRecord", None),
            repository_identifier=getattr(info, "repositoryIdentifier", None),
            software_version=getattr(info, "version", None),
        )

    def list_metadata_formats(self) -> list[str]:
        """The metadata prefixes the repository offers."""
        return [
            fmt.metadataPrefix
            for fmt in self._sickle.ListMetadataFormats()
            if isinstance(fmt, MetadataFormat)
        ]

    def list_sets(self) -> dict[str, str]:
        """Set spec → set name (OJS: the journal, and one set per section)."""
        try:
            return {
                item.setSpec: getattr(item, "setName", item.setSpec)
                for item in self._sickle.ListSets()
                if isinstance(item, Set)
            }
        except HarvesterError as exc:
            if getattr(exc, "code", None) == "noSetHierarchy":
                return {}
            raise

    def _fetch_page(self, window: Window, token: str | None, set_names: Mapping[str, str]) -> Page:
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": window.metadata_prefix}
            optional = {"from": window.from_, "until": window.until, "set": window.set_spec}
            params |= {key: value for key, value in optional.items() if value}
        try:
            response = self._sickle.harvest(**params)
        except NoRecordsMatch as exc:
            # Quirk (and the spec): noRecordsMatch is an empty result, not a failure.
            date = exc.response_date or _now_datestamp()
            return Page(records=[], token=None, response_date=date, url=self.endpoint, content=b"")
        return _page_from(response, set_names)

    def _fetch_page_twice(self, window: Window, token: str | None, set_names: Mapping[str, str]) -> Page:
        """Quirk: a page cut off mid-stream (proxies, PHP time limits on big pages) usually
        arrives whole the second time; a page broken twice fails the run, resumably."""
        try:
            return self._fetch_page(window, token, set_names)
        except BrokenResponseError as exc:
            log.warning("%s: %s; fetching the page once more", self.endpoint, exc)
            return self._fetch_page(window, token, set_names)

    def pages(
        self, window: Window, token: str | None = None, set_names: Mapping[str, str] | None = None
    ) -> Iterator[Page]:
        """Every page of a window, starting at ``token`` when resuming; quirks applied.

        The next page is fetched and parsed in the background while the caller stores the
        current one, so network, XML parsing and database writes overlap.
        """
        names = set_names or {}
        state = _WindowState()

        def start() -> Callable[[], Page]:  # the page at the current window and token
            return _in_background(self._fetch_page_twice, window, token, names)

        pending = start()
        while True:
            try:
                page = pending()
            except BadResumptionToken as exc:
                _restart_or_raise(state, exc, self.endpoint)
                token = None
                pending = start()
                continue
            except TransientHTTPStatusError as exc:
                if not _is_from_failure(exc, window, token):
                    raise
                log.warning(
                    "%s: ListRecords with from= fails with HTTP 500; harvesting everything", self.endpoint
                )
                window = Window(window.metadata_prefix, None, None, window.set_spec)
                pending = start()
                continue
            last = _window_should_end(state, page, self._max_empty_pages, self.endpoint)
            if not last:
                token = page.token
                pending = start()
            yield replace(page, last=last)
            if last:
                return


def _in_background(fetch: Callable[..., Page], *args: Any) -> Callable[[], Page]:
    """Start ``fetch(*args)`` on a daemon thread; the returned function waits for its page.

    A daemon thread, so a process told to stop never waits for a fetch whose page it will not
    store (the checkpoint still points before it).
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["page"] = fetch(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="oai-prefetch", daemon=True)
    thread.start()

    def wait() -> Page:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        page: Page = outcome["page"]
        return page

    return wait


def _now_datestamp() -> str:
    return format_datestamp(datetime.now(UTC), "YYYY-MM-DDThh:mm:ssZ")


def _page_from(response: _StrictResponse, set_names: Mapping[str, str]) -> Page:
    tree = response.tree
    records: list[OaiRecord] = []
    warnings = list(response.repairs)
    for element in tree.iterfind(f"{OAI_NS}ListRecords/{OAI_NS}record"):
        try:
            records.append(parse_record(element, set_names))
        except BrokenResponseError as exc:
            log.warning("%s: record skipped: %s", response.url, exc)
            warnings.append(f"record skipped: {exc}")
    token_el = tree.find(f"{OAI_NS}ListRecords/{OAI_NS}resumptionToken")
    token = (token_el.text or "").strip() if token_el is not None else ""
    size = token_el.get("completeListSize", "") if token_el is not None else ""
    return Page(
        records=records,
        token=token or None,
        response_date=(tree.findtext(f"{OAI_NS}responseDate") or _now_datestamp()).strip(),
        url=response.url,
        content=response.content,
        warnings=tuple(warnings),
        complete_list_size=int(size) if size.isdigit() else None,
    )
