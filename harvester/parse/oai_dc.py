"""Map one OAI-PMH ``<record>`` in ``oai_dc``, as OJS writes it, to an ``OaiRecord``.

Pure: an lxml element in, model objects out.  The record is read in one pass over the
``oai_dc:dc`` children (the harvester parses thousands of records a second, so no XPath per
field); the OJS conventions behind each mapping come from OJS's
``Dc11SchemaArticleAdapter`` and are commented where they are used:

- language keys are ``xml:lang`` normalised by ``locales.locale_tag``; every localized
  field is also kept per language (``titles``, ``abstracts``, ``keywords_by_language``,
  each author's ``given_names`` and ``family_names``);
- the *primary language* of a record is the ``xml:lang`` of its first ``dc:title``.  oai_dc
  does not name the submission locale: titles come in the order of the publication's
  stored settings (lib: classes/publication/PKPPublication ``getFullTitles``, tags
  3_3_0-11, 3_4_0-8, 3_5_0-1), which puts the submission locale first on the recorded
  sites (observed: jsas_ojs3.3.0-11 #12 fr-CA, ajpa_ojs3.5.0-1 #311 es).  The merge with
  the article page, whose ``citation_language`` does name it, corrects the choice;
  localized fields prefer it, else fall back to their first value's language;
- ``dc:creator`` is "Family, Given"; OJS 3.4.0-2+ writes one per author *per locale*,
  which are folded back into one person (see ``oai_creators``);
- ``dc:source`` is "Journal; issue identification; pages" per journal locale, plus one
  bare line per ISSN (see ``parse_source``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from lxml import etree

from harvester.errors import BrokenResponseError
from harvester.model import Article, Galley, OaiRecord, RecordHeader
from harvester.ojs.locales import locale_tag
from harvester.ojs.urls import article_id, oai_article_id
from harvester.parse.normalize import (
    clean_text,
    iso_date,
    language_code,
)
from harvester.parse.oai_creators import parse_creators
from harvester.parse.oai_identifiers import is_http, read_identifiers
from harvester.parse.oai_source import issue_pages_issns

__all__ = ["DC_NS", "OAI_DC_NS", "OAI_NS", "parse_header", "parse_record", "parse_stored_record"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"

_RECORD = f"{{{OAI_NS}}}record"
_HEADER = f"{{{OAI_NS}}}header"
_METADATA = f"{{{OAI_NS}}}metadata"
_IDENTIFIER = f"{{{OAI_NS}}}identifier"
_DATESTAMP = f"{{{OAI_NS}}}datestamp"
_SET_SPEC = f"{{{OAI_NS}}}setSpec"
_DC = f"{{{OAI_DC_NS}}}dc"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


_Value = tuple[str | None, str]  # (xml:lang with '_' as '-', raw text) of one dc element
_T = TypeVar("_T")


class _Fields(NamedTuple):
    """One record's non-empty dc texts by element, in document order.

    Only the first ``_LOCALIZED`` fields keep each text's language: nothing reads the
    others', and an attribute lookup is the costliest step of ``_collect``.  dc:contributor
    and dc:coverage are not read at all.
    """

    title: list[_Value]
    creator: list[_Value]
    subject: list[_Value]
    description: list[_Value]
    publisher: list[_Value]
    source: list[_Value]
    date: list[str]
    type: list[str]
    format: list[str]
    identifier: list[str]
    language: list[str]
    relation: list[str]
    rights: list[str]


_LOCALIZED = 6
_DC_FIELDS = {f"{{{DC_NS}}}{name}": index for index, name in enumerate(_Fields._fields)}

# Values that recur on the records of a journal or issue (dc:language, publisher, format,
# keywords, an issue's dates) are normalised once: pure functions of one string, cached
# with a bound on their size.
_language_code = lru_cache(maxsize=256)(language_code)
_iso_date = lru_cache(maxsize=1024)(iso_date)
_clean_recurring = lru_cache(maxsize=4096)(clean_text)


def parse_record(record: etree._Element, set_names: Mapping[str, str] | None = None) -> OaiRecord:
    """The ``OaiRecord`` of one OAI-PMH ``<record>`` whose metadata is ``oai_dc``.

    A deleted record, or one without ``<metadata>``, is a tombstone (``article=None``).
    ``set_names`` maps set specs to set names (from ListSets) and names the section.
    Raises ``BrokenResponseError`` naming the identifier when the record cannot be read.
    """
    if record.tag != _RECORD:
        raise BrokenResponseError(f"OAI record expected, got element {record.tag!r}")
    header_el = _child(record, _HEADER)
    if header_el is None:
        raise BrokenResponseError("OAI record without <header>")
    header = parse_header(header_el)
    metadata = _child(record, _METADATA)
    if header.deleted or metadata is None:
        return OaiRecord(header=header, article=None)
    dc = _child(metadata, _DC)
    if dc is None:
        raise BrokenResponseError(f"OAI record {header.identifier!r}: metadata is not oai_dc")
    return OaiRecord(header=header, article=_article(_collect(dc), header, set_names))


def parse_stored_record(record: etree._Element, set_names: Mapping[str, str] | None = None) -> OaiRecord:
    """``parse_record`` as the batch writer reads it (``OaiRecord.for_store``): its stored form
    and keys for clustering computed at once, so where a long window's pages are read in a
    helper process, the helper does this work too and sends back little more."""
    return parse_record(record, set_names).for_store()


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """``parent.find(tag)`` for a plain tag, without ElementPath's cost per call (~1.5 µs)."""
    for child in parent:
        if child.tag == tag:
            return child
    return None


