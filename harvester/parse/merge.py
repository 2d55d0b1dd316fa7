"""One article however it was seen: the OAI record and the article page merged field by field.

Pure functions over normalised records (the dicts of ``model.record_json``).  The store keeps
the latest record of each origin and versions their merge, so a new version is written only
when the merged record changes, whichever side changed.

Precedence, field by field (a missing value is None, an empty list or an empty dict):

- the OAI record first, the page filling what OAI lacks: title, keywords, publisher,
  published (OJS's ``citation_date`` can be the year alone), doi, url, ojs_id, rights,
  license_url, section, pages, issns, types;
- the page first, OAI filling in: ``abstract`` (OAI runs an abstract's paragraphs
  together; the page keeps them), ``galleys`` (the page names each galley's label, type and
  download URL), ``language`` (``citation_language`` and ``DC.Language`` are the
  submission locale on every 3.x release, while ``dc:language`` lists the galleys' locales
  up to 3.4: ojs plugins/metadata/dc11/filter/Dc11SchemaArticleAdapter at 3_3_0-11 and
  3_4_0-8), and the page-only ``subtitle`` and ``how_to_cite``;
- per language (``titles``, ``subtitles``, ``abstracts``, ``keywords_by_language``, and
  each author's ``given_names``, ``family_names``, ``affiliations``): the same side first
  for each language it has, the other side adding the languages it lacks.  The page's
  keys are first widened to the OAI record's (``locales.rekey``: a 3.3 page's ``fr`` is
  OAI's ``fr-CA``).  Then ``title``, ``subtitle``, ``abstract`` and ``keywords`` are the
  values in the merged ``language`` where the merge has one: the submission's language;
- ``authors``: OAI's list and order, each person completed from the page's (affiliation,
  ORCID, biography, names per language), paired by ORCID, position and name together
  (``_author_pairs``): a name decides only when each list has it once, namesakes pair in
  their order, never as "the author of that name", which would give two namesakes one
  partner; two authors whose ORCIDs differ are never paired.  The page's list when OAI
  has none;
- ``issue``: OAI's issue reference completed from the page's (the issue URL and OJS id);
- ``identifier_problems``: both sides', OAI's first, each once (only the page shows ORCIDs,
  so only it can list a bad one).
"""

from __future__ import annotations

from typing import Any

from ..ojs.locales import in_language, rekey
from .align import fold, pairs_by_key

__all__ = ["merge_issue", "merge_records"]

_PAGE_FIRST = frozenset({"abstract", "galleys", "subtitle", "how_to_cite", "language"})
# Per-language fields, and which side comes first for each language.
_BY_LANGUAGE = {"titles": False, "subtitles": False, "abstracts": True, "keywords_by_language": False}
_AUTHOR_BY_LANGUAGE = ("given_names", "family_names", "affiliations")
# The single value of a per-language field: the value in the submission's language.
_PRIMARY = (
    ("title", "titles"),
    ("subtitle", "subtitles"),
    ("abstract", "abstracts"),
    ("keywords", "keywords_by_language"),
)
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


def _languages(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any]:
    """``first``'s value for each of its languages, ``second``'s for the others."""
    merged = dict(first or {})
    for lang, value in (second or {}).items():
        merged.setdefault(lang, value)
    return merged


def _oai_keys(oai: dict[str, Any]) -> set[str]:
    """Every language key the OAI record uses: the page's bare keys widen to these."""
    keys = {key for field in _BY_LANGUAGE for key in oai.get(field) or {}}
    for author in oai.get("authors") or []:
        keys.update(key for field in _AUTHOR_BY_LANGUAGE for key in author.get(field) or {})
    return keys


def _rekeyed(record: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The page record with its language keys widened to ``known`` (unchanged when none are)."""
    if not known:
        return record
    out = dict(record)
    for field in _BY_LANGUAGE:
        if out.get(field):
            out[field] = rekey(out[field], known)
    out["authors"] = [
        {
            **author,
            **{field: rekey(author[field], known) for field in _AUTHOR_BY_LANGUAGE if author.get(field)},
        }
        for author in out.get("authors") or []
    ]
    return out


def _merge_author(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    merged = _fill(first, second)
    for field in _AUTHOR_BY_LANGUAGE:
        if first.get(field) or second.get(field):
            merged[field] = _languages(first.get(field), second.get(field))
    return merged


def _orcids_differ(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return bool(first.get("orcid") and second.get("orcid") and first["orcid"] != second["orcid"])


def _author_pairs(oai: list[dict[str, Any]], page: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(OAI index, page index) of the same people, in three passes over the unpaired:
    the same ORCID; a name that each list has exactly once; then, as many remaining on each
    side, by their order, else the in-order pairing of equal names.  Namesakes are thus
    paired by position, never by their name alone; differing ORCIDs never pair."""
    pairs: dict[int, int] = {}
    for i, author in enumerate(oai):
        j = next(
            (
                j
                for j, other in enumerate(page)
                if author.get("orcid") and other.get("orcid") == author["orcid"]
            ),
            None,
        )
        if j is not None and j not in pairs.values():
            pairs[i] = j
    names = [fold(a.get("name")) for a in oai], [fold(a.get("name")) for a in page]
    for i, name in enumerate(names[0]):
        if i not in pairs and name and names[0].count(name) == 1 and names[1].count(name) == 1:
            j = names[1].index(name)
            if j not in pairs.values() and not _orcids_differ(oai[i], page[j]):
                pairs[i] = j
    left = [i for i in range(len(oai)) if i not in pairs]
    right = [j for j in range(len(page)) if j not in pairs.values()]
    if len(left) == len(right):
        rest = list(zip(left, right, strict=True))
    else:
        found = pairs_by_key([names[0][i] or None for i in left], [names[1][j] or None for j in right])
        rest = [(left[a], right[b]) for a, b in found]
    pairs.update((i, j) for i, j in rest if not _orcids_differ(oai[i], page[j]))
    return sorted(pairs.items())


def _merge_authors(oai: list[dict[str, Any]], page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not oai:
        return page
    merged = list(oai)
    for i, j in _author_pairs(oai, page):
        merged[i] = _merge_author(oai[i], page[j])
    return merged


def _primary_values(merged: dict[str, Any]) -> None:
    """Set each single value to the merged per-language value in the merged ``language``."""
    for single, per_language in _PRIMARY:
        value = in_language(merged.get(per_language) or {}, merged.get("language"))
        if value:
            merged[single] = value


def merge_records(oai: dict[str, Any] | None, page: dict[str, Any] | None) -> dict[str, Any]:
    """The merged record of an article seen over OAI, on its page, or both."""
    if page is None or oai is None:
        record = oai if page is None else page
        if record is None:
            raise ValueError("an article needs a record from at least one origin")
        return record
    page = _rekeyed(page, _oai_keys(oai))
    merged = _fill(oai, page)
    for key in _PAGE_FIRST:
        if not _missing(page.get(key)):
            merged[key] = page[key]
    for field, page_first in _BY_LANGUAGE.items():
        first, second = (page, oai) if page_first else (oai, page)
        if first.get(field) or second.get(field):
            merged[field] = _languages(first.get(field), second.get(field))
    merged["authors"] = _merge_authors(oai.get("authors") or [], page.get("authors") or [])
    if oai.get("issue") and page.get("issue"):
        merged["issue"] = _fill(oai["issue"], page["issue"])
    problems = [*(oai.get("identifier_problems") or ()), *(page.get("identifier_problems") or ())]
    if problems:
        merged["identifier_problems"] = [list(p) for p in dict.fromkeys(tuple(p) for p in problems)]
    _primary_values(merged)
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
