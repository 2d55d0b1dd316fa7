"""The authors of an article page: names and affiliations from meta tags, the rest from markup.

Sources, merged per author in display order:

- ``citation_author`` (+ the ``citation_author_institution`` tags that follow it) from the
  Google Scholar plugin: the names in the submission locale (3.4+), "Given Family" in
  OJS 2.4 and 3.x; OJS 2.3 wrote one ``citation_authors`` "Family, Given; Family, Given";
- ``DC.Creator.PersonalName`` when there is no ``citation_author``;
- the theme's author list (3.1 ``ul.item.authors``, 3.3+ ``ul.authors``, 3.5 nested
  spans): ORCID iDs, and affiliations when the meta tags lack them; its names when there
  are no meta tags at all; OJS 2's ``#authorString`` as the last resort;
- the biography blocks: 3.x ``.item.author_bios .sub_item`` (label "Name, Affiliation",
  then the value), OJS 2's "About the authors" sidebar block (``.authorBio``).

Splitting a full name: OJS 3 pages show only "Given Family", so it is split on the last
space (a heuristic: OAI's "Family, Given" wins in the merge); a single word is a mononym
(given name only, OJS 3's rule); a name with a comma is "Family, Given".

Languages (``AuthorLocales``): ``citation_author`` names are in the UI locale up to
3.4.0-1 (``getFullName(false)``) and in the submission locale from 3.4.0-2
(``getFullName(false, false, $publicationLocale)``); ``citation_author_institution`` is
in the UI locale in 3.3 (``getLocalizedAffiliation()``) and in the submission locale from
3.4.0-0, one per affiliation in 3.5 (pkp/googleScholar GoogleScholarPlugin at the commits
3_3_0-11, 3_4_0-0, 3_4_0-2 and 3_5_0-1 pin: 7c9dddc, 0ea03a8, 523e492, f59a886).  The
theme shows affiliations in the UI locale, falling back silently to another locale's
(lib: classes/core/DataObject.php ``getLocalizedData``, 3_5_0-1), so a theme affiliation
equal to the tags' is no evidence of a UI-locale value and is not recorded as one.  The
theme's names are never split per language: ``span.name`` may be the preferred public
name (``getFullName()``, ojs templates/frontend/objects/article_details.tpl).
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from harvester.model import Author
from harvester.parse.align import fold, pairs_by_key
from harvester.parse.html.common import Page, first_below, first_by_class, inner_text, paragraphs
from harvester.parse.normalize import CreatorName, clean_text, split_creator
from harvester.works.identifiers import check_orcid

__all__ = ["AuthorLocales", "ParsedAuthors", "parse_authors", "split_name"]

Problem = tuple[str, str, str]  # (kind, value as published, reason): ``Article.identifier_problems``

_AFFILIATION_SEPARATOR = "; "  # 3.5: several affiliations per author; each may hold commas


class AuthorLocales(NamedTuple):
    """The language key of each author value a page gives (None: not known)."""

    names: str | None  # citation_author
    affiliations: str | None  # citation_author_institution
    ui: str | None  # the theme's


class _Shown(NamedTuple):
    """One author as the theme lists them."""

    name: str
    affiliations: tuple[str, ...]
    orcid: str | None
    orcid_problem: Problem | None = None


class _Named(NamedTuple):
    """One author from the meta tags."""

    name: str
    affiliations: tuple[str, ...]


def split_name(name: str) -> Author:
    """The Author of a displayed name: "Family, Given", "Given Family", or a mononym."""
    parts = _name_parts(name)
    return Author(name=parts.name, given=parts.given, family=parts.family)


def _name_parts(name: str) -> CreatorName:
    """(display name, given, family) of a displayed name, as ``split_name`` splits it."""
    if "," in name:
        parts = split_creator(name)
        if parts is not None:
            return parts
    given, _, family = name.rpartition(" ")
    if not given:
        return CreatorName(name, name, None)
    return CreatorName(name, given, family)


_AUTHOR_TAGS = frozenset({"citation_author", "citation_author_institution", "citation_authors"})


def _meta_authors(page: Page) -> list[_Named]:
    """Authors from the Google Scholar (else Dublin Core) tags, institutions attached in order."""
    names: list[tuple[str, list[str]]] = []
    for key, meta in page.meta.in_order(*_AUTHOR_TAGS):
        text = clean_text(meta.content)
        if not text:
            continue
        if key == "citation_author":
            names.append((text, []))
        elif key == "citation_author_institution" and names:
            names[-1][1].append(text)
        elif key == "citation_authors" and not names:  # OJS 2.3: "Family, Given; Family, Given"
            names.extend((part.strip(), []) for part in text.split(";") if part.strip())
    if not names:
        names = [(text, []) for text in map(clean_text, page.meta.values("DC.Creator.PersonalName")) if text]
    return [_Named(name, tuple(found)) for name, found in names]


def _orcid(node: etree._Element, *, every_link: bool) -> tuple[str | None, Problem | None]:
    """The ORCID iD linked in ``node`` (3.x ``span.orcid``, OJS 2's ``a.orcid``), URL form;
    else the first link that should have been one, with the reason it is not (issue 17:
    listed in ``identifier_problems``).  In the theme's ``span.orcid`` (``every_link``) each
    link is the author's ``orcid`` setting (ojs 3_3_0-11 to 3_5_0-1
    templates/frontend/objects/article_details.tpl); in an OJS 2 biography only a link to
    orcid.org is meant as one."""
    problem = None
    for link in node.iter("a"):
        href = link.get("href")
        if href is None:
            continue
        checked = check_orcid(href)
        if checked.value is None:
            shown = check_orcid(inner_text(link))
            checked = shown if shown.value else checked
        if checked.value:
            return checked.value, None
        if problem is None and (every_link or "orcid" in href.lower()) and checked.problem:
            problem = ("orcid", href.strip(), checked.problem)
    return None, problem


def _shown_authors(page: Page, details: etree._Element) -> list[_Shown]:
    """The theme's author list: 3.1 ``ul.item.authors > li``, 3.3+ ``.item.authors ul.authors > li``."""
    shown: list[_Shown] = []
    for item in _author_items(page, details):
        parts = first_by_class(item, "name", "orcid", "affiliation")
        name = inner_text(parts.get("name"))
        if not name:
            continue
        orcid, problem = _orcid(parts["orcid"], every_link=True) if "orcid" in parts else (None, None)
        shown.append(_Shown(name, _affiliations(parts.get("affiliation")), orcid, problem))
    if not shown:  # OJS 2: <div id="authorString"><em>A B, C D</em></div>
        strings = page.index.with_id("authorString")
        text = inner_text(strings[0]) if strings else None
        shown = [_Shown(part.strip(), (), None) for part in (text or "").split(",") if part.strip()]
    return shown


