"""OAI-PMH through Sickle, over the polite client, parsed strictly, quirks handled in one place.

Sickle builds the requests and reads Identify; every HTTP request goes through ``HttpClient``
and every response is parsed by a strict, hardened lxml parser (Sickle's own parser silently
*recovers* from broken XML, which would turn a truncated page into a quiet end of the
harvest).  ``OaiClient.pages`` walks one harvest window page by page so the pipeline can
commit each page with its checkpoint; the other list verbs are paged here too (Sickle's
iterators follow a looping token forever), every one through the same guards.

The quirk policy of DESIGN.md §3 lives in ``oai_quirks`` and nowhere else.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Generic, TypeVar

from sickle import Sickle
from sickle.models import Identify
from sickle.response import OAIResponse

from ..errors import (
    BadResumptionToken,
    HarvesterError,
    NoRecordsMatch,
    TransientHTTPStatusError,
)
from ..fetch.client import HttpClient
from ..fetch.response import Packed, Response, pack
from ..model import OaiRecord
from ..parse.identify import OJS_TOOLKIT, provider_software, toolkit_version
from ..parse.oai_dc import parse_record
from .datestamps import now_datestamp
from .helper import HelperProcess, outcome
from .oai_pages import OAI_NS, PageData, check_response, read_page, sniff_token, token_of
from .oai_quirks import (
    WindowState,
    after_bad_token,
    fetch_twice,
    is_from_failure,
    list_should_end,
    parse_strict,
    repair_payload,
)

__all__ = [
    "OaiClient",
    "Page",
    "RepositoryInfo",
    "Window",
    "repair_payload",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# Reads one ``<record>`` of a window's format: ``parse.oai_dc.parse_record``, ``parse.jats``.
RecordParser = Callable[[Any, Mapping[str, str]], OaiRecord]
# A window reported this long (records), or still going after this many pages, has its pages
# read by the helper process (``oai_pages``).
HELPER_RECORDS = 2000
HELPER_PAGES = 20
_HELPER = HelperProcess()
atexit.register(_HELPER.close)

# Some servers answer 406 to a bare "application/xml"; OJS ignores Accept altogether.
ACCEPT = "text/xml, application/xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class RepositoryInfo:
    """What Identify says about a repository."""

    name: str | None
    base_url: str | None
    granularity: str  # "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ"
    earliest_datestamp: str | None
    deleted_record: str | None
    repository_identifier: str | None
    software_version: str | None  # the toolkit description's version, of ``software``
    software: str | None = None  # what Identify names the provider (``parse.identify``)

    @property
    def ojs_version(self) -> str | None:
        """The OJS version, only when the toolkit description is OJS's own."""
        return self.software_version if self.software == OJS_TOOLKIT else None


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
    packed: Packed | None = None  # ``content`` packed for keeping, when the client was asked to


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
        where = f"{self.endpoint} ({kwargs.get('verb', '?')})"
        return fetch_twice(lambda: self._harvest_once(where, kwargs))

    def _harvest_once(self, where: str, kwargs: dict[str, str]) -> _StrictResponse:
        response = self.fetch(kwargs)
        content, tree, repairs = parse_strict(response.content, where)
        for repair in repairs:
            log.warning("%s: %s", where, repair)
        check_response(tree, where)
        return _StrictResponse(kwargs, response.url, content, tree, repairs)

    def fetch(self, params: Mapping[str, str]) -> Response:
        """One request to the endpoint, through the polite client."""
        return self._http.get(self.endpoint, params=params, headers={"Accept": ACCEPT})


