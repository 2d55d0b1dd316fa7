"""What the harvester knows about journals, issues and articles, as plain data.

Parsers produce these; the store consumes them.  They are pure, frozen dataclasses with
normalised fields (see ``normalize``), so two sightings of the same article compare equal
exactly when their content is the same.  ``record_json`` and ``content_hash`` define the
normalised record a version stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "Article",
    "Author",
    "Galley",
    "IssueRef",
    "OaiRecord",
    "RecordHeader",
    "content_hash",
    "encode_record",
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
    orcid: str | None = None  # bare 0000-0000-0000-000X


@dataclass(frozen=True)
class Galley:
    """A full-text rendition of an article (PDF, HTML, …) as linked by the journal."""

    url: str
    label: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class IssueRef:
    """The issue an article belongs to, as far as the record tells."""

    journal_title: str | None = None
    volume: str | None = None
    number: str | None = None
    year: int | None = None
    title: str | None = None

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

    title: str | None = None
    titles: dict[str, str] = field(default_factory=dict)  # language tag -> title
    authors: tuple[Author, ...] = ()
    abstract: str | None = None
    abstracts: dict[str, str] = field(default_factory=dict)  # language tag -> abstract
    keywords: tuple[str, ...] = ()
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


def record_json(article: Article) -> dict[str, Any]:
    """The article as the JSON-ready dict a version stores (field order as declared).

    Written out rather than ``dataclasses.asdict``, which deep-copies every leaf and cost
    more than parsing on the ingest path.
    """
    data = dict(vars(article))
    data["titles"] = dict(article.titles)
    data["abstracts"] = dict(article.abstracts)
    data["authors"] = [dict(vars(author)) for author in article.authors]
    data["galleys"] = [dict(vars(galley)) for galley in article.galleys]
    data["issue"] = dict(vars(article.issue)) if article.issue else None
    for name in ("keywords", "issns", "types"):
        data[name] = list(data[name])
    return data


def encode_record(record: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON text of a record and its sha256: equal content, equal hash."""
    # orjson: compact, sorted keys, UTF-8 as is; ten times the stdlib's speed on this path.
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return canonical.decode("utf-8"), hashlib.sha256(canonical).hexdigest()


def content_hash(record: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a record."""
    return encode_record(record)[1]


def to_json(value: Any) -> str:
    """JSON text of a list or dict for a JSON column (tuples become arrays)."""
    return orjson.dumps(value).decode("utf-8")