def parse_header(header: etree._Element) -> RecordHeader:
    """Identifier, datestamp and set specs; OJS marks tombstones ``status="deleted"``.  Every
    metadata format's records share this header (``parse.jats`` reads it too)."""
    identifier = datestamp = None
    set_specs: list[str] = []
    for child in header:
        tag = child.tag
        text = (child.text or "").strip()
        if tag == _IDENTIFIER:
            identifier = text
        elif tag == _DATESTAMP:
            datestamp = text
        elif tag == _SET_SPEC and text:
            set_specs.append(text)
    if not identifier:
        raise BrokenResponseError("OAI record header without <identifier>")
    if not datestamp:
        raise BrokenResponseError(f"OAI record {identifier!r}: header without <datestamp>")
    deleted = header.get("status") == "deleted"
    return RecordHeader(identifier, datestamp, tuple(set_specs), deleted)


def _collect(dc: etree._Element) -> _Fields:
    """Every non-empty dc element that the mapping reads, as ``_Fields``."""
    values: list[list[Any]] = [[] for _ in _Fields._fields]
    field_index = _DC_FIELDS.get
    for child in dc:
        index = field_index(child.tag)  # comments and PIs have a function as tag: no match
        if index is None:
            continue
        text = child.text
        if len(child):  # markup inside a dc element: OJS never writes it, others might
            text = "".join(part for part in child.itertext() if isinstance(part, str))
        if not text or text.isspace():
            continue
        if index < _LOCALIZED:
            lang = child.get(_XML_LANG)  # OJS 3.3 writes "en-US", 3.4 "en"; '_' seen elsewhere
            values[index].append((locale_tag(lang) if lang else None, text))
        else:
            values[index].append(text)
    return _Fields._make(values)


def _language(languages: list[str], primary: str | None) -> str | None:
    """dc:language, else the primary title's language.

    Quirk: OJS 3.3 derives dc:language from the galleys' locales, so an article without
    galleys (book reviews, #19 of the recorded 3.3 site) has none; its title's xml:lang is
    the submission locale.
    """
    if languages:
        return _language_code(languages[0])
    return _language_code(primary) if primary else None


def _article(fields: _Fields, header: RecordHeader, set_names: Mapping[str, str] | None) -> Article:
    """The Article of one record's collected dc fields; every text goes through clean_text.

    Each text is cleaned once: titles and descriptions up front, as two fields read each.
    """
    titles = [(lang, clean_text(raw)) for lang, raw in fields.title]
    primary = titles[0][0] if titles else None
    descriptions = [(lang, clean_text(raw)) for lang, raw in fields.description]
    ids = read_identifiers(fields.identifier)
    rights, license_url = _rights(tuple(fields.rights))
    issue, pages, issns = issue_pages_issns(fields.source, primary)
    return Article(
        title=titles[0][1] if titles else None,
        titles=_by_language(titles),
        authors=parse_creators(fields.creator, primary),
        abstract=_first(_in_language(descriptions, primary)),
        abstracts=_by_language(descriptions),
        keywords=_unique(_in_language(fields.subject, primary)),
        keywords_by_language=_keywords_by_language(fields.subject),
        publisher=_first(map(_clean_recurring, _in_language(fields.publisher, primary))),
        published=_first(map(_iso_date, fields.date)),
        doi=ids.doi,
        doi_published=ids.doi_published,
        identifier_problems=ids.problems,
        url=ids.url,
        ojs_id=_ojs_id(header.identifier, ids.url),
        galleys=_galleys(fields.relation, fields.format),
        language=_language(fields.language, primary),
        rights=rights,
        license_url=license_url,
        section=_section(header.set_specs, set_names),
        pages=pages,
        issue=issue,
        issns=issns,
        types=_types(tuple(fields.type)),
    )


