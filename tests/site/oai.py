"""The OAI-PMH records of the test OJS site, rendered as OJS writes them, as text built by joining strings.

The XML mirrors what a real OJS 3.3.0-11 install sends (see ``shared/samples/sites/jsas_ojs3.3.0-11``):
the same namespaces, ``xml-stylesheet`` processing instruction, element order, ``dc:*`` lines, the
double-escaped ``dc:description`` quirk, deleted-record tombstones and the resumption-token shape;
release differences come from ``ojs_releases``. Records are rendered once per article and cached as
bytes by the site (``oai_protocol``), so a page of 100 records is served in a few milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tests.site.escaping import hsc, stored
from tests.site.model import now, oai_abstract
from tests.site.ojs_jats import jats_record_xml

if TYPE_CHECKING:
    from tests.site.model import SimArticle, SimJournal
    from tests.site.ojs_releases import Release

__all__ = [
    "FORMATS",
    "GRANULARITY_DAYS",
    "GRANULARITY_SECONDS",
    "HEAD",
    "SET_DESCRIPTION",
    "OaiError",
    "header_xml",
    "hsc",
    "record_xml",
    "stamp",
    "token_xml",
]

GRANULARITY_SECONDS = "YYYY-MM-DDThh:mm:ssZ"
GRANULARITY_DAYS = "YYYY-MM-DD"
_BAD_BYTE_MARK = "\ue000"  # replaced by a raw, invalid-UTF-8 0xFF byte after encoding

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<?xml-stylesheet type="text/xsl" href="{base}/lib/pkp/xml/oai2.xsl" ?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"\n'
    '\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
    '\txsi:schemaLocation="http://www.openarchives.org/OAI/2.0/\n'
    '\t\thttp://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
    "\t<responseDate>{now}</responseDate>\n"
    "\t<request{attrs}>{url}</request>\n"
)
_DC_OPEN = (
    "<oai_dc:dc\n"
    '\txmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"\n'
    '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
    '\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
    '\txsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/\n'
    '\thttp://www.openarchives.org/OAI/2.0/oai_dc.xsd">\n'
)
_MARC_OPEN = (
    "<record\n"
    '\txmlns="http://www.loc.gov/MARC21/slim"\n'
    '\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
    '\txsi:schemaLocation="http://www.loc.gov/MARC21/slim '
    'http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd">\n'
    "\t<leader>     nmb a2200000Iu 4500</leader>\n"
)
FORMATS = {
    "oai_dc": (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    ),
    "marcxml": (
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        "http://www.loc.gov/MARC21/slim",
    ),
}
SET_DESCRIPTION = (
    "\t\t\t<setDescription>\n"
    "\t\t\t\t<oai_dc:dc\n"
    '\t\t\t\t\txmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"\n'
    '\t\t\t\t\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
    '\t\t\t\t\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
    '\t\t\t\t\txsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/\n'
    '\t\t\t\t\t\thttp://www.openarchives.org/OAI/2.0/oai_dc.xsd">\n'
    "\t\t\t\t\t<dc:description></dc:description>\n"
    "\t\t\t\t</oai_dc:dc>\n"
    "\t\t\t</setDescription>\n"
)


def stamp(moment: datetime, granularity: str) -> str:
    if granularity == GRANULARITY_DAYS:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _broken_title(title: str) -> str:
    cut = title.find(" ")
    title = title[:cut] + "\x0b" + title[cut:] if cut > 0 else "\x0b" + title
    return title + "\x1f"


def _issue_label(art: SimArticle) -> str:
    label = f"Vol. {art.volume} No. {art.number} ({art.year})"
    return f"{label}: {art.issue_title}" if art.issue_title else label


def _dc_xml(art: SimArticle, journal: SimJournal, *, broken: bool) -> str:
    """The ``oai_dc:dc`` element exactly as OJS 3.3 writes it."""
    release = journal.release
    en, fr = release.oai_lang("en"), release.oai_lang("fr")
    title = _broken_title(art.full_title) if broken else art.full_title
    lines = [f'<dc:title xml:lang="{en}">{hsc(title)}</dc:title>']
    if art.title_fr:
        lines.append(f'<dc:title xml:lang="{fr}">{hsc(art.title_fr)}</dc:title>')
    lines += _creators(art, release)
    lines += [f'<dc:subject xml:lang="{en}">{hsc(k)}</dc:subject>' for k in art.keywords]
    lines += [f'<dc:subject xml:lang="{fr}">{hsc(k)}</dc:subject>' for k in art.keywords_fr]
    if art.abstract:
        description = hsc(stored(oai_abstract(art), raw_amp=art.raw_amp))
        description += _BAD_BYTE_MARK if broken else ""
        lines.append(f'<dc:description xml:lang="{en}">{description}</dc:description>')
    if art.abstract_fr:  # every locale's abstract (Dc11SchemaArticleAdapter ``getAbstract(null)``)
        description = hsc(stored(art.abstract_fr, raw_amp=False))
        lines.append(f'<dc:description xml:lang="{fr}">{description}</dc:description>')
    names = [(en, journal.title)] + ([(fr, journal.title_fr)] if journal.title_fr else [])
    lines += [f'<dc:publisher xml:lang="{lang}">{hsc(name)}</dc:publisher>' for lang, name in names]
    lines += [
        f"<dc:date>{art.published}</dc:date>",
        "<dc:type>info:eu-repo/semantics/article</dc:type>",
        "<dc:type>info:eu-repo/semantics/publishedVersion</dc:type>",
        f'<dc:type xml:lang="{en}">Peer-reviewed Article</dc:type>',
    ]
    lines += [f"<dc:format>{hsc(mime)}</dc:format>" for _, mime in art.galleys]
    lines.append(f"<dc:identifier>{hsc(art.url())}</dc:identifier>")
    if art.doi:
        lines.append(f"<dc:identifier>{hsc(art.doi)}</dc:identifier>")
    source = _issue_label(art) + (f"; {art.pages}" if art.pages else "")
    lines += [f'<dc:source xml:lang="{lang}">{hsc(f"{name}; {source}")}</dc:source>' for lang, name in names]
    lines += [f"<dc:source>{issn}</dc:source>" for issn in (journal.issn_online, journal.issn_print) if issn]
    if art.galleys:
        lines.append(f"<dc:language>{release.dc_language}</dc:language>")
    lines += [f"<dc:relation>{hsc(f'{art.url()}/{gid}')}</dc:relation>" for gid, _ in art.galleys]
    if art.copyright:
        lines.append(f'<dc:rights xml:lang="{en}">{hsc(art.copyright)}</dc:rights>')
    lines.append(f'<dc:rights xml:lang="{en}">{hsc(art.license_url)}</dc:rights>')
    return _DC_OPEN + "".join(f"\t{line}\n" for line in lines) + "</oai_dc:dc>\n"


def _creators(art: SimArticle, release: Release) -> list[str]:
    """``dc:creator`` lines: one per author (3.3), or per locale with a name, grouped by locale (3.4.0-2+;
    see ``ojs_releases.Release.creators_per_locale``)."""
    if not release.creators_per_locale:
        return [f"<dc:creator>{hsc(author.creator)}</dc:creator>" for author in art.authors]
    en, fr = release.oai_lang("en"), release.oai_lang("fr")
    lines = [f'<dc:creator xml:lang="{en}">{hsc(author.creator)}</dc:creator>' for author in art.authors]
    return lines + [
        f'<dc:creator xml:lang="{fr}">{hsc(name)}</dc:creator>'
        for author in art.authors
        if (name := author.creator_fr)
    ]


def _marc_field(tag: str, code: str, value: str, ind: str = "  ") -> str:
    return (
        f'\t<datafield tag="{tag}" ind1="{ind[0]}" ind2="{ind[1]}">\n'
        f'\t\t<subfield code="{code}">{hsc(value)}</subfield>\n\t</datafield>\n'
    )


def _marc_xml(art: SimArticle, journal: SimJournal) -> str:
    """A reduced MARCXML record (enough for a harvester that lists formats or probes marcxml)."""
    parts = [_MARC_OPEN]
    parts += [_marc_field("022", "a", i, "##") for i in (journal.issn_online, journal.issn_print) if i]
    if art.doi:
        parts.append(_marc_field("024", "a", art.doi, "7#"))
    parts.append(_marc_field("245", "a", art.full_title, "00"))
    parts += [_marc_field("720", "a", author.creator, "1 ") for author in art.authors]
    if art.abstract:
        parts.append(_marc_field("520", "a", oai_abstract(art)))
    parts.append(_marc_field("856", "u", art.url(), "40"))
    parts.append(_marc_field("786", "n", f"{journal.title}; {_issue_label(art)}", "0 "))
    return "".join(parts) + "</record>\n"


def header_xml(art: SimArticle, granularity: str, indent: str) -> str:
    status = ' status="deleted"' if art.deleted else ""
    return (
        f"{indent}<header{status}>\n"
        f"{indent}\t<identifier>{art.oai_identifier()}</identifier>\n"
        f"{indent}\t<datestamp>{stamp(art.datestamp, granularity)}</datestamp>\n"
        f"{indent}\t<setSpec>{hsc(art.set_spec)}</setSpec>\n"
        f"{indent}</header>\n"
    )


def record_xml(art: SimArticle, journal: SimJournal, prefix: str, granularity: str, *, broken: bool) -> bytes:
    header = header_xml(art, granularity, "\t\t\t")
    if art.deleted:
        return f"\t\t<record>\n{header}\t\t</record>\n".encode()
    if prefix == "jats":
        if art.no_jats:  # pkp/oaiJats OAIMetadataFormat_JATS::toXml at 5a2a66c: the whole request
            raise OaiError("cannotDisseminateFormat", "Cannot disseminate format (JATS XML not available)")
        return jats_record_xml(header, art).encode()
    meta = _dc_xml(art, journal, broken=broken) if prefix == "oai_dc" else _marc_xml(art, journal)
    text = f"\t\t<record>\n{header}\t\t\t<metadata>\n{meta}\t\t\t</metadata>\n\t\t</record>\n"
    return text.encode().replace(_BAD_BYTE_MARK.encode(), b"\xff")


class OaiError(Exception):
    """An OAI-PMH error response (sent with HTTP 200, as OJS does)."""

    def __init__(self, code: str, message: str, *, bare: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.bare = code, message, bare


def token_xml(token: str | None, size: int, cursor: int, *, paged: bool) -> bytes:
    if not paged:
        return b""
    if token is None:
        return f'\t\t<resumptionToken completeListSize="{size}" cursor="{cursor}" />\n'.encode()
    expires = stamp(now() + timedelta(days=1), GRANULARITY_SECONDS)
    return (
        f'\t\t<resumptionToken expirationDate="{expires}"\n'
        f'\t\t\tcompleteListSize="{size}"\n\t\t\tcursor="{cursor}">{token}</resumptionToken>\n'
    ).encode()
