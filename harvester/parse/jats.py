"""Map one OAI-PMH ``<record>`` in OJS's ``jats`` format to the references it carries.

OJS offers JATS over OAI-PMH through pkp/oaiJats, bundled as a submodule from 3.5.0-0 (ojs
``.gitmodules`` at tag 3_5_0-1: ``plugins/oaiMetadataFormats/oaiJats``, pinned at pkp/oaiJats
5a2a66c; absent at 3_4_0-8).  Its facts, as this parser relies on them:

- the metadata prefix is ``jats`` (oaiJats ``OAIMetadataFormatPlugin_JATS::getMetadataPrefix``);
  ListMetadataFormats names the namespace ``http://jats.nlm.nih.gov`` (``getNamespace``);
- the record is a JATS ``<article>``, either an XML galley or production-ready file of the
  submission, or the document pkp/jatsTemplate builds (oaiJats ``OAIMetadataFormat_JATS::
  findJats``).  The template's root is in ``https://jats.nlm.nih.gov/publishing/1.1/``
  (observed, OJS 3.5.0-1: shared/samples/sites/ajpa_ojs3.5.0-1, ListRecords metadataPrefix=jats)
  while an uploaded file may use no namespace at all, so elements are matched by local name;
- the template writes ``back/ref-list/ref[@id=R1…]/mixed-citation`` with each parsed
  citation's raw text, in the publication's order (pkp/jatsTemplate ``classes/ArticleBack.php``
  at 8ae94b3, pinned by ojs 3_5_0-1: ``$citation->getRawCitation()``), the same texts the
  article page prints one per ``<p>`` (``parse.html.references``); an uploaded file may use
  ``element-citation`` and ``pub-id[@pub-id-type="doi"]`` instead.

Only the references are read: oai_dc already gives every other field, and a JATS record
enriches an article harvested that way (``store.enrich``), never makes one.  The record comes
back as an ``OaiRecord`` whose ``Article`` holds just those references (a tombstone: none).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from harvester.errors import BrokenResponseError
from harvester.model import Article, OaiRecord, Reference
from harvester.parse.normalize import extract_doi, normalize_doi
from harvester.parse.oai_dc import OAI_NS, parse_header

__all__ = ["JATS_PREFIX", "parse_jats_record", "parse_references"]

JATS_PREFIX = "jats"

_RECORD = f"{{{OAI_NS}}}record"
_HEADER = f"{{{OAI_NS}}}header"
_METADATA = f"{{{OAI_NS}}}metadata"
# A ref holds one citation; JATS 1.x names it mixed- or element-citation, NLM 2/3 ``citation``.
_CITATIONS = ("mixed-citation", "element-citation", "citation")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in parent if _local(child) == name]


def _reference(ref: etree._Element) -> Reference | None:
    """One ``<ref>``: its citation's text with whitespace collapsed, and its DOI (a tagged
    ``pub-id`` first, else the first DOI the text names)."""
    citation = next((c for name in _CITATIONS for c in _children(ref, name)), None)
    if citation is None:
        return None
    # mixed-citation keeps its own punctuation and spacing; element-citation's parts have none.
    joiner = "" if _local(citation) == "mixed-citation" else " "
    text = " ".join(joiner.join(str(part) for part in citation.itertext()).split())
    if not text:
        return None
    tagged = next(
        (p.text for p in citation.iter() if _local(p) == "pub-id" and p.get("pub-id-type") == "doi"), None
    )
    return Reference(text, normalize_doi(tagged) if tagged else extract_doi(text))


def parse_references(article: etree._Element) -> tuple[Reference, ...]:
    """The references of a JATS ``<article>``, in the order of its ``back/ref-list`` (nested
    lists, as JATS allows, in document order)."""
    refs = (
        element for back in _children(article, "back") for element in back.iter() if _local(element) == "ref"
    )
    return tuple(reference for ref in refs if (reference := _reference(ref)) is not None)


def parse_jats_record(record: etree._Element, set_names: Mapping[str, str] | None = None) -> OaiRecord:
    """The references of one OAI ``<record>`` in ``jats``; a deleted record is a tombstone.

    ``set_names`` is unused (the oai_dc record names the section); it keeps the signature of
    ``parse.oai_dc.parse_record`` so the OAI client pages either format alike.
    """
    if record.tag != _RECORD:
        raise BrokenResponseError(f"OAI record expected, got element {record.tag!r}")
    header_el = next((child for child in record if child.tag == _HEADER), None)
    if header_el is None:
        raise BrokenResponseError("OAI record without <header>")
    header = parse_header(header_el)
    metadata = next((child for child in record if child.tag == _METADATA), None)
    if header.deleted or metadata is None:
        return OaiRecord(header=header, article=None)
    article = next((child for child in metadata if _local(child) == "article"), None)
    if article is None:
        raise BrokenResponseError(f"OAI record {header.identifier!r}: metadata is not a JATS <article>")
    return OaiRecord(header=header, article=Article(references=parse_references(article)))
