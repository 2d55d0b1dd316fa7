"""When two articles are one work: match keys from a stored record, and the pairwise decision.

As the aggregators do it (OpenAIRE's deduplication: blocking keys, then a decision pair by
pair; never all pairs), each article gets two blocking keys — its canonical DOI, and a key of
its normalised title, publication year and first author's family name — that the store
indexes; only articles sharing a key are compared, by ``decide``:

- the same canonical DOI: one work (rule ``doi``);
- the same title key with nothing against it — no two different DOIs, no two disjoint sets
  of valid ISSNs (two unrelated journals) — one work (rule ``title+year+author``);
- two articles of one source: never one work (a journal's three "Editorial"s in three issues,
  or one DOI it put on two articles by mistake, stay apart).

Generic titles ("Editorial", "Book review", …) and records without a title, year or author
get no title key: they join a work by DOI only.  Pure functions over plain data.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from .identifiers import canonical_url, check_doi, check_issn

if TYPE_CHECKING:
    from ..model import Article

__all__ = [
    "MatchKeys",
    "RecordKeys",
    "article_keys",
    "decide",
    "match_keys",
    "match_record",
    "record_keys",
    "record_problems",
    "title_key",
]

# Titles that many different articles carry: no evidence of sameness on their own.
_GENERIC = frozenset(
    {
        "editorial", "editorials", "editor s note", "editors note", "from the editor", "preface",
        "foreword", "introduction", "index", "contents", "table of contents", "front matter",
        "back matter", "erratum", "errata", "corrigendum", "correction", "retraction",
        "book review", "book reviews", "review", "reviews", "letter to the editor", "letters",
        "announcement", "announcements", "obituary", "in memoriam", "acknowledgements",
        "acknowledgments", "reviewers", "list of reviewers", "call for papers", "news", "untitled",
    }
)  # fmt: skip
_NON_WORD = re.compile(r"[\W_]+")
# ASCII letters lower-cased, digits kept, every other byte a space: ``_NON_WORD`` and casefold.
_ASCII_KEY = bytes(b | 0x20 if chr(b).isalpha() else b if chr(b).isdigit() else 0x20 for b in range(128))
_ASCII_KEY += b" " * 128


@lru_cache(maxsize=1024)  # a page asks for each title's key twice (match keys, problems)
def title_key(title: str | None) -> str:
    """A title with case, accents, punctuation and spacing normalised away ("" for none)."""
    if not title:
        return ""
    if title.isascii():  # most titles: one pass over the bytes, same result as below
        return " ".join(title.encode().translate(_ASCII_KEY).decode().split())
    decomposed = unicodedata.normalize("NFKD", title)  # accents off: "Élites" is "elites"
    return " ".join(decomposed.translate(_UNICODE_KEY).split())


class _UnicodeKey(dict[int, str | None]):
    """``str.translate`` table, filled as characters are met: a combining mark goes, a letter
    or digit is case-folded, anything else is a space (``_NON_WORD``)."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value = None if unicodedata.combining(char) else _NON_WORD.sub(" ", char.casefold()) or " "
        self[code] = value
        return value


_UNICODE_KEY = _UnicodeKey()


class MatchKeys(NamedTuple):
    """What the decision reads of one article (and the work's display values)."""

    article_id: int
    source_id: int
    doi: str | None
    block: str | None  # sha1 of title key, year and first author's family name; None: none
    issns: frozenset[str]
    title: str | None
    year: int | None
    first_author: str | None


def _year(record: dict[str, Any]) -> int | None:
    published = record.get("published") or ""
    if published[:4].isdigit():
        return int(published[:4])
    issue = record.get("issue") or {}
    year = issue.get("year")
    return int(year) if year else None


def _family(record: dict[str, Any]) -> str | None:
    authors = record.get("authors") or []
    if not authors:
        return None
    first = authors[0]
    family = first.get("family") or (first.get("name") or "").split(" ")[-1]
    return family or None


