"""One article however it was seen: the OAI record and the article page merged field by field.

Pure functions over normalised records (the dicts of ``model.record_json``).  The store keeps
the latest record of each origin and versions their merge, so a new version is written only
when the merged record changes, whichever side changed.

Precedence, field by field (a missing value is None, an empty list or an empty dict):

- the OAI record first, the page filling what OAI lacks: title, titles, keywords,
  publisher, published (OJS's ``citation_date`` can be the year alone), doi, url, ojs_id,
  language, rights, license_url, section, pages, issns, types;
- the page first, OAI filling in: ``abstract`` and ``abstracts`` (OAI runs an abstract's
  paragraphs together; the page keeps them), ``galleys`` (the page names each galley's label,
  type and download URL), and the page-only ``subtitle`` and ``how_to_cite``;
- ``authors``: OAI's list and order, each person completed from the page's author of the
  same name (affiliation, ORCID, biography), or of the same position when both list the same
  number of people; the page's list when OAI has none;
- ``issue``: OAI's issue reference completed from the page's (the issue URL and OJS id).
"""

from __future__ import annotations

from typing import Any

__all__ = ["merge_issue", "merge_records"]

_PAGE_FIRST = frozenset({"abstract", "abstracts", "galleys", "subtitle", "how_to_cite"})
# The fields every issue record has, present even when empty (the first release's shape).
_ISSUE_BASE = frozenset({"volume", "number", "year", "title"})


def _missing(value: Any) -> bool:
    return value is None or value in ([], {})


def _fill(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """``first`` with each missing value taken from ``second`` (keys of both kept)."""
    merged = dict(first)
    for key, value in second.items():
        if _missing(merged.get(key)):
            merged[key] = value
    return merged


def _name_key(author: dict[str, Any]) -> str:
    return " ".join(str(author.get("name") or "").split()).casefold()


def _merge_authors(oai: list[dict[str, Any]], page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not oai:
        return page
    by_name = {_name_key(author): author for author in page}
    same_count = len(oai) == len(page)
    merged = []
    for index, author in enumerate(oai):
        match = by_name.get(_name_key(author)) or (page[index] if same_count else None)
        merged.append(_fill(author, match) if match else author)
    return merged


def merge_records(oai: dict[str, Any] | None, page: dict[str, Any] | None) -> dict[str, Any]:
    """The merged record of an article seen over OAI, on its page, or both."""
    if page is None or oai is None:
        record = oai if page is None else page
        if record is None:
            raise ValueError("an article needs a record from at least one origin")
        return record
    merged = _fill(oai, page)
    for key in _PAGE_FIRST:
        if not _missing(page.get(key)):
            merged[key] = page[key]
    if not _missing(page.get("abstracts")):
        merged["abstracts"] = {**(oai.get("abstracts") or {}), **page["abstracts"]}
    merged["authors"] = _merge_authors(oai.get("authors") or [], page.get("authors") or [])
    if oai.get("issue") and page.get("issue"):
        merged["issue"] = _fill(oai["issue"], page["issue"])
    return merged


def merge_issue(
    stored: dict[str, Any] | None, seen: dict[str, Any], *, authoritative: bool
) -> dict[str, Any]:
    """An issue's record after a new sighting.

    The issue's own page is ``authoritative``: what it states replaces what is stored.  An
    issue named by an article (OAI ``dc:source``, an article page's issue link) replaces the
    stored values only while no issue page has been read, and otherwise only fills gaps, so
    a source line and the issue page never overwrite each other on alternate runs.
    """
    if stored is None:
        return {key: value for key, value in seen.items() if not _missing(value) or key in _ISSUE_BASE}
    if authoritative:
        return _fill({key: value for key, value in seen.items() if not _missing(value)}, stored)
    return _fill(stored, seen)