def _author_items(page: Page, details: etree._Element) -> list[etree._Element]:
    """The ``li`` of 3.1's ``ul.item.authors`` and of the ``ul`` inside 3.3+'s ``.item.authors``."""
    items: list[etree._Element] = []
    for block in page.index.select("authors", "item", within=details):
        lists = [block] if block.tag == "ul" else []
        items += [li for ul in [*lists, *block.iterdescendants("ul")] for li in ul.iterchildren("li")]
    return list(dict.fromkeys(items))


def _affiliations(block: etree._Element | None) -> tuple[str, ...]:
    """A theme author's affiliations: 3.5 writes one ``span`` each inside ``span.affiliation``
    (ojs 3_5_0-1 templates/frontend/objects/article_details.tpl), earlier releases one text."""
    if block is None:
        return ()
    parts = [inner_text(span) for span in block.iterchildren("span")]
    found = tuple(part for part in parts if part) or (inner_text(block),)
    return tuple(part for part in found if part)


class _Bio(NamedTuple):
    """One biography block: its label (with and without the affiliation), text and ORCID."""

    label: str
    bare: str
    text: str | None
    orcid: str | None
    orcid_problem: Problem | None = None


def _bios(page: Page, details: etree._Element) -> list[_Bio]:
    """The biography blocks: 3.x ``.author_bios .sub_item``, OJS 2's "About the authors"."""
    bios: list[_Bio] = []
    blocks = page.index.select("author_bios", within=details)
    for item in [sub for block in blocks for sub in page.index.select("sub_item", within=block)]:
        label = first_below(item, "label", children=True)
        full = inner_text(label) or ""
        bare = inner_text(label, frozenset({"affiliation"})) or full
        bios.append(_Bio(full, bare, paragraphs(first_below(item, "value", children=True)), None))
    # OJS 2.4: <div id="authorBio"> (one per author, so ids repeat; a class since 2.4.8)
    # <p><em>Name</em> [ORCID link] <br/>affiliation</p><p>biography</p>
    for block in dict.fromkeys(page.index.with_id("authorBio") + page.index.select("authorBio")):
        name = inner_text(next(block.iterdescendants("em"), None)) or ""
        texts = list(block.iterchildren("p"))
        bio = paragraphs(texts[1]) if len(texts) > 1 else None
        bios.append(_Bio(name, name, bio, *_orcid(block, every_link=False)))
    return bios