class OaiClient:
    """The OAI-PMH verbs a harvester needs, for one endpoint."""

    def __init__(
        self,
        endpoint: str,
        http: HttpClient,
        *,
        max_empty_pages: int = 3,
        helper_from: int | None = HELPER_RECORDS,
        pack_pages: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self._sickle = _PoliteSickle(endpoint, http)
        self._max_empty_pages = max_empty_pages
        self._helper_from = helper_from  # None: never use the helper process
        self._pack_pages = pack_pages  # pages are kept: pack them in the fetching thread

    def _use_helper(self, listed: int | None, pages: int) -> bool:
        """Whether the next page is read by the helper process (``oai_pages``): in a window
        long enough that the helper's start (~0.3 s) is a small part of it."""
        if self._helper_from is None:
            return False
        return (listed or 0) >= self._helper_from or pages >= HELPER_PAGES

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
            software_version=toolkit_version(info.xml),
            software=provider_software(info.xml),
        )

    def list_metadata_formats(self) -> list[str]:
        """The metadata prefixes the repository offers."""
        return [
            (item.findtext(f"{OAI_NS}metadataPrefix") or "").strip()
            for item in self._list("ListMetadataFormats")
        ]

    def list_sets(self) -> dict[str, str]:
        """Set spec → set name (OJS: the journal, and one set per section)."""
        sets = {}
        try:
            for item in self._list("ListSets"):
                spec = (item.findtext(f"{OAI_NS}setSpec") or "").strip()
                sets[spec] = (item.findtext(f"{OAI_NS}setName") or spec).strip()
        except HarvesterError as exc:
            if getattr(exc, "code", None) == "noSetHierarchy":
                return {}
            raise
        return sets

    def _list(self, verb: str) -> Iterator[Any]:
        """The items of a paged list verb without arguments (ListSets, ListMetadataFormats),
        through the guards of ``pages``: an item is new when its text was not seen before."""
        state = WindowState()
        token: str | None = None
        where = f"{self.endpoint} ({verb})"
        while True:
            params = {"verb": verb, "resumptionToken": token} if token else {"verb": verb}
            try:
                tree = self._sickle.harvest(**params).tree
            except BadResumptionToken as exc:
                token = after_bad_token(state, exc, token, where)
                continue
            listed = tree.find(f"{OAI_NS}{verb}")
            children = listed if listed is not None else []
            token_tag = f"{OAI_NS}resumptionToken"
            items = [item for item in children if isinstance(item.tag, str) and item.tag != token_tag]
            yield from items
            token, size = token_of(listed.find(token_tag) if listed is not None else None)
            keys = {"".join(item.itertext()) for item in items}
            if list_should_end(state, token, keys, size, self._max_empty_pages, where):
                return

    def _fetch_page(
        self,
        window: Window,
        token: str | None,
        names: Mapping[str, str],
        parse: RecordParser,
        helper: bool,
        ahead: _Lookahead,
    ) -> Page:
        if token:
            params = _token_params(token)
        else:
            params = {"verb": "ListRecords", "metadataPrefix": window.metadata_prefix}
            optional = {"from": window.from_, "until": window.until, "set": window.set_spec}
            params |= {key: value for key, value in optional.items() if value}
        try:
            return fetch_twice(lambda: self._read_page(params, names, parse, helper, ahead))
        except NoRecordsMatch as exc:
            # Quirk (and the spec): noRecordsMatch is an empty result, not a failure.
            date = exc.response_date or now_datestamp()
            return Page(records=[], token=None, response_date=date, url=self.endpoint, content=b"")

    def _read_page(
        self,
        params: dict[str, str],
        set_names: Mapping[str, str],
        parse: RecordParser,
        helper: bool,
        ahead: _Lookahead,
    ) -> Page:
        where, names = f"{self.endpoint} (ListRecords)", dict(set_names)

        def read_in_helper(content: bytes) -> _Answer | None:
            return _HELPER.submit(read_page, content, where, names, parse)

        response, answer = ahead.take(params) or (self._sickle.fetch(params), None)
        if answer is None and helper:
            answer = read_in_helper(response.content)  # before the next page's: answers keep order
        next_token = sniff_token(response.content)
        if next_token is not None:
            ahead.send(next_token, read_in_helper if helper else None)
        data = outcome(answer, read_page, response.content, where, names, parse)
        for warning in data.warnings:
            log.warning("%s", warning)
        content = data.repaired or response.content
        return Page(
            records=data.records,
            token=data.token,
            response_date=data.response_date or now_datestamp(),
            url=response.url,
            content=content,
            warnings=data.warnings,
            complete_list_size=data.complete_list_size,
            packed=pack(content) if self._pack_pages else None,
        )

    def pages(
        self,
        window: Window,
        token: str | None = None,
        set_names: Mapping[str, str] | None = None,
        parse: RecordParser = parse_record,
    ) -> Iterator[Page]:
        """Every page of a window, starting at ``token`` when resuming; quirks applied.
        ``parse`` reads one record of the window's format (oai_dc unless told).

        The next page is fetched and parsed in the background while the caller stores the
        current one, and the page after it is requested while that one is parsed
        (``_Lookahead``), so network, XML parsing and database writes overlap.
        """
        names = set_names or {}
        state = WindowState()
        listed: int | None = None  # the window's size, once a page told it

        prefetch: _Worker[Page] = _Worker("oai-prefetch")
        ahead = _Lookahead(self._sickle.fetch)

        def start() -> Future[Page]:  # the page at the current window and token
            helper = self._use_helper(listed, state.pages)
            return prefetch.start(partial(self._fetch_page, window, token, names, parse, helper, ahead))

        pending = start()
        try:
            while True:
                try:
                    page = pending.result()
                except BadResumptionToken as exc:
                    token = after_bad_token(state, exc, token, self.endpoint)
                    pending = start()
                    continue
                except TransientHTTPStatusError as exc:
                    if not is_from_failure(exc, window.from_, token):
                        raise
                    log.warning(
                        "%s: ListRecords with from= fails with HTTP 500; harvesting everything",
                        self.endpoint,
                    )
                    window = Window(window.metadata_prefix, None, None, window.set_spec)
                    pending = start()
                    continue
                keys = {record.header.identifier for record in page.records}
                size = page.complete_list_size
                listed = size or listed
                last = list_should_end(state, page.token, keys, size, self._max_empty_pages, self.endpoint)
                if not last:
                    token = page.token
                    pending = start()
                yield replace(page, last=last)
                if last:
                    return
        finally:
            prefetch.close()
            ahead.close()


