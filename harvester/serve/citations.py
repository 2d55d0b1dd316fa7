"""Citation exports of ``current_articles`` rows: CSL-JSON, BibTeX (bibtexparser), RIS (rispy).

Each function turns one decoded row (``store.queries.current_articles``) into one entry, so
``harvester export`` streams: memory does not grow with the number of articles.  Deleted and
withdrawn articles are not cited.  Every format carries the same fields: authors as
given/family, DOI, ISSN, volume, issue, pages, dates, abstract, keywords, URL and language,
under one stable key per article, ``<source>-<article id>``, which no new version changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import rispy
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

__all__ = ["FORMATS", "bibtex_entry", "citable", "citation_key", "csl_item", "ris_entry", "write_citations"]

_PAGES = re.compile(r"^\s*(\S+?)\s*[-–—]+\s*(\S+)\s*$")
# LaTeX's special characters; everything else is written as UTF-8 (biblatex and BibTeX 0.99d+
# with inputenc read it).  URL and DOI fields are verbatim in biblatex and stay unescaped.
_LATEX = str.maketrans(
    {c: "\\" + c for c in "&%$#_{}"}
    | {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
)
_VERBATIM = frozenset({"url", "doi"})


def citable(row: dict[str, Any]) -> bool:
    """Whether a row is a live article (tombstones and withdrawn articles are not cited)."""
    return not row["deleted"] and row["withdrawn_at"] is None


def citation_key(row: dict[str, Any]) -> str:
    """``<source>-<article id>``: unique in the store and the same for every version."""
    return f"{row['source']}-{row['article_id']}"


def _names(row: dict[str, Any]) -> list[dict[str, str]]:
    names = []
    for author in row["authors"]:
        if author.get("family"):
            names.append({"family": author["family"], "given": author.get("given") or ""})
        else:
            names.append({"literal": author["name"]})
    return names


def _date_parts(published: str | None) -> list[int]:
    return [int(part) for part in published.split("-")] if published else []


def _page_range(pages: str | None) -> tuple[str, str] | None:
    match = _PAGES.match(pages or "")
    return (match[1], match[2]) if match else None


def _work_note(row: dict[str, Any]) -> str | None:
    """The article's work as every format's note carries it: "ojs-harvester work 12"."""
    return f"ojs-harvester work {row['work_id']}" if row.get("work_id") is not None else None


def csl_item(row: dict[str, Any]) -> dict[str, Any]:
    """One CSL-JSON item (type ``article-journal``), without the fields the row lacks."""
    parts = _date_parts(row["published"]) or ([row["year"]] if row["year"] else [])
    item: dict[str, Any] = {
        "id": citation_key(row),
        "type": "article-journal",
        "title": row["title"],
        "author": _names(row),
        "container-title": row["journal_title"],
        "ISSN": row["issn"],
        "volume": row["volume"],
        "issue": row["number"],
        "page": row["pages"],
        "issued": {"date-parts": [parts]} if parts else None,
        "abstract": row["abstract"],
        "keyword": ", ".join(row["keywords"]) or None,
        "URL": row["url"],
        "DOI": row["doi"],
        "language": row["language"],
        "note": _work_note(row),  # the work the article belongs to (issue 17)
    }
    return {key: value for key, value in item.items() if value not in (None, "", [])}


def _bibtex_author(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + name["literal"] + "}"  # one name, not split at spaces
    return f"{name['family']}, {name['given']}" if name["given"] else name["family"]


def bibtex_entry(row: dict[str, Any]) -> str:
    """One ``@article`` entry, written by bibtexparser."""
    pages = _page_range(row["pages"])
    values = {
        "author": " and ".join(_bibtex_author(name) for name in _names(row)),
        "title": row["title"],
        "journal": row["journal_title"],
        "year": (row["published"] or "")[:4] or (str(row["year"]) if row["year"] else None),
        "date": row["published"],
        "volume": row["volume"],
        "number": row["number"],
        "pages": f"{pages[0]}--{pages[1]}" if pages else row["pages"],
        "issn": row["issn"],
        "doi": row["doi"],
        "url": row["url"],
        "abstract": row["abstract"],
        "keywords": ", ".join(row["keywords"]),
        "language": row["language"],
        "note": _work_note(row),  # the work the article belongs to (issue 17)
    }
    fields = [
        Field(key, value if key in _VERBATIM or key == "author" else value.translate(_LATEX))
        for key, value in values.items()
        if value
    ]
    return write_string(Library([Entry("article", citation_key(row), fields)]))


def ris_entry(row: dict[str, Any]) -> str:
    """One ``JOUR`` reference, written by rispy.  RIS values are single lines: an abstract's
    paragraphs are joined by one space."""
    pages = _page_range(row["pages"])
    reference = {
        "type_of_reference": "JOUR",
        "id": citation_key(row),
        "title": row["title"],
        "authors": [_bibtex_author(name).strip("{}") for name in _names(row)],
        "secondary_title": row["journal_title"],  # T2: the journal, as Zotero and EndNote read it
        "year": (row["published"] or "")[:4] or (str(row["year"]) if row["year"] else None),
        "date": (row["published"] or "").replace("-", "/") or None,
        "volume": row["volume"],
        "number": row["number"],
        "start_page": pages[0] if pages else row["pages"],
        "end_page": pages[1] if pages else None,
        "issn": row["issn"],
        "doi": row["doi"],
        "urls": [row["url"]] if row["url"] else [],
        "abstract": " ".join((row["abstract"] or "").split()),
        "keywords": row["keywords"],
        "language": row["language"],
        "note": _work_note(row),  # M1: the work the article belongs to (issue 17)
    }
    text: str = rispy.dumps(
        [{key: value for key, value in reference.items() if value}], implementation=_RisWriter
    )
    return text


class _RisWriter(rispy.RisWriter):  # type: ignore[misc]
    """rispy's writer without the "1." line it puts before each reference."""

    def set_header(self, count: int) -> str:
        return ""


def _csl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written an item at a time."""
    yield "["
    for index, row in enumerate(rows):
        text = orjson.dumps(csl_item(row), option=orjson.OPT_INDENT_2).decode("utf-8")
        yield ("  " if index == 0 else ", ") + text
    yield "]"


FORMATS: dict[str, Callable[[Iterable[dict[str, Any]]], Iterator[str]]] = {
    "csl-json": _csl_lines,
    "bibtex": lambda rows: (bibtex_entry(row) for row in rows),
    "ris": lambda rows: (ris_entry(row) for row in rows),
}


def write_citations(fmt: str, rows: Iterable[dict[str, Any]], echo: Callable[[str], None]) -> None:
    """Write the live articles of ``rows`` in a citation format, an entry at a time."""
    for text in FORMATS[fmt](row for row in rows if citable(row)):
        echo(text)
