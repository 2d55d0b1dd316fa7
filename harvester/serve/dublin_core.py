"""``oai_dc`` for one merged article: every language the store holds, each with ``xml:lang``.

The element choice follows what OJS itself serves, so a harvester that read the journal reads
the mirror the same way (pkp/ojs 3_4_0-8 plugins/metadata/dc11/filter/
Dc11SchemaArticleAdapter.php): the full title per locale, creators as "Family, Given",
keywords as subjects, abstracts as descriptions, the journal as publisher, the publication
date, the DRIVER type, the landing URL and the DOI as identifiers, and a source line
"Journal; Vol. N No. N (YEAR); PAGES" followed by the ISSN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

__all__ = ["OAI_DC", "write_oai_dc"]

NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: (metadataPrefix, schema, metadataNamespace) of the one format served.
OAI_DC = ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS_OAI_DC)

# pkp/ojs 3_4_0-8 Dc11SchemaArticleAdapter.php: 'info:eu-repo/semantics/article' and
# '.../publishedVersion' on every article.
_DRIVER_TYPES = ("info:eu-repo/semantics/article", "info:eu-repo/semantics/publishedVersion")

# XML 1.0 forbids C0 controls but tab, LF and CR: the OAI path strips them before parsing
# (``harvester.harvest.oai``), text read from pages may still hold one, and lxml refuses to write it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Value = tuple[str, str | None]  # (text, language key or None)


def _by_language(values: dict[str, str], fallback: str | None) -> list[Value]:
    if values:
        return [(text, lang) for lang, text in values.items() if text]
    return [(fallback, None)] if fallback else []


def _creator(given: str | None, family: str | None, name: str) -> str:
    if family and given:
        return f"{family}, {given}"
    return family or given or name


def _creators(row: dict[str, Any]) -> Iterator[Value]:
    for author in row["authors"]:
        given_names, family_names = author.get("given_names", {}), author.get("family_names", {})
        languages = list(dict.fromkeys([*family_names, *given_names]))
        if not languages:
            yield (_creator(author.get("given"), author.get("family"), author["name"]), None)
        for lang in languages:
            yield (_creator(given_names.get(lang), family_names.get(lang), author["name"]), lang)


def _subjects(row: dict[str, Any]) -> list[Value]:
    by_language = row["keywords_by_language"]
    if by_language:
        return [(word, lang) for lang, words in by_language.items() for word in words]
    return [(word, None) for word in row["keywords"]]


def _source(row: dict[str, Any]) -> list[Value]:
    parts = [row["journal_title"] or ""]
    issue = " ".join(
        part
        for part in (
            f"Vol. {row['volume']}" if row["volume"] else "",
            f"No. {row['number']}" if row["number"] else "",
            f"({row['year']})" if row["year"] else "",
        )
        if part
    )
    parts += [part for part in (issue, row["pages"]) if part]
    line = "; ".join(part for part in parts if part)
    return [(value, None) for value in (line, row["issn"]) if value]


def _plain(*values: str | None) -> list[Value]:
    return [(value, None) for value in values if value]


def dublin_core(row: dict[str, Any]) -> list[tuple[str, list[Value]]]:
    """The oai_dc elements of a live ``current_articles`` row, in schema order."""
    return [
        ("title", _by_language(row["titles"], row["title"])),
        ("creator", list(_creators(row))),
        ("subject", _subjects(row)),
        ("description", _by_language(row["abstracts"], row["abstract"])),
        ("publisher", _plain(row["journal_title"])),
        ("date", _plain(row["published"])),
        ("type", _plain(*_DRIVER_TYPES)),
        ("identifier", _plain(row["url"], row["doi"])),
        ("source", _source(row)),
        ("language", _plain(row["language"])),
        # The work the record belongs to (issue 17): records of one work share this relation.
        ("relation", _plain(f"urn:ojs-harvester:work:{row['work_id']}" if row.get("work_id") else None)),
    ]


def write_oai_dc(element: etree._Element, row: dict[str, Any]) -> None:
    """Append the ``oai_dc:dc`` of ``row`` to a record's ``metadata`` element (an ``oaipmh`` writer)."""
    dc = etree.SubElement(
        element, f"{{{NS_OAI_DC}}}dc", nsmap={"oai_dc": NS_OAI_DC, "dc": NS_DC, "xsi": NS_XSI}
    )
    dc.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {OAI_DC[1]}")
    for name, values in dublin_core(row):
        for text, lang in values:
            child = etree.SubElement(dc, f"{{{NS_DC}}}{name}")
            child.text = _NOT_XML.sub("", text)
            if lang:
                child.set(XML_LANG, lang)
