"""Read an OJS issue identification ("Vol. 12 No. 1 (2024): Title") into its parts.

OJS prints the same identification in several places: the ``dc:source`` line of oai_dc,
the issue link and breadcrumbs of an article page, the heading of an issue page and the
entries of the issue archive.  Both the OAI and the HTML parsers read it here, so one
issue always comes out with the same volume, number, year and title.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

__all__ = ["IssueLabel", "parse_issue_label"]

# Issue identification labels as OJS's locales translate ``issue.vol`` and ``issue.no``
# (lower-cased, trailing dots dropped): en, es/ca/pt, de, fr, ru/uk, tr, it, pl, cs, hr/sr,
# id/ms, ar/fa, and OJS 2's dot-less "Vol 5, No 2".
_VOLUME_LABELS = frozenset({
    "vol", "volume", "vols", "v", "bd", "band", "jg", "t", "т", "том", "tom", "tome", "cilt",
    "jilid", "año", "ano", "roč", "ročník", "svez", "svezak", "god", "godina", "letnik",
    "rocznik", "évf", "årg", "مجلد", "المجلد", "دوره",
})  # fmt: skip
_NUMBER_LABELS = frozenset({
    "no", "nos", "n", "nº", "n°", "núm", "num", "número", "numero", "nr", "№", "issue", "iss",
    "heft", "h", "sayı", "sayi", "br", "broj", "č", "čís", "číslo", "zeszyt", "z", "nummer",
    "szám", "sz", "вып", "выпуск", "номер", "عدد", "العدد", "شماره",
})  # fmt: skip
_KNOWN_LABELS = _VOLUME_LABELS | _NUMBER_LABELS
_LABEL = r"(?:[^\W\d_]+\.?|№|[Nn][°º]\.?)"
_VALUE = r"(?:\d[^\s,():;]*|[IVXLCDM]+\b)"
_ISSUE_RE = re.compile(
    rf"^(?:(?P<l1>{_LABEL})\s*(?P<v1>{_VALUE}),?\s*)?"
    rf"(?:(?P<l2>{_LABEL})\s*(?P<v2>{_VALUE}),?\s*)?"
    r"(?:\((?P<year>\d{4})\)|(?P<bare>\d{4}))?"
    r"(?:\s*:\s*(?P<title>.*\S))?\s*$"
)


class IssueLabel(NamedTuple):
    """The parts of one issue identification; None where it is silent."""

    volume: str | None
    number: str | None
    year: int | None
    title: str | None


@lru_cache(maxsize=1024)  # pure, and an issue's identification recurs on each of its articles
def parse_issue_label(text: str) -> IssueLabel:
    """(volume, number, year, title) of an OJS issue identification.

    OJS (``Issue::getIssueIdentification``) joins, as the issue's settings say, the
    translated "Vol." and "No." labels with their values, the year (in parentheses unless
    it comes first), and ": title": "Vol. 5 Núm. 2 (2020): Title", "No. 4 (2021)", "2018",
    or the title alone.  OJS 2 wrote "Vol 5, No 2 (2020)".  Of two labelled values the
    first is the volume; a single one is the number only under a known number label.
    Anything else is taken whole as the issue title.  ``text`` is expected stripped.
    """
    if not text:
        return IssueLabel(None, None, None, None)
    match = _ISSUE_RE.match(text)
    labels = [label.rstrip(".").lower() for label in match.group("l1", "l2") if label] if match else []
    if match is None or not any(match.groups()) or not _KNOWN_LABELS.issuperset(labels):
        return IssueLabel(None, None, None, text)
    volume, number = match.group("v1"), match.group("v2")
    if number is None and volume is not None and labels[0] in _NUMBER_LABELS:
        volume, number = None, volume
    year_text = match.group("year") or match.group("bare")
    return IssueLabel(volume, number, int(year_text) if year_text else None, match.group("title"))
