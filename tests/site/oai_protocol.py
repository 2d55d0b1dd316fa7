"""The OAI-PMH verbs of the test OJS site: argument checks, selections, resumption tokens, errors.

``OaiProvider`` is mixed into ``OjsSite``: it reads the site's journals, page sizes, granularity and
OAI fault switches, and keeps the tokens it issued.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.site.handler import Response, fault_response, truncate
from tests.site.model import SimArticle, SimJournal, now
from tests.site.oai import (
    FORMATS,
    GRANULARITY_SECONDS,
    HEAD,
    SET_DESCRIPTION,
    OaiError,
    header_xml,
    hsc,
    record_xml,
    stamp,
    token_xml,
)
from tests.site.ojs_jats import formats_of
from tests.site.ojs_releases import Release

__all__ = ["OaiProvider", "Query", "TokenState"]


_VERBS: dict[str, frozenset[str]] = {
    "Identify": frozenset({"verb"}),
    "ListMetadataFormats": frozenset({"verb", "identifier"}),
    "ListSets": frozenset({"verb", "resumptionToken"}),
    "ListRecords": frozenset({"verb", "metadataPrefix", "from", "until", "set", "resumptionToken"}),
    "ListIdentifiers": frozenset({"verb", "metadataPrefix", "from", "until", "set", "resumptionToken"}),
    "GetRecord": frozenset({"verb", "identifier", "metadataPrefix"}),
}
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class Query:
    """The selection a list request (and all its token pages) runs against."""

    journal: str
    prefix: str
    start: datetime | None
    end: datetime | None
    set_spec: str | None

    def matches(self, art: SimArticle) -> bool:
        """Whether the article falls in this selection."""
        if self.set_spec is not None and self.set_spec not in (art.journal, art.set_spec):
            return False
        if self.start is not None and art.datestamp < self.start:
            return False
        return self.end is None or art.datestamp <= self.end


@dataclass(frozen=True)
class TokenState:
    verb: str
    query: Query
    offset: int
    echo: tuple[tuple[str, str], ...]


def _parse_bound(value: str | None, *, until: bool, granularity: str) -> datetime | None:
    if value is None:
        return None
    if _DAY_RE.fullmatch(value):
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + timedelta(hours=23, minutes=59, seconds=59) if until else day
    if _SECOND_RE.fullmatch(value) and granularity == GRANULARITY_SECONDS:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    raise OaiError("badArgument", f"Illegal date/time argument: {value}")


def _echo_attrs(pairs: tuple[tuple[str, str], ...]) -> str:
    return "".join(f' {name}="{hsc(value)}"' for name, value in pairs)


class OaiProvider:
    """The OAI-PMH endpoint of every journal of an ``OjsSite``."""

    journals: dict[str, SimJournal]
    release: Release
    page_size: int
    identifiers_page_size: int
    granularity: str
    repository_id: str
    base_url: str
    delay: float
    control_chars: bool
    from_500: bool
    ignore_from: bool
    repeat_token: bool
    empty_pages: bool
    decoy_token: bool
    _lock: threading.RLock
    _fail: list[tuple[int, str | None]]
    _truncate: int
    _tokens: dict[str, TokenState]
    _select_cache: dict[Query, tuple[int, list[SimArticle]]]
    _version: int

    def _serve_oai(self, journal: SimJournal, pairs: list[tuple[str, str]]) -> Response:
        if self.delay:
            time.sleep(self.delay)
        args = dict(pairs)
        with self._lock:
            fault = self._http_fault(args)
            if fault is not None:
                return fault
            try:
                body = self._dispatch(journal, pairs)
            except OaiError as err:
                return Response(200, self._error_body(journal, pairs, err))
            if args.get("verb") == "ListRecords" and self._truncate:
                self._truncate -= 1
                body = truncate(body)
        return Response(200, body)

    def _http_fault(self, args: dict[str, str]) -> Response | None:
        if self._fail:
            return fault_response(*self._fail.pop(0))
        if self.from_500 and "from" in args and args.get("verb") in ("ListRecords", "ListIdentifiers"):
            return Response(500, b"", {"Content-Type": "text/html; charset=UTF-8"})
        return None

    def _dispatch(self, journal: SimJournal, pairs: list[tuple[str, str]]) -> bytes:
        args = dict(pairs)
        verb = args.get("verb", "")
        if verb not in _VERBS:
            raise OaiError("badVerb", "Illegal OAI verb", bare=True)
        if len(args) != len(pairs) or set(args) - _VERBS[verb]:
            raise OaiError("badArgument", "Illegal argument", bare=True)
        if verb in ("ListRecords", "ListIdentifiers"):
            return self._list(journal, verb, args)
        handlers = {
            "Identify": self._identify,
            "ListMetadataFormats": self._list_formats,
            "ListSets": self._list_sets,
            "GetRecord": self._get_record,
        }
        return handlers[verb](journal, args)

    def _head(self, journal: SimJournal, attrs: tuple[tuple[str, str], ...]) -> str:
        moment = stamp(now(), GRANULARITY_SECONDS)
        return HEAD.format(base=self.base_url, now=moment, attrs=_echo_attrs(attrs), url=journal.oai_url)

    def _error_body(self, journal: SimJournal, pairs: list[tuple[str, str]], err: OaiError) -> bytes:
        verb = [(k, v) for k, v in pairs if k == "verb"]
        attrs = () if err.bare else tuple(verb + [(k, v) for k, v in pairs if k != "verb"])
        error = f'\t<error code="{err.code}">{hsc(err.message)}</error></OAI-PMH>\n'
        return (self._head(journal, attrs) + error).encode()

    def _wrap(self, journal: SimJournal, args: dict[str, str], element: str, inner: str | bytes) -> bytes:
        attrs = (("verb", args["verb"]), *((k, v) for k, v in args.items() if k != "verb"))
        inner = inner.encode() if isinstance(inner, str) else inner
        head = f"{self._head(journal, attrs)}\t<{element}>\n".encode()
        return head + inner + f"\t</{element}>\n</OAI-PMH>\n".encode()

    def _identify(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        earliest = min((a.datestamp for a in journal.articles), default=now())
        repo = self.repository_id
        inner = (
            f"\t\t<repositoryName>{hsc(journal.title)}</repositoryName>\n"
            f"\t\t<baseURL>{journal.oai_url}</baseURL>\n"
            "\t\t<protocolVersion>2.0</protocolVersion>\n"
            f"\t\t<adminEmail>{journal.admin_email}</adminEmail>\n"
            f"\t\t<earliestDatestamp>{stamp(earliest, self.granularity)}</earliestDatestamp>\n"
            "\t\t<deletedRecord>persistent</deletedRecord>\n"
            f"\t\t<granularity>{self.granularity}</granularity>\n"
            "\t\t<compression>gzip</compression>\n\t\t<compression>deflate</compression>\n"
            "\t\t<description>\n\t\t\t<oai-identifier\n"
            '\t\t\t\txmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"\n'
            '\t\t\t\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
            '\t\t\t\txsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier\n'
            '\t\t\t\t\thttp://www.openarchives.org/OAI/2.0/oai-identifier.xsd">\n'
            "\t\t\t\t<scheme>oai</scheme>\n"
            f"\t\t\t\t<repositoryIdentifier>{repo}</repositoryIdentifier>\n"
            "\t\t\t\t<delimiter>:</delimiter>\n"
            f"\t\t\t\t<sampleIdentifier>oai:{repo}:article/1</sampleIdentifier>\n"
            "\t\t\t</oai-identifier>\n\t\t</description>\n"
            "\t\t<description>\n\t\t\t<toolkit\n"
            '\t\t\t\txmlns="http://oai.dlib.vt.edu/OAI/metadata/toolkit"\n'
            '\t\t\t\txsi:schemaLocation="http://oai.dlib.vt.edu/OAI/metadata/toolkit\n'
            '\t\t\t\t\thttp://oai.dlib.vt.edu/OAI/metadata/toolkit.xsd">\n'
            "\t\t\t\t<title>Open Journal Systems</title>\n"
            "\t\t\t\t<author>\n\t\t\t\t\t<name>Public Knowledge Project</name>\n"
            "\t\t\t\t\t<email>pkp.contact@gmail.com</email>\n\t\t\t\t</author>\n"
            f"\t\t\t\t<version>{self.release.version}</version>\n"
            f"\t\t\t\t<URL>{self.release.toolkit_url}</URL>\n"
            "\t\t\t</toolkit>\n\t\t</description>\n"
        )
        return self._wrap(journal, args, "Identify", inner)

    def _list_formats(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "identifier" in args:
            self._lookup(journal, args["identifier"])
        inner = "".join(
            f"\t\t<metadataFormat>\n\t\t\t<metadataPrefix>{prefix}</metadataPrefix>\n"
            f"\t\t\t<schema>{schema}</schema>\n"
            f"\t\t\t<metadataNamespace>{namespace}</metadataNamespace>\n\t\t</metadataFormat>\n"
            for prefix, (schema, namespace) in formats_of(self.release, FORMATS).items()
        )
        return self._wrap(journal, args, "ListMetadataFormats", inner)

    def _list_sets(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "The requested resumptionToken is invalid or has expired")
        sets = [(journal.path, journal.title)]
        sets += [(f"{journal.path}:{abbrev}", title) for abbrev, title in journal.sections().items()]
        inner = "".join(
            f"\t\t<set>\n\t\t\t<setSpec>{hsc(spec)}</setSpec>\n"
            f"\t\t\t<setName>{hsc(name)}</setName>\n{SET_DESCRIPTION}\t\t</set>\n"
            for spec, name in sets
        )
        return self._wrap(journal, args, "ListSets", inner)

    def _lookup(self, journal: SimJournal, identifier: str) -> SimArticle:
        match = re.fullmatch(rf"oai:{re.escape(self.repository_id)}:article/(\d+)", identifier)
        art = journal.find(int(match.group(1))) if match else None
        if art is None:
            raise OaiError("idDoesNotExist", "No matching identifier in this repository")
        return art

    def _check_prefix(self, args: dict[str, str]) -> str:
        prefix = args.get("metadataPrefix")
        if prefix is None:
            raise OaiError("badArgument", "Missing metadataPrefix parameter", bare=True)
        if prefix not in formats_of(self.release, FORMATS):
            raise OaiError(
                "cannotDisseminateFormat", "The requested metadataPrefix is not supported by this repository"
            )
        return prefix

    def _get_record(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "identifier" not in args:
            raise OaiError("badArgument", "Missing identifier parameter", bare=True)
        prefix = self._check_prefix(args)
        art = self._lookup(journal, args["identifier"])
        return self._wrap(journal, args, "GetRecord", self._record_bytes(art, prefix))

    def _record_bytes(self, art: SimArticle, prefix: str) -> bytes:
        broken = (self.control_chars or art.control_chars) and not art.deleted
        key = (prefix, self.granularity, broken)
        cached = art._cache.get(key)
        if cached is None:
            assert art.owner is not None
            cached = art._cache[key] = record_xml(art, art.owner, prefix, self.granularity, broken=broken)
        return cached

    def _header_bytes(self, art: SimArticle) -> bytes:
        key = ("header", self.granularity)
        cached = art._cache.get(key)
        if cached is None:
            cached = art._cache[key] = header_xml(art, self.granularity, "\t\t").encode()
        return cached

    def _new_query(self, journal: SimJournal, args: dict[str, str]) -> Query:
        prefix = self._check_prefix(args)
        start = _parse_bound(args.get("from"), until=False, granularity=self.granularity)
        end = _parse_bound(args.get("until"), until=True, granularity=self.granularity)
        if "from" in args and "until" in args and len(args["from"]) != len(args["until"]):
            raise OaiError("badArgument", "from and until have different granularities", bare=True)
        if self.ignore_from:
            start = end = None
        return Query(journal.path, prefix, start, end, args.get("set"))

    def _select(self, journal: SimJournal, query: Query) -> list[SimArticle]:
        if query.start is None and query.end is None and query.set_spec is None:
            return journal.articles
        hit = self._select_cache.get(query)
        if hit is None or hit[0] != self._version:
            if len(self._select_cache) > 64:
                self._select_cache.clear()
            hit = self._select_cache[query] = (
                self._version,
                [a for a in journal.articles if query.matches(a)],
            )
        return hit[1]

    def _resume(self, verb: str, args: dict[str, str]) -> TokenState:
        token = args["resumptionToken"]
        state = self._tokens.get(token)
        if len(args) > 2 or state is None or state.verb != verb:
            raise OaiError("badResumptionToken", "The requested resumptionToken is invalid or has expired")
        return state

    def _issue(self, state: TokenState) -> str:
        token = secrets.token_hex(16)
        self._tokens[token] = state
        return token

    def _list(self, journal: SimJournal, verb: str, args: dict[str, str]) -> bytes:
        resumed = "resumptionToken" in args
        if resumed:
            state = self._resume(verb, args)
        else:
            echo = tuple((k, v) for k, v in args.items() if k != "verb")
            state = TokenState(verb, self._new_query(journal, args), 0, echo)
        items = self._select(journal, state.query)
        size = self.page_size if verb == "ListRecords" else self.identifiers_page_size
        offset = state.offset
        if offset >= len(items):
            raise OaiError("noRecordsMatch", "No matching records in this repository")
        page = items[offset : offset + size]
        token = None
        if offset + size < len(items):
            token = self._issue(TokenState(verb, state.query, offset + size, state.echo))
        if resumed and self.empty_pages:
            page, token = [], self._issue(state)
        if resumed and self.repeat_token:
            token = args["resumptionToken"]
        if verb == "ListRecords":
            parts = [self._record_bytes(a, state.query.prefix) for a in page]
        else:
            parts = [self._header_bytes(a) for a in page]
        parts.append(token_xml(token, len(items), offset, paged=resumed or token is not None))
        if self.decoy_token:  # a token element inside a comment: not a token, for a parser
            parts.append(b"<!-- <resumptionToken>decoy</resumptionToken> -->")
        return self._wrap(journal, {"verb": verb, **dict(state.echo)}, verb, b"".join(parts))
