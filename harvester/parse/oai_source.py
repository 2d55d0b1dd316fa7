"""OJS's ``dc:source`` lines: the journal, the issue and the pages of an ``oai_dc`` record.

OJS writes one "Journal; issue; pages" line per journal locale (``xml:lang``-tagged), then
untagged lines for the online and the print ISSN, then any issue pub-id (3_4_0-8
plugins/metadata/dc11/filter/Dc11SchemaArticleAdapter.php, lines 176-218).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from harvester.model import IssueRef
from harvester.parse.issue_label import parse_issue_label
from harvester.parse.normalize import clean_text, normalize_doi, normalize_issn

__all__ = ["SourceParts", "issue_pages_issns", "parse_source"]

#: One ``dc:source`` value: (its ``xml:lang`` or None, its raw text).
Value = tuple[str | None, str]


class SourceParts(NamedTuple):
    """What one ``dc:source`` line tells: journal, issue and pages (None where it is silent)."""

    journal_title: str | None
    volume: str | None
    number: str | None
    year: int | None
    issue_title: str | None
    pages: str | None


def issue_pages_issns(
    values: list[Value], primary: str | None
) -> tuple[IssueRef | None, str | None, tuple[str, ...]]:
    """(issue, pages, ISSNs) from the ``dc:source`` lines.

    OJS writes one "Journal; issue; pages" line per journal locale (tagged), then untagged
    lines for the online and the print ISSN, then any issue pub-id (a bare DOI, skipped).
    The line in the primary language is read, else the first one.
    """
    issns: dict[str, None] = {}
    lines: list[Value] = []
    for lang, raw in values:
        text, issn, untagged_line = _source_value(raw)
        if issn is not None:
            issns[issn] = None
        elif text is not None and (lang is not None or untagged_line):
            lines.append((lang, text))
    if not lines:
        return None, None, tuple(issns)
    chosen = next((text for lang, text in lines if primary and lang == primary), lines[0][1])
    issue, pages = _issue_and_pages(chosen)
    return issue, pages, tuple(issns)


@lru_cache(maxsize=1024)
def _source_value(raw: str) -> tuple[str | None, str | None, bool]:
    """(cleaned text, ISSN, is a source line even untagged) of one raw ``dc:source`` text.

    Cached, like ``_issue_and_pages``: ISSN lines recur on all of a journal's records, and
    an issue's line on its articles' (unless it carries their pages).
    """
    text = clean_text(raw)
    if text is None:
        return None, None, False
    issn = normalize_issn(text)
    return text, issn, issn is None and ";" in text and normalize_doi(text) is None


@lru_cache(maxsize=1024)
def _issue_and_pages(line: str) -> tuple[IssueRef | None, str | None]:
    """The issue (None when the line names nothing) and pages of a ``dc:source`` line."""
    parts = parse_source(line)
    fields = (parts.journal_title, parts.volume, parts.number, parts.year, parts.issue_title)
    issue = IssueRef(*fields) if any(field is not None for field in fields) else None
    return issue, parts.pages


def parse_source(text: str) -> SourceParts:
    """Read an OJS ``dc:source`` line: "Journal; Vol. 12 No. 1 (2024): Issue title; 1-23".

    The first ';'-separated part is the journal title, the last is the pages when there are
    three or more parts (OJS omits "; pages" when the article has none), and what is
    between is the issue identification, read by ``parse_issue_label``.  A journal title that
    itself contains ';' is not supported.
    """
    parts = [part.strip() for part in " ".join(text.split()).split(";")]
    pages = None
    if len(parts) >= 3:
        pages = parts[-1] or None
        parts = [parts[0], "; ".join(parts[1:-1])]
    volume, number, year, title = parse_issue_label(parts[1] if len(parts) > 1 else "")
    return SourceParts(parts[0] or None, volume, number, year, title, pages)