def _bio_for(names: tuple[str, ...], bios: list[_Bio]) -> _Bio | None:
    """The biography whose label names one of ``names``: exactly, else as its start.

    3.x labels read "Name, Affiliation" (``submission.authorWithAffiliation``; 3.3 marks
    the affiliation with ``span.affiliation``, 3.5 does not).
    """
    folded = [name.casefold() for name in names if name]
    for bio in bios:
        if bio.bare.strip(" ,").casefold() in folded:
            return bio
    for bio in bios:
        if any(bio.label.casefold().startswith(name) for name in folded):
            return bio
    return None


def _shown_entries(named: list[_Named], shown: list[_Shown]) -> list[_Shown | None]:
    """The theme entry of each meta author: by position when the lists agree in length, else
    the in-order pairing of equal names (``align.pairs_by_key``), so namesakes never share one."""
    if len(shown) == len(named):
        return list(shown)
    entries: list[_Shown | None] = [None] * len(named)
    for i, j in pairs_by_key([fold(p.name) for p in named], [fold(e.name) for e in shown]):
        entries[i] = shown[j]
    return entries


def _author(person: _Named, entry: _Shown | None, bio: _Bio | None, locales: AuthorLocales) -> Author:
    """One author from the tags (``person``), the theme (``entry``) and the biography."""
    base = _name_parts(person.name)
    shown = entry.affiliations if entry else ()
    affiliations: dict[str, tuple[str, ...]] = {}
    if person.affiliations and locales.affiliations:
        affiliations[locales.affiliations] = person.affiliations
    if shown and locales.ui and locales.ui not in affiliations and shown != person.affiliations:
        affiliations[locales.ui] = shown
    given = {locales.names: base.given} if locales.names and base.given else {}
    family = {locales.names: base.family} if locales.names and base.family else {}
    return Author(
        name=base.name,
        given=base.given,
        family=base.family,
        affiliation=_AFFILIATION_SEPARATOR.join(person.affiliations or shown) or None,
        orcid=(entry.orcid if entry else None) or (bio.orcid if bio else None),
        bio=bio.text if bio else None,
        given_names=given,
        family_names=family,
        affiliations=affiliations,
    )


class ParsedAuthors(NamedTuple):
    """A page's authors, and the ORCID links of theirs that hold no valid iD."""

    authors: tuple[Author, ...]
    problems: tuple[Problem, ...]


def parse_authors(page: Page, details: etree._Element, locales: AuthorLocales) -> ParsedAuthors:
    """The page's authors in display order, each with what the page tells about them."""
    named = _meta_authors(page)
    shown = _shown_authors(page, details)
    if not named:  # the theme's names and affiliations only: UI locale, names not split per language
        named = [_Named(entry.name, ()) for entry in shown]
        locales = AuthorLocales(None, None, locales.ui)
    bios = _bios(page, details)
    authors: list[Author] = []
    for person, entry in zip(named, _shown_entries(named, shown), strict=True):
        bio = _bio_for((person.name, entry.name) if entry else (person.name,), bios)
        authors.append(_author(person, entry, bio, locales))
    found = [p for p in [e.orcid_problem for e in shown] + [b.orcid_problem for b in bios] if p]
    return ParsedAuthors(tuple(authors), tuple(dict.fromkeys(found)))
