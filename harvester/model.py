"""What the harvester knows about journals, issues and articles, as plain data.

Parsers produce these; the store consumes them.  They are pure, frozen dataclasses with
normalised fields (see ``normalize``), so two sightings of the same article compare equal
exactly when their content is the same.  ``record_json`` and ``encode_record`` define the
normalised record a version stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

if TYPE_CHECKING:
    from .works.matching import RecordKeys

__all__ = [
    "ArchivePage",
    "Article",
    "Author",
    "Encoded",
    "Galley",
    "IssuePage",
    "IssueRef",
    "JournalFacts",
    "OaiRecord",
    "RecordHeader",
    "Reference",
    "TocEntry",
    "encode_record",
    "record_columns",
    "record_json",
    "to_json",
]


@dataclass(frozen=True)
class Author:
    """One contributor, in display order."""

    name: str  # as displayed: "Given Family", or the single name of a mononym
    given: str | None = None
    family: str | None = None
    affiliation: str | None = None
    orcid: str | None = None  # URL form "https://orcid.org/0000-0000-0000-000X"
    bio: str | None = None  # plain text; paragraphs separated by a blank line (HTML only)
    # Per language key (see ``locales``); ``given``, ``family`` and ``affiliation`` are the
    # values in the submission's language.  An author of OJS 3.5 can have several affiliations.
    given_names: dict[str, str] = field(default_factory=dict)
    family_names: dict[str, str] = field(default_factory=dict)
    affiliations: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Galley:
    """A full-text rendition of an article (PDF, HTML, …) as linked by the journal."""

    url: str  # the galley's view page (OJS: /article/view/ID/GALLEY)
    label: str | None = None
    mime_type: str | None = None
    download_url: str | None = None  # the file itself (OJS: /article/download/ID/GALLEY[/FILE])


@dataclass(frozen=True)
class Reference:
    """One work the article cites, as its reference list writes it, in the list's order."""

    text: str
    doi: str | None = None  # lower-case, bare "10.x/y", when the text names one


@dataclass(frozen=True)
class IssueRef:
    """The issue an article belongs to, as far as the record tells."""

    journal_title: str | None = None
    volume: str | None = None
    number: str | None = None
    year: int | None = None
    title: str | None = None
    url: str | None = None  # the issue's table of contents (OJS: /issue/view/ID)
    ojs_id: int | None = None  # the OJS issue id from that URL

    @property
    def identified(self) -> bool:
        """Whether the record names an issue at all (a source line may carry only the journal)."""
        return bool(self.volume or self.number or self.year or self.title)

    @property
    def key(self) -> str:
        """A stable identity within one journal: volume/number/year, else the title."""
        if self.volume or self.number:
            return f"v{self.volume or ''}/n{self.number or ''}/{self.year or ''}"
        if self.year:
            return f"y{self.year}/{self.title or ''}"
        return f"t/{self.title or ''}"


@dataclass(frozen=True)
class Article:
    """The normalised content of one article."""

    title: str | None = None  # in the submission's language, as every single-valued text
    titles: dict[str, str] = field(default_factory=dict)  # language key (see ``locales``) -> title
    subtitle: str | None = None
    subtitles: dict[str, str] = field(default_factory=dict)  # language key -> subtitle
    authors: tuple[Author, ...] = ()
    abstract: str | None = None
    abstracts: dict[str, str] = field(default_factory=dict)  # language tag -> abstract
    keywords: tuple[str, ...] = ()
    keywords_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict)
    publisher: str | None = None
    published: str | None = None  # ISO date, YYYY[-MM[-DD]]
    doi: str | None = None  # lower-case, bare "10.x/y"
    url: str | None = None  # landing page
    ojs_id: int | None = None  # the OJS submission id from the landing URL
    galleys: tuple[Galley, ...] = ()
    language: str | None = None
    rights: str | None = None
    license_url: str | None = None
    section: str | None = None
    pages: str | None = None
    issue: IssueRef | None = None
    issns: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    how_to_cite: str | None = None  # the page's "How to Cite" text, as shown
    references: tuple[Reference, ...] = ()  # the cited works, in order (pages; oai_dc has none)
    doi_published: str | None = None  # the DOI as the record wrote it, when not already canonical
    # (kind, value as published, reason) of each identifier the parser could not take (issue 17)
    identifier_problems: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class TocEntry:
    """One article as an issue's table of contents lists it, in display order."""

    url: str
    ojs_id: int | None = None
    title: str | None = None
    section: str | None = None
    pages: str | None = None


@dataclass(frozen=True)
class IssuePage:
    """An issue's table of contents page."""

    issue: IssueRef  # with url and ojs_id
    published: str | None = None  # ISO date
    cover_url: str | None = None
    description: str | None = None  # plain text
    sections: tuple[str, ...] = ()  # section titles in display order
    articles: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class ArchivePage:
    """One page of a journal's issue archive: its issues, newest first as OJS lists them."""

    issues: tuple[IssueRef, ...] = ()  # each with url and ojs_id, plus what the listing shows
    next_url: str | None = None  # the archive page to read after this one; None: this is the last


@dataclass(frozen=True)
class JournalFacts:
    """What one source says of the journal itself; None where it says nothing (see ``journal``)."""

    title: str | None = None  # the journal's name in its primary locale
    issn: str | None = None  # the one ISSN to show: online, else print, else the only one known
    online_issn: str | None = None
    print_issn: str | None = None
    issns: tuple[str, ...] = ()  # every ISSN named
    publisher: str | None = None
    primary_locale: str | None = None  # language key, as ``locales`` writes it ("en-US", "es")
    ojs_version: str | None = None