def _in_language(values: list[tuple[str | None, _T]], primary: str | None) -> list[_T]:
    """The texts in the primary language, else in the language of the first value.

    The fallback covers records whose field exists only in another locale (a French
    abstract on an English-titled article) and OJS 3.3's untagged creators.
    """
    chosen = [text for lang, text in values if lang == primary] if primary else []
    if not chosen and values:
        first_lang = values[0][0]
        chosen = [text for lang, text in values if lang == first_lang]
    return chosen


def _by_language(values: list[tuple[str | None, str | None]]) -> dict[str, str]:
    """{language tag: text} for the tagged, cleaned values; the first value per tag wins."""
    result: dict[str, str] = {}
    for lang, text in values:
        if lang and text and lang not in result:
            result[lang] = text
    return result


def _keywords_by_language(subjects: list[_Value]) -> dict[str, tuple[str, ...]]:
    """{language key: keywords} for the tagged ``dc:subject`` values, in order.

    OJS writes keywords and subjects of every locale, grouped by locale (the dc11 adapter's
    ``_addLocalizedElements`` over ``getKeywords``/``getSubjects``, tags 3_3_0-11, 3_4_0-8,
    3_5_0-1).
    """
    grouped: dict[str, list[str]] = {}
    for lang, text in subjects:
        if lang is not None:
            grouped.setdefault(lang, []).append(text)
    return {lang: found for lang, texts in grouped.items() if (found := _unique(texts))}


def _first(texts: Iterable[str | None]) -> str | None:
    """The first text that is not empty (or None): lazily, so nothing after it is cleaned."""
    for text in texts:
        if text:
            return text
    return None


def _unique(texts: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, non-empty, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for text in texts:
        cleaned = _clean_recurring(text)
        if cleaned:
            seen[cleaned] = None
    return tuple(seen)


# dc:type: the same few values on every record of a journal, so cached whole.
_types = lru_cache(maxsize=256)(_unique)


def _ojs_id(oai_identifier: str, url: str | None) -> int | None:
    """The OJS submission id: from ``oai:REPO:article/ID``, else from the landing URL."""
    found = oai_article_id(oai_identifier)
    return found if found is not None else article_id(url)


def _galleys(relations: list[str], formats: list[str]) -> tuple[Galley, ...]:
    """One Galley per http(s) ``dc:relation`` (OJS: the galley view URLs, in galley order).

    OJS writes one ``dc:format`` per galley in the same order, so formats pair with the
    URLs when the counts agree; otherwise (a remote galley, a plugin's extra relation) no
    pairing can be trusted and mime types stay None.  Bare galley DOIs are skipped.
    """
    urls = [url for url in map(str.strip, relations) if is_http(url)]
    if len(formats) != len(urls):
        return tuple([Galley(url=url, mime_type=None) for url in urls])
    return tuple(
        [Galley(url=url, mime_type=_clean_recurring(mime)) for url, mime in zip(urls, formats, strict=True)]
    )


@lru_cache(maxsize=256)  # a journal's rights statement and licence recur on its records
def _rights(values: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(the first rights statement, the first licence URL): OJS writes both as dc:rights."""
    rights = license_url = None
    for raw in values:
        value = raw.strip()
        if is_http(value):
            license_url = license_url or value
        elif rights is None:
            rights = clean_text(value)
    return rights, license_url


def _section(set_specs: tuple[str, ...], set_names: Mapping[str, str] | None) -> str | None:
    """The set name of the section set ("journal:SECTION"), if ListSets named it."""
    specs = [spec for spec in set_specs if ":" in spec]
    return set_names.get(specs[0]) if set_names and specs else None