# The helper's answer to a page's reading (``helper.outcome`` turns it into the page's data).
_Answer = Future[tuple[bool, PageData]]
# A page's response, and its reading in the helper when one was started.
_Fetched = tuple[Response, _Answer | None]
# Starts reading a page's bytes in the helper (None: the helper cannot take it now).
_Reader = Callable[[bytes], _Answer | None]


def _token_params(token: str) -> dict[str, str]:
    return {"verb": "ListRecords", "resumptionToken": token}


class _Worker(Generic[_T]):
    """One daemon thread running a window's calls for the caller, one at a time.

    Started once per window: a thread started per page made the caller wait, at every page,
    until the new thread had taken the interpreter lock and handed it back.  A daemon thread,
    so a process told to stop never waits for a fetch whose page it will not store (the
    checkpoint still points before it).
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], _T], Future[_T]] | None] = queue.SimpleQueue()
        threading.Thread(target=self._work, name=name, daemon=True).start()

    def start(self, call: Callable[[], _T]) -> Future[_T]:
        """Queue ``call``; its result (or its exception) arrives in the future."""
        result: Future[_T] = Future()
        self._jobs.put((call, result))
        return result

    def close(self) -> None:
        """End the thread after the call it is doing, if any."""
        self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, result = job
            try:
                result.set_result(call())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
                result.set_exception(exc)


class _Lookahead:
    """The next page's request, sent as soon as a page arrives rather than once it is parsed,
    and in a long window its reading, handed to the helper process as soon as it arrives.

    The token for the next page is read off the raw bytes (``oai_pages.sniff_token``), so the
    request goes out while the page is parsed and stored, and the helper goes from one page
    to the next without waiting for this process.  The response (and its reading) is used
    only for a request with exactly those arguments, once: when the parsed token differs (a
    page that needed repair, a token the sniffer misread), the page is fetched again with the
    parsed one.  A token is sent once per window: one that repeats ends the list
    (``oai_quirks.list_should_end``).  A list the other loop guards end (stale pages, far
    past ``completeListSize``) costs one request more.  Used from the prefetch thread only.
    """

    def __init__(self, fetch: Callable[[dict[str, str]], Response]) -> None:
        self._fetch = fetch
        self._worker: _Worker[_Fetched] = _Worker("oai-lookahead")
        self._sent: tuple[dict[str, str], Future[_Fetched]] | None = None
        self._tokens: set[str] = set()

    def send(self, token: str, read: _Reader | None) -> None:
        """Request the page at ``token`` in the background, unless it was requested before;
        ``read``: start reading its bytes as soon as they arrive."""
        if token not in self._tokens:
            self._tokens.add(token)
            params = _token_params(token)
            self._sent = (params, self._worker.start(partial(self._fetch_and_read, params, read)))

    def _fetch_and_read(self, params: dict[str, str], read: _Reader | None) -> _Fetched:
        response = self._fetch(params)
        return response, read(response.content) if read else None

    def take(self, params: dict[str, str]) -> _Fetched | None:
        """The response to ``params`` and its reading, if it was sent (raising what the
        request raised)."""
        sent, self._sent = self._sent, None
        if sent is None or sent[0] != params:
            return None
        return sent[1].result()

    def close(self) -> None:
        self._worker.close()