@dataclass(frozen=True)
class RecordHeader:
    """The OAI-PMH header of a record."""

    identifier: str
    datestamp: str
    set_specs: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class OaiRecord:
    """One harvested OAI record: a live article, or a tombstone when ``article`` is None."""

    header: RecordHeader
    article: Article | None

    @cached_property
    def encoded(self) -> Encoded:
        """The record as the store writes it, computed once; it travels with the record when
        pickled, so the helper process that parsed a record encodes it too (``harvest.helper``).
        A tombstone stores the empty record and no columns."""
        if self.article is None:
            return Encoded(*encode_record({}), {})
        data = record_json(self.article)
        return Encoded(*encode_record(data), record_columns(data))

    @cached_property
    def work_keys(self) -> RecordKeys | None:
        """What clustering reads of the record (``works.matching.article_keys``), computed once
        and carried along like ``encoded``; None for a tombstone."""
        if self.article is None:
            return None
        from .works.matching import article_keys  # the works stage's imports, when first asked

        return article_keys(self.article)

    def for_store(self) -> OaiRecord:
        """The record as the oai_dc batch writer reads it (``store.batch``): its encoding and
        keys for clustering computed, its article cut down to the rest the writer reads (the
        ids it is known by, its issue, ISSNs and publisher).  What the helper process of a
        long window sends back: unpickling whole articles (authors, galleys, texts per
        language) cost the storing process half again as much.  The whole content is in
        ``encoded.body``; a test holds the writer to the same results from either form."""
        encoded, keys, article = self.encoded, self.work_keys, self.article
        if article is None:
            return self
        cut = Article(
            ojs_id=article.ojs_id,
            doi=article.doi,
            url=article.url,
            issue=article.issue,
            issns=article.issns,
            publisher=article.publisher,
        )
        record = OaiRecord(self.header, cut)
        vars(record).update(encoded=encoded, work_keys=keys)  # what ``cached_property`` keeps
        return record


class Encoded(NamedTuple):
    """A record as the store writes it: a version's content, and the article's columns."""

    body: str  # canonical JSON of ``record_json`` (``encode_record``)
    digest: str  # its sha256
    columns: dict[str, Any]  # ``record_columns``


# Fields added after the first release are written only when set: records that lack them
# keep the hash they were stored with, so an upgrade writes no spurious versions.
_ARTICLE_ADDED = (
    "subtitle",
    "how_to_cite",
    "subtitles",
    "keywords_by_language",
    "references",
    "doi_published",
    "identifier_problems",
)
_AUTHOR_ADDED = ("bio", "given_names", "family_names", "affiliations")
_GALLEY_ADDED = ("download_url",)
_ISSUE_ADDED = ("url", "ojs_id")


# Added fields holding a tuple per language: stored as JSON arrays, like ``keywords``.
_LISTS_BY_LANGUAGE = frozenset({"keywords_by_language", "affiliations"})


def _fields(obj: Any, added: tuple[str, ...]) -> dict[str, Any]:
    """The object's fields as a dict, without the ``added`` ones that are unset (None or {})."""
    data = dict(vars(obj))
    for key in added:  # a loop over the few added names: this runs for every author and galley
        value = data[key]
        if not value:  # None, or an empty dict (no added text field is ever "")
            del data[key]
        elif key in _LISTS_BY_LANGUAGE:
            data[key] = {lang: list(values) for lang, values in value.items()}
        elif key == "references":
            data[key] = [dict(vars(reference)) for reference in value]
    return data


def record_json(article: Article) -> dict[str, Any]:
    """The article as the JSON-ready dict a version stores (field order as declared).

    Written out rather than ``dataclasses.asdict``, which deep-copies every leaf and cost
    more than parsing on the ingest path.
    """
    data = _fields(article, _ARTICLE_ADDED)
    data["titles"] = dict(article.titles)
    data["abstracts"] = dict(article.abstracts)
    data["authors"] = [_fields(author, _AUTHOR_ADDED) for author in article.authors]
    data["galleys"] = [_fields(galley, _GALLEY_ADDED) for galley in article.galleys]
    data["issue"] = _fields(article.issue, _ISSUE_ADDED) if article.issue else None
    for name in ("keywords", "issns", "types"):
        data[name] = list(data[name])
    return data


def encode_record(record: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON text of a record and its sha256: equal content, equal hash."""
    # orjson: compact, sorted keys, UTF-8 as is; ten times the stdlib's speed on this path.
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return canonical.decode("utf-8"), hashlib.sha256(canonical).hexdigest()


def record_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The current columns of an article (in the store's ``articles``) for a ``record_json``
    dict: its scalars, and its lists and maps as JSON text."""
    return {
        "doi": data["doi"],
        "url": data["url"],
        "title": data["title"],
        "authors": to_json(data["authors"]),
        "abstract": data["abstract"],
        "keywords": to_json(data["keywords"]),
        "titles": to_json(data["titles"]),
        "subtitles": to_json(data.get("subtitles") or {}),
        "abstracts": to_json(data["abstracts"]),
        "keywords_by_language": to_json(data.get("keywords_by_language") or {}),
        "references": to_json(data.get("references") or []),
        "section": data["section"],
        "pages": data["pages"],
        "language": data["language"],
        "published": data["published"],
    }


def to_json(value: Any) -> str:
    """JSON text of a list or dict for a JSON column (tuples become arrays)."""
    return orjson.dumps(value).decode("utf-8")
