"""The authors of an oai_dc record: its ``dc:creator`` elements folded into people.

Pure, like ``oai_dc``, which calls ``parse_creators`` with each creator's (language key,
raw text).  ``dc:creator`` is "Family, Given" (a mononym: the given name alone); OJS
3.4.0-2+ writes one per author per locale, grouped by locale (see ``_creator_groups``),
and each group is one name per author of that locale, in author order.
"""

from __future__ import annotations

from functools import lru_cache

from harvester.model import Author
from harvester.parse.align import positions_in
from harvester.parse.normalize import split_creator

__all__ = ["parse_creators"]

_Value = tuple[str | None, str]  # (language key, raw text) of one dc:creator


def _creator_groups(creators: list[_Value]) -> dict[str | None, list[str]]:
    """The creators by language, each group in author order.

    OJS 3.4.0-2+ adds each author's names per locale (``Identity::getFullNames``: one per
    locale with a given name) to a ``MetadataDescription``, which keeps one list per
    locale, and writes the lists one after the other: authors A and B in en+es come out
    A(en) B(en) A(es) B(es) (ojs: plugins/metadata/dc11/filter/Dc11SchemaArticleAdapter.php
    and lib: classes/metadata/MetadataDescription.php ``addStatement``, tags 3_4_0-2,
    3_5_0-1; 3_4_0-1 and 3_3_0-11 write one untagged ``getFullName`` per author, since
    dc:creator is not translated there: lib: plugins/metadata/dc11/schema/PKPDc11Schema).
    Untagged creators form a group of their own.
    """
    groups: dict[str | None, list[str]] = {}
    for lang, text in creators:
        groups.setdefault(lang, []).append(text)
    return groups


def parse_creators(creators: list[_Value], primary: str | None) -> tuple[Author, ...]:
    """One Author per person, with a name per language when the creators are tagged.

    The longest group lists every author: OJS requires a given name in the submission
    locale (lib: classes/author/Repository.php ``validate``, required props in the
    submission locale, tag 3_4_0-8).  A shorter group leaves out the authors who have no
    name in its locale, keeping the order, so it is aligned by position
    (``align.positions_in``), never by looking a name up: two co-authors of the same name
    stay two people.  A shorter group whose names resemble none of the places left for
    them (another script) is left out: which author lacks the name is unknowable.  The
    display name is the one in ``primary``, else the longest group's.
    """
    groups = _creator_groups(creators)
    if len(groups) == 1 or None in groups:
        # Untagged (≤3.4.0-1) or one language: one creator per author.  Tagged and untagged
        # creators mixed (not OJS: another provider, a plugin) tell no grouping: one person
        # per creator, so that no two people are ever folded into one.
        return tuple(
            [author for author in (_named(text, lang) for lang, text in creators) if author is not None]
        )
    reference = max(groups.values(), key=len, default=[])  # the first of the longest on a tie
    people: list[dict[str | None, str]] = [{} for _ in reference]
    for lang, texts in groups.items():
        positions = positions_in(reference, texts) if len(texts) < len(reference) else range(len(texts))
        for text, position in zip(texts, positions or (), strict=False):  # None: cannot be placed
            people[position].setdefault(lang, text)
    authors = []
    for index, names in enumerate(people):
        author = _author(names.get(primary) or reference[index])
        if author is not None:
            authors.append(_with_names(author, names))
    return tuple(authors)


@lru_cache(maxsize=4096)
def _named(creator: str, lang: str | None) -> Author | None:
    """The Author of a creator in one language (cached, as ``_author``)."""
    author = _author(creator)
    return _with_names(author, {lang: creator}) if author is not None and lang is not None else author


def _with_names(author: Author, names: dict[str | None, str]) -> Author:
    """``author`` with given and family names per tagged language."""
    given: dict[str, str] = {}
    family: dict[str, str] = {}
    for lang, text in names.items():
        parts = _author(text) if lang is not None else None  # cached: names recur
        if lang is not None and parts is not None:
            if parts.given:
                given[lang] = parts.given
            if parts.family:
                family[lang] = parts.family
    if not given and not family:
        return author
    return Author(author.name, author.given, author.family, given_names=given, family_names=family)


@lru_cache(maxsize=4096)
def _author(creator: str) -> Author | None:
    """The Author of one raw ``dc:creator`` text, None when it names nobody.

    Cached: an author recurs on their records, and a frozen Author can be shared.
    """
    parts = split_creator(creator)
    if parts is None:
        return None
    return Author(name=parts.name, given=parts.given, family=parts.family)
