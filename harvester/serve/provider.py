"""The OAI-PMH repository over the store: what each verb answers, for the ``oaipmh`` server.

``oaipmh`` (the maintained pyoai) parses and validates requests, renders the envelope, the
headers and every protocol error; this module is the repository behind it: identifiers,
datestamps, sets, records, and lists paged by signed keyset cursors (``tokens``).

- identifier: ``oai:<repository id>:<source>/<article id>``: the store's article id never
  changes across versions;
- datestamp: when the record as served last changed (``updated_at``: the current version
  written, or what it shows of its work, issue or journal changed: ``store.served``), to the
  second;
- sets: one per source (setSpec = the source name), and ``<source>:<section>`` per OJS
  section of the current articles;
- deleted: tombstones and withdrawn articles are served as deleted records, for good.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha1
from typing import Any

from oaipmh import common
from oaipmh.datestamp import datestamp_to_datetime, datetime_to_datestamp
from oaipmh.error import (
    BadArgumentError,
    CannotDisseminateFormatError,
    IdDoesNotExistError,
    NoRecordsMatchError,
    NoSetHierarchyError,
)

from ..config import ServeSettings
from ..store import Store
from ..store.serving import (
    ArticleFilter,
    article_by_id,
    changed_articles,
    count_changed,
    earliest_change,
    source_sections,
)
from .dublin_core import OAI_DC
from .tokens import Cursor, TokenCodec

__all__ = ["ListPage", "Repository", "Resumption"]

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_SECOND = timedelta(seconds=1)
# How long the list of sets is kept: a new source or section is a set within a minute.
_SETS_SECONDS = 60.0
_Sets = dict[str, tuple[str, str, tuple[str, ...] | None]]  # setSpec -> source, name, sections


@dataclass(frozen=True)
class Resumption:
    """The ``resumptionToken`` element of a list page (token "" on the last page)."""

    token: str
    cursor: int
    complete_list_size: int
    expires: datetime | None


@dataclass(frozen=True)
class ListPage:
    """One page of ListRecords, ListIdentifiers or ListSets."""

    items: list[Any]
    metadata_prefix: str | None = None
    resumption: Resumption | None = None


@dataclass(frozen=True)
class _ListArgs:
    metadata_prefix: str
    set_spec: str | None
    since: str | None
    until: str | None


def _naive(moment: datetime) -> datetime:
    """UTC without tzinfo and microseconds: what ``oaipmh`` writes as a datestamp."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def section_slug(title: str) -> str:
    """A setSpec part for a section title: ASCII letters, digits and '-' (else a short hash)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "s" + sha1(title.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


class _Identify(common.Identify):  # type: ignore[misc]
    """Identify whose earliest datestamp is read only when the Identify verb asks for it
    (``oaipmh`` builds an Identify for every response envelope, for the base URL)."""

    def __init__(self, repository: Repository, **kw: Any) -> None:
        super().__init__(**kw)
        self._repository = repository

    def earliestDatestamp(self) -> datetime:  # noqa: N802 (the oaipmh interface)
        with self._repository.store.read() as conn:
            earliest = earliest_change(conn)
        return _naive(earliest or datetime.now(UTC))


class Repository:
    """The ``oaipmh`` ResumptionOAIPMH interface over a store (one instance serves every thread)."""

    def __init__(
        self,
        settings: ServeSettings,
        store: Store,
        codec: TokenCodec,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self._codec = codec
        self._lifetime = settings.token_lifetime
        self._prefix = f"oai:{settings.repository_id}:"
        self._clock = clock
        self._sets_lock = threading.Lock()
        self._sets_read: tuple[float, _Sets] | None = None

    # Identify, ListMetadataFormats, ListSets

    def identify(self) -> common.Identify:
        found = _Identify(
            self,
            repositoryName=self.settings.repository_name,
            baseURL=self.settings.oai_url,
            protocolVersion="2.0",
            adminEmails=[self.settings.admin_email],
            earliestDatestamp=None,
            deletedRecord="persistent",
            granularity=GRANULARITY,
            compression=["identity"],
        )
        found.add_description(
            '<oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier '
            'http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">'
            f"<scheme>oai</scheme><repositoryIdentifier>{self.settings.repository_id}</repositoryIdentifier>"
            f"<delimiter>:</delimiter><sampleIdentifier>{self._prefix}journal/1</sampleIdentifier>"
            "</oai-identifier>"
        )
        return found

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
        if identifier is not None:
            self._row(identifier)
        return [OAI_DC]

    def _sets(self) -> _Sets:
        """The sets, read at most once every ``_SETS_SECONDS``: reading them is a pass over
        every article (200 ms at 200,000 on PostgreSQL), and every page of a set needs them."""
        with self._sets_lock:
            now = self._clock()
            if self._sets_read is None or now - self._sets_read[0] >= _SETS_SECONDS:
                self._sets_read = (now, self._read_sets())
            return self._sets_read[1]

    def _read_sets(self) -> _Sets:
        """setSpec -> (source, setName, section titles; None for the whole source)."""
        with self.store.read() as conn:
            pairs = source_sections(conn)
        sets: _Sets = {}
        for source, section in pairs:
            sets.setdefault(source, (source, source, None))
            if section:
                spec = f"{source}:{section_slug(section)}"
                _, name, titles = sets.get(spec, (source, section, ()))
                sets[spec] = (source, name, (*(titles or ()), section))
        return sets

    def listSets(self, resumptionToken: str | None = None) -> ListPage:  # noqa: N802, N803
        if resumptionToken is not None:  # every set fits in one response: no token was issued
            self._codec.decode(resumptionToken, "ListSets", datetime.now(UTC))
        sets = self._sets()
        if not sets:
            raise NoSetHierarchyError("the repository holds no articles yet, so no sets")
        return ListPage([(spec, name, None) for spec, (_, name, _) in sorted(sets.items())])

    # GetRecord

    def _row(self, identifier: str) -> dict[str, Any]:
        source, slash, number = identifier.removeprefix(self._prefix).rpartition("/")
        row = None
        if identifier.startswith(self._prefix) and slash and number.isdigit():
            with self.store.read() as conn:
                row = article_by_id(conn, int(number))
        if row is None or row["source"] != source:
            raise IdDoesNotExistError(f"no record has the identifier {identifier!r}")
        return row

    def _header(self, row: dict[str, Any]) -> common.Header:
        specs = [row["source"]]
        if row["section"]:
            specs.append(f"{row['source']}:{section_slug(row['section'])}")
        deleted = row["deleted"] or row["withdrawn_at"] is not None
        identifier = f"{self._prefix}{row['source']}/{row['article_id']}"
        return common.Header(None, identifier, _naive(row["updated_at"]), specs, deleted)

    def getRecord(self, identifier: str, metadataPrefix: str) -> tuple[common.Header, Any, None]:  # noqa: N802, N803
        row = self._row(identifier)
        _check_prefix(metadataPrefix)
        return self._header(row), row, None

    # ListRecords, ListIdentifiers

    def listRecords(self, **kw: Any) -> ListPage:  # noqa: N802
        page = self._list("ListRecords", kw)
        return ListPage(
            [(self._header(row), row, None) for row in page.items], page.metadata_prefix, page.resumption
        )

    def listIdentifiers(self, **kw: Any) -> ListPage:  # noqa: N802
        page = self._list("ListIdentifiers", kw)
        return ListPage([self._header(row) for row in page.items], page.metadata_prefix, page.resumption)

    def _filter(self, args: _ListArgs) -> ArticleFilter | None:
        """The store filter of a list's arguments; None for a set that does not exist."""
        since = datestamp_to_datetime(args.since).replace(tzinfo=UTC) if args.since else None
        until = datestamp_to_datetime(args.until).replace(tzinfo=UTC) + _SECOND if args.until else None
        if args.set_spec is None:
            return ArticleFilter(since=since, before=until)
        found = self._sets().get(args.set_spec)
        if found is None:
            return None
        source, _, sections = found
        return ArticleFilter(source, sections, since, until)

    def _list(self, verb: str, kw: dict[str, Any]) -> ListPage:
        """One page of a list: from its arguments, or resumed from its token."""
        now = datetime.now(UTC)
        token = kw.get("resumptionToken")
        if token is None:
            args, after, sent, size = _list_args(kw), None, 0, None
        else:
            cursor = self._codec.decode(token, verb, now)
            args = _ListArgs(cursor.metadata_prefix, cursor.set_spec, cursor.since, cursor.until)
            after, sent, size = cursor.after, cursor.sent, cursor.size
        where = self._filter(args)
        if where is None and token is None:
            raise NoRecordsMatchError(f"there is no set {args.set_spec!r} (see ListSets)")
        limit = self.settings.page_size
        with self.store.read() as conn:
            rows = changed_articles(conn, where, after, limit + 1) if where else []
            more = len(rows) > limit
            if size is None:
                size = count_changed(conn, where) if where and (more or token) else len(rows)
        if not rows and token is None:
            raise NoRecordsMatchError("no record matches these arguments")
        rows = rows[:limit]
        if not (more or token):  # the whole list in one response: no resumptionToken
            return ListPage(rows, args.metadata_prefix)
        expires = now + self._lifetime
        text = ""
        if more:
            last = (rows[-1]["updated_at"], rows[-1]["article_id"])
            fields = (args.metadata_prefix, args.set_spec, args.since, args.until)
            text = self._codec.encode(Cursor(verb, *fields, last, sent + len(rows), expires, size))
        return ListPage(rows, args.metadata_prefix, Resumption(text, sent, size, expires if more else None))


def _check_prefix(prefix: str) -> None:
    if prefix != OAI_DC[0]:
        raise CannotDisseminateFormatError(f"this repository serves oai_dc only, not {prefix!r}")


def _list_args(kw: dict[str, Any]) -> _ListArgs:
    """The arguments of a new list, checked (``oaipmh`` parsed the dates already)."""
    _check_prefix(kw["metadataPrefix"])
    since, until = kw.get("from_"), kw.get("until")
    if since is not None and until is not None and since > until:
        raise BadArgumentError("'from' is later than 'until'")
    stamps: Iterator[str | None] = (
        datetime_to_datestamp(v) if v is not None else None for v in (since, until)
    )
    return _ListArgs(kw["metadataPrefix"], kw.get("set"), *stamps)