@lru_cache(maxsize=1024)  # every record of a journal repeats its ISSNs
def _valid_issns(raws: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v for raw in raws if (v := check_issn(raw).value))


def match_record(article: Article) -> dict[str, Any]:
    """What ``record_keys`` reads of an article's record, straight from the article: the same
    values as its ``record_json`` dict, without building the whole record."""
    first = article.authors[0] if article.authors else None
    return {
        "doi": article.doi,
        "issns": list(article.issns),
        "title": article.title,
        "published": article.published,
        "issue": {"year": article.issue.year} if article.issue else None,
        "authors": [{"family": first.family, "name": first.name}] if first else [],
        "url": article.url,
        "identifier_problems": [list(problem) for problem in article.identifier_problems],
    }


class RecordKeys(NamedTuple):
    """What clustering reads of one version of an article's record: its blocking keys and
    display values (``MatchKeys`` without the ids), its canonical URL and its identifier
    problems.  Computed where the record is parsed (``OaiRecord.work_keys``: in the helper
    process of a long window), or from a stored record (``record_keys``)."""

    doi: str | None
    block: str | None  # sha1 of title key, year and first author's family name; None: none
    issns: frozenset[str]
    title: str | None
    year: int | None
    first_author: str | None
    url: str | None  # canonical (``identifiers.canonical_url``)
    problems: tuple[tuple[str, str, str], ...]  # ``record_problems``


def record_keys(record: dict[str, Any]) -> RecordKeys:
    """The keys of an article's record (the ``record_json`` shape, or ``match_record``'s)."""
    doi = check_doi(record["doi"]).value if record.get("doi") else None
    issns = _valid_issns(tuple(record.get("issns") or ()))
    title, year, family = record.get("title"), _year(record), _family(record)
    key, author = title_key(title), title_key(family)
    block = None
    if key and key not in _GENERIC and year and author:
        block = hashlib.sha1(f"{key}|{year}|{author}".encode(), usedforsecurity=False).hexdigest()
    url = canonical_url(record["url"]) if record.get("url") else None
    return RecordKeys(doi, block, issns, title, year, family, url, tuple(record_problems(record)))


def article_keys(article: Article) -> RecordKeys:
    """``record_keys`` of an article's record, read from the article without building it."""
    return record_keys(match_record(article))


def match_keys(article_id: int, source_id: int, keys: RecordKeys) -> MatchKeys:
    """The match keys of one article of one source."""
    doi, block, issns, title, year, first_author, _, _ = keys
    return MatchKeys(article_id, source_id, doi, block, issns, title, year, first_author)


def decide(a: MatchKeys, b: MatchKeys) -> str | None:
    """The rule that makes two articles one work, or None."""
    if a.source_id == b.source_id:
        return None
    if a.doi and a.doi == b.doi:
        return "doi"
    if a.block is None or a.block != b.block:
        return None
    if a.doi and b.doi:
        return None  # two different DOIs: two works, however alike the titles
    if a.issns and b.issns and a.issns.isdisjoint(b.issns):
        return None  # unrelated journals
    return "title+year+author"


def record_problems(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, raw value, reason) for each identifier of an article's record that fails: the
    problems its parser noted (a DOI that is not one, a second DOI) and its ISSNs' check
    digits, and a title that cannot match (empty or generic)."""
    found = [tuple(problem) for problem in record.get("identifier_problems") or ()]
    for raw in record.get("issns") or ():
        checked = check_issn(raw)
        if checked.problem:
            found.append(("issn", raw, checked.problem))
    key = title_key(record.get("title"))
    if not key:
        found.append(("title", record.get("title") or "", "empty: matched by DOI only"))
    elif key in _GENERIC:
        found.append(("title", record.get("title") or "", "generic: matched by DOI only"))
    return [(str(kind), str(raw), str(reason)) for kind, raw, reason in found]
