"""An OJS 3.3-shaped server (OAI-PMH and the journal's HTML pages) for tests and benchmarks.

The XML mirrors what a real OJS 3.3.0-11 install sends (see ``shared/samples/sites/jsas_ojs3.3.0-11``):
the same namespaces, ``xml-stylesheet`` processing instruction, element order, ``dc:*`` lines, the
double-escaped ``dc:description`` quirk, deleted-record tombstones and the resumption-token shape.

Several journals share one host, each with its own endpoint ``/index.php/PATH/oai``. Records are
rendered once and cached as bytes, pages are assembled by joining bytes, so one page of 100 records is
served in a few milliseconds. Mutations and fault injections are thread-safe.

Each journal also serves its default-theme HTML side under ``/index.php/PATH`` (home, issue archive,
issue tables of contents, article pages, pdf.js galley pages, downloads, login page); the markup lives
in ``ojs_html``. Issues are derived from the articles' volume/number/year. Pages can carry ETag and
Last-Modified validators and answer conditional requests (real OJS sends neither: ``validators=False``).

Run ``python tests/ojs_site.py --journals 1 --articles 20000 --page-size 100`` to serve a large site
(OAI and pages) in the foreground; it prints ``READY http://127.0.0.1:PORT`` once listening and exits
on SIGTERM.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import re
import secrets
import signal
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit

from tests.site import ojs_html
from tests.site.loopback import LoopbackSite
from tests.site.ojs_jats import formats_of, jats_record_xml
from tests.site.ojs_releases import DEFAULT_RELEASE, RELEASES, Release

if TYPE_CHECKING:
    from harvester.model import ArchivePage, Article, IssuePage

DEFAULT_REPOSITORY_ID = "ojs.pkp.sfu.ca"
GRANULARITY_SECONDS = "YYYY-MM-DDThh:mm:ssZ"
GRANULARITY_DAYS = "YYYY-MM-DD"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
XML_CONTENT_TYPE = "text/xml;charset=UTF-8"
NOT_FOUND_BODY = b"<h1>404 Not Found</h1>"
_BAD_BYTE_MARK = "\ue000"  # replaced by a raw, invalid-UTF-8 0xFF byte after encoding

# ----------------------------------------------------------------------------------------------------
# Data model
# ----------------------------------------------------------------------------------------------------


def _now() -> datetime:
    """Now in UTC, whole seconds (OAI datestamp precision)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class SimAuthor:
    """One contributor as OJS stores it: OAI shows only the name, the article page all of it."""

    given: str
    family: str | None = None  # None for a mononym
    affiliation: str | None = None
    orcid: str | None = None  # bare "0000-0000-0000-000X", checksum-valid
    bio: str | None = None  # plain text; paragraphs separated by a blank line
    names_fr: tuple[str, str | None] | None = None  # (given, family) in fr_CA, when entered

    @property
    def creator_fr(self) -> str | None:
        """The fr_CA ``dc:creator`` (3.4.0-2+), "Family, Given", when the author has fr_CA names."""
        return SimAuthor(*self.names_fr).creator if self.names_fr else None

    @property
    def name(self) -> str:
        """The name as OJS 3.x pages show it: "Given Family", or the single name."""
        return f"{self.given} {self.family}" if self.family else self.given

    @property
    def creator(self) -> str:
        """The name as ``dc:creator`` writes it: "Family, Given", or the single name."""
        return f"{self.family}, {self.given}" if self.family else self.given


def _as_author(value: SimAuthor | tuple[str, str | None]) -> SimAuthor:
    """An author from a ``SimAuthor`` or a ``(given, family)`` pair (the older form)."""
    return value if isinstance(value, SimAuthor) else SimAuthor(*value)


def _utc(moment: datetime) -> datetime:
    """Aware UTC, whole seconds (naive datetimes are taken as UTC)."""
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC).replace(microsecond=0)


@dataclass(eq=False)
class SimArticle:
    """One OJS submission (primary locale en-US) as its OAI record and its pages expose it.

    The full title OJS composes is ``"Prefix Title: Subtitle"`` (:attr:`full_title`); ``abstract``
    is plain text whose paragraphs are separated by a blank line.
    """

    id: int
    journal: str
    title: str
    authors: list[SimAuthor]  # (given, family) pairs are accepted and converted
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    section_abbrev: str = "ART"
    section_title: str = "Articles"
    published: str = "2022-03-15"
    doi: str | None = None
    volume: str = "1"
    number: str = "1"
    year: int = 2022
    issue_title: str | None = None
    pages: str = ""
    galleys: list[tuple[int, str]] = field(default_factory=list)
    license_url: str = CC_BY
    copyright: str = ""
    datestamp: datetime = field(default_factory=_now)
    deleted: bool = False
    title_fr: str | None = None
    raw_amp: bool = False  # abstract stored with raw "&" (OJS then escapes it only once)
    control_chars: bool = False  # emit XML-illegal control chars and an invalid UTF-8 byte
    subtitle: str | None = None
    prefix: str | None = None  # "The", "A", ... (OJS keeps it apart from the title)
    abstract_fr: str | None = None  # fr-CA abstract (one paragraph)
    keywords_fr: list[str] = field(default_factory=list)  # fr-CA keywords
    abstract_style: str = "p"  # page markup of the paragraphs: "p" (one <p> each), "br", "ul"
    file_revision: int = 0  # bump to change the bytes of the galley files
    file_size: int = 0  # pad PDF and EPUB galley files to this many bytes (large-file tests)
    modified: datetime = field(default_factory=_now)  # last change of what its pages show
    references: list[str] = field(default_factory=list)  # raw citations, one per line of citationsRaw
    no_jats: bool = False  # no JATS to show: a jats request listing it fails (``ojs_jats``)
    owner: SimJournal | None = field(default=None, repr=False, compare=False)
    _cache: dict[tuple[object, ...], bytes] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        """Accept ``(given, family)`` pairs for authors."""
        self.authors = [_as_author(a) for a in self.authors]

    @property
    def full_title(self) -> str:
        """The title as OJS composes it (dc:title, citation_title): "Prefix Title: Subtitle"."""
        title = f"{self.prefix} {self.title}" if self.prefix else self.title
        return f"{title}: {self.subtitle}" if self.subtitle else title

    @property
    def paragraphs(self) -> list[str]:
        """The abstract's paragraphs."""
        return [p for p in self.abstract.split("\n\n") if p]

    @property
    def set_spec(self) -> str:
        """The section set spec every record header carries, e.g. ``jsas:ART``."""
        return f"{self.journal}:{self.section_abbrev}"

    @property
    def issue_key(self) -> tuple[str, str, int]:
        """(volume, number, year): what makes the article's issue within its journal."""
        return (str(self.volume), str(self.number), int(self.year))

    @property
    def issue_id(self) -> int | None:
        """The OJS id of the article's issue (assigned by the site)."""
        return self.owner.issue_ids.get(self.issue_key) if self.owner else None

    def oai_identifier(self) -> str:
        """``oai:REPOSITORY_ID:article/ID``."""
        repo = self.owner.repository_id if self.owner else DEFAULT_REPOSITORY_ID
        return f"oai:{repo}:article/{self.id}"

    def url(self) -> str:
        """Landing page URL (needs a started site for the origin)."""
        base = self.owner.base_url if self.owner else ""
        return f"{base}/index.php/{self.journal}/article/view/{self.id}"

    def galley_url(self, galley_id: int) -> str:
        """A galley's view page, ``BASE/article/view/ID/GALLEY``."""
        return f"{self.url()}/{galley_id}"

    def download_url(self, galley_id: int, *, file: bool = False) -> str:
        """``BASE/article/download/ID/GALLEY``, or its ``/FILE`` form."""
        base = self.owner.base_url if self.owner else ""
        url = f"{base}/index.php/{self.journal}/article/download/{self.id}/{galley_id}"
        return f"{url}/{self.file_id(galley_id)}" if file else url

    @staticmethod
    def file_id(galley_id: int) -> int:
        """The submission file id OJS puts in the ``/FILE`` form of a download URL."""
        return 100 + galley_id

    def how_to_cite(self) -> str:
        """The "How to Cite" text the page shows (APA, as OJS's citationStyleLanguage plugin writes it)."""
        return ojs_html.citation_text(self)

    def expected(self) -> dict[str, Any]:
        """What a correct harvester must store for this article from OAI.

        For a deleted article only ``oai_identifier`` and ``deleted`` are observable over OAI.
        """
        owner = self.owner
        return {
            "oai_identifier": self.oai_identifier(),
            "doi": self.doi.lower() if self.doi else None,
            "url": self.url(),
            "title": self.full_title,
            "authors": [_author_dict(a) for a in self.authors],
            "abstract": _oai_abstract(self) or None,
            "keywords": list(self.keywords),
            "section": self.section_title,
            "pages": self.pages or None,
            "language": "en",
            "published": self.published,
            "journal_title": owner.title if owner else None,
            "issn": owner.issn_online if owner else None,
            "volume": str(self.volume),
            "number": str(self.number),
            "year": int(self.year),
            "issue_title": self.issue_title,
            "deleted": self.deleted,
        }

    def expected_article(self) -> Article | None:
        """The ``harvester.model.Article`` the HTML parser must make of the article page (None if deleted)."""
        return None if self.deleted else ojs_html.expected_article(self)

    def expected_html(self) -> dict[str, Any] | None:
        """``record_json`` of :meth:`expected_article`: the parsed article page (None if deleted)."""
        return None if self.deleted else ojs_html.record(self)


@dataclass(eq=False)
class SimIssue:
    """A published issue, derived from the articles that carry its volume/number/year (a snapshot)."""

    id: int
    journal: SimJournal = field(repr=False)
    volume: str
    number: str
    year: int
    title: str | None
    published: str  # ISO date
    articles: tuple[SimArticle, ...] = field(repr=False)  # live articles in table-of-contents order
    modified: datetime = field(repr=False)  # latest change of what its page shows
    cover: bool = False
    description: str | None = None  # plain text

    @property
    def identification(self) -> str:
        """How OJS names the issue: "Vol. 1 No. 2 (2022)", plus ": Title" when it has one."""
        label = f"Vol. {self.volume} No. {self.number} ({self.year})"
        return f"{label}: {self.title}" if self.title else label

    def url(self) -> str:
        """``BASE/issue/view/ID``."""
        return f"{self.journal.url}/issue/view/{self.id}"

    def cover_url(self) -> str | None:
        """The cover image's URL, when the issue has one."""
        name = f"cover_issue_{self.id}_en_US.jpg"
        return (
            f"{self.journal.base_url}/public/journals/{self.journal.context_id}/{name}"
            if self.cover
            else None
        )

    def sections(self) -> list[str]:
        """Section titles in display order."""
        return list(dict.fromkeys(a.section_title for a in self.articles))

    def expected_page(self) -> IssuePage:
        """The ``harvester.model.IssuePage`` the HTML parser must make of the issue page."""
        return ojs_html.expected_issue(self)

    def expected(self) -> dict[str, Any]:
        """:meth:`expected_page` as a JSON-ready dict (tuples as lists)."""
        return ojs_html.as_json(self.expected_page())


@dataclass(eq=False)
class SimJournal:
    """A journal (one OAI endpoint, one set of pages) with its articles, ordered by id."""

    path: str
    title: str
    title_fr: str | None = None
    issn_online: str | None = None
    issn_print: str | None = None
    articles: list[SimArticle] = field(default_factory=list)
    repository_id: str = DEFAULT_REPOSITORY_ID
    base_url: str = ""
    abbrev: str | None = None  # citation_journal_abbrev
    context_id: int = 1  # OJS journal id (cover image paths)
    issue_ids: dict[tuple[str, str, int], int] = field(default_factory=dict)  # issue key -> OJS id
    issue_bumps: dict[tuple[str, str, int], datetime] = field(default_factory=dict, repr=False)
    release: Release = field(default=RELEASES[DEFAULT_RELEASE], repr=False)  # set by the site
    version: int = field(default=0, repr=False)  # bumped on every change
    _issues: tuple[int, list[SimIssue]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        """Link the articles back to their journal."""
        for article in self.articles:
            article.owner = self

    @property
    def admin_email(self) -> str:
        """The contact e-mail Identify advertises."""
        return f"editor@{self.path}.example.org"

    @property
    def url(self) -> str:
        """The journal's base URL, ``ORIGIN/index.php/PATH``."""
        return f"{self.base_url}/index.php/{self.path}"

    @property
    def locale_segment(self) -> str | None:
        """3.5's URL locale segment ("en", the primary) of a journal with two locales, else None."""
        return "en" if self.release.url_locale and self.title_fr else None

    @property
    def page_url(self) -> str:
        """The base of the URLs pages link to: :attr:`url`, plus the locale segment in 3.5."""
        return f"{self.url}/{self.locale_segment}" if self.locale_segment else self.url

    @property
    def oai_url(self) -> str:
        """The journal's OAI base URL (3.5: with the locale segment, as Identify's baseURL says)."""
        return f"{self.page_url}/oai"

    def sections(self) -> dict[str, str]:
        """Section abbreviations to titles, in order of first use."""
        found: dict[str, str] = {}
        for article in self.articles:
            found.setdefault(article.section_abbrev, article.section_title)
        return found

    def find(self, article_id: int) -> SimArticle | None:
        """The article with that id, or None."""
        index = bisect_left(self.articles, article_id, key=lambda a: a.id)
        if index < len(self.articles) and self.articles[index].id == article_id:
            return self.articles[index]
        return None

    def issues(self) -> list[SimIssue]:
        """The journal's issues, newest first (as the archive lists them); rebuilt after changes."""
        if self._issues is None or self._issues[0] != self.version:
            self._issues = (self.version, _derive_issues(self))
        return self._issues[1]

    def issue(self, issue_id: int) -> SimIssue | None:
        """The issue with that OJS id, or None."""
        return next((i for i in self.issues() if i.id == issue_id), None)

    def modified(self) -> datetime:
        """The latest change of anything the journal's pages show."""
        times = [a.modified for a in self.articles] + list(self.issue_bumps.values())
        return max(times, default=datetime(2020, 1, 1, tzinfo=UTC))


def _issue_date(key: tuple[str, str, int]) -> str:
    """An issue's publication date: numbers 1 and 2 appear in March and September, others in December."""
    _, number, year = key
    return f"{year}-{ {'1': '03', '2': '09'}.get(number, '12') }-15"


def _derive_issues(journal: SimJournal) -> list[SimIssue]:
    groups: dict[tuple[str, str, int], list[SimArticle]] = {}
    for art in journal.articles:
        groups.setdefault(art.issue_key, []).append(art)
    order = {abbrev: n for n, abbrev in enumerate(journal.sections())}
    issues = []
    for key, arts in groups.items():
        issue_id = journal.issue_ids.get(key)
        if issue_id is None:
            continue
        live = sorted((a for a in arts if not a.deleted), key=lambda a: (order[a.section_abbrev], a.id))
        title = (live or arts)[0].issue_title
        stamps = [a.modified for a in arts] + (
            [journal.issue_bumps[key]] if key in journal.issue_bumps else []
        )
        issues.append(
            SimIssue(
                id=issue_id, journal=journal, volume=key[0], number=key[1], year=key[2], title=title,
                published=_issue_date(key), articles=tuple(live), modified=max(stamps),
                cover=issue_id % 3 == 2, description=f"Essays on {title}." if title else None,
            )
        )  # fmt: skip
    return sorted(issues, key=lambda i: (i.published, i.id), reverse=True)


def _author_dict(author: SimAuthor) -> dict[str, Any]:
    names = {"name": author.name, "given": author.given, "family": author.family}
    return {**names, "affiliation": None, "orcid": None}


def _oai_abstract(art: SimArticle) -> str:
    """The abstract as the OAI record carries it (paragraphs joined by a space)."""
    return art.abstract.replace("\n\n", " ")


# ----------------------------------------------------------------------------------------------------
# OAI rendering
# ----------------------------------------------------------------------------------------------------

_HEAD = (
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
_FORMATS = {
    "oai_dc": (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    ),
    "marcxml": (
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        "http://www.loc.gov/MARC21/slim",
    ),
}
_SET_DESCRIPTION = (
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


def _hsc(text: str) -> str:
    """PHP ``htmlspecialchars(ENT_QUOTES)``, which is how OJS escapes everything it writes."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def _stored_html(text: str, *, raw_amp: bool) -> str:
    """The abstract as OJS stores it (HTML with entities), minus the ``<p>`` tags OAI strips."""
    if not raw_amp:
        text = text.replace("&", "&amp;")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _stamp(moment: datetime, granularity: str) -> str:
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
    lines = [f'<dc:title xml:lang="{en}">{_hsc(title)}</dc:title>']
    if art.title_fr:
        lines.append(f'<dc:title xml:lang="{fr}">{_hsc(art.title_fr)}</dc:title>')
    lines += _creators(art, release)
    lines += [f'<dc:subject xml:lang="{en}">{_hsc(k)}</dc:subject>' for k in art.keywords]
    lines += [f'<dc:subject xml:lang="{fr}">{_hsc(k)}</dc:subject>' for k in art.keywords_fr]
    if art.abstract:
        description = _hsc(_stored_html(_oai_abstract(art), raw_amp=art.raw_amp))
        description += _BAD_BYTE_MARK if broken else ""
        lines.append(f'<dc:description xml:lang="{en}">{description}</dc:description>')
    if art.abstract_fr:  # every locale's abstract (Dc11SchemaArticleAdapter ``getAbstract(null)``)
        description = _hsc(_stored_html(art.abstract_fr, raw_amp=False))
        lines.append(f'<dc:description xml:lang="{fr}">{description}</dc:description>')
    names = [(en, journal.title)] + ([(fr, journal.title_fr)] if journal.title_fr else [])
    lines += [f'<dc:publisher xml:lang="{lang}">{_hsc(name)}</dc:publisher>' for lang, name in names]
    lines += [
        f"<dc:date>{art.published}</dc:date>",
        "<dc:type>info:eu-repo/semantics/article</dc:type>",
        "<dc:type>info:eu-repo/semantics/publishedVersion</dc:type>",
        f'<dc:type xml:lang="{en}">Peer-reviewed Article</dc:type>',
    ]
    lines += [f"<dc:format>{_hsc(mime)}</dc:format>" for _, mime in art.galleys]
    lines.append(f"<dc:identifier>{_hsc(art.url())}</dc:identifier>")
    if art.doi:
        lines.append(f"<dc:identifier>{_hsc(art.doi)}</dc:identifier>")
    source = _issue_label(art) + (f"; {art.pages}" if art.pages else "")
    lines += [f'<dc:source xml:lang="{lang}">{_hsc(f"{name}; {source}")}</dc:source>' for lang, name in names]
    lines += [f"<dc:source>{issn}</dc:source>" for issn in (journal.issn_online, journal.issn_print) if issn]
    if art.galleys:
        lines.append(f"<dc:language>{release.dc_language}</dc:language>")
    lines += [f"<dc:relation>{_hsc(f'{art.url()}/{gid}')}</dc:relation>" for gid, _ in art.galleys]
    if art.copyright:
        lines.append(f'<dc:rights xml:lang="{en}">{_hsc(art.copyright)}</dc:rights>')
    lines.append(f'<dc:rights xml:lang="{en}">{_hsc(art.license_url)}</dc:rights>')
    return _DC_OPEN + "".join(f"\t{line}\n" for line in lines) + "</oai_dc:dc>\n"


def _creators(art: SimArticle, release: Release) -> list[str]:
    """``dc:creator`` lines: one per author (3.3), or per locale with a name, grouped by locale (3.4.0-2+;
    see ``ojs_releases.Release.creators_per_locale``)."""
    if not release.creators_per_locale:
        return [f"<dc:creator>{_hsc(author.creator)}</dc:creator>" for author in art.authors]
    en, fr = release.oai_lang("en"), release.oai_lang("fr")
    lines = [f'<dc:creator xml:lang="{en}">{_hsc(author.creator)}</dc:creator>' for author in art.authors]
    return lines + [
        f'<dc:creator xml:lang="{fr}">{_hsc(name)}</dc:creator>'
        for author in art.authors
        if (name := author.creator_fr)
    ]


def _marc_field(tag: str, code: str, value: str, ind: str = "  ") -> str:
    return (
        f'\t<datafield tag="{tag}" ind1="{ind[0]}" ind2="{ind[1]}">\n'
        f'\t\t<subfield code="{code}">{_hsc(value)}</subfield>\n\t</datafield>\n'
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
        parts.append(_marc_field("520", "a", _oai_abstract(art)))
    parts.append(_marc_field("856", "u", art.url(), "40"))
    parts.append(_marc_field("786", "n", f"{journal.title}; {_issue_label(art)}", "0 "))
    return "".join(parts) + "</record>\n"


def _header_xml(art: SimArticle, granularity: str, indent: str) -> str:
    status = ' status="deleted"' if art.deleted else ""
    return (
        f"{indent}<header{status}>\n"
        f"{indent}\t<identifier>{art.oai_identifier()}</identifier>\n"
        f"{indent}\t<datestamp>{_stamp(art.datestamp, granularity)}</datestamp>\n"
        f"{indent}\t<setSpec>{_hsc(art.set_spec)}</setSpec>\n"
        f"{indent}</header>\n"
    )


def _record_xml(
    art: SimArticle, journal: SimJournal, prefix: str, granularity: str, *, broken: bool
) -> bytes:
    header = _header_xml(art, granularity, "\t\t\t")
    if art.deleted:
        return f"\t\t<record>\n{header}\t\t</record>\n".encode()
    if prefix == "jats":
        if art.no_jats:  # pkp/oaiJats OAIMetadataFormat_JATS::toXml at 5a2a66c: the whole request
            raise _OaiError("cannotDisseminateFormat", "Cannot disseminate format (JATS XML not available)")
        return jats_record_xml(header, art).encode()
    meta = _dc_xml(art, journal, broken=broken) if prefix == "oai_dc" else _marc_xml(art, journal)
    text = f"\t\t<record>\n{header}\t\t\t<metadata>\n{meta}\t\t\t</metadata>\n\t\t</record>\n"
    return text.encode().replace(_BAD_BYTE_MARK.encode(), b"\xff")


# ----------------------------------------------------------------------------------------------------
# Protocol state
# ----------------------------------------------------------------------------------------------------

_VERBS: dict[str, frozenset[str]] = {
    "Identify": frozenset({"verb"}),
    "ListMetadataFormats": frozenset({"verb", "identifier"}),
    "ListSets": frozenset({"verb", "resumptionToken"}),
    "ListRecords": frozenset({"verb", "metadataPrefix", "from", "until", "set", "resumptionToken"}),
    "ListIdentifiers": frozenset({"verb", "metadataPrefix", "from", "until", "set", "resumptionToken"}),
    "GetRecord": frozenset({"verb", "identifier", "metadataPrefix"}),
}
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class _OaiError(Exception):
    """An OAI-PMH error response (sent with HTTP 200, as OJS does)."""

    def __init__(self, code: str, message: str, *, bare: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.bare = code, message, bare


@dataclass(frozen=True)
class _Query:
    """The selection a list request (and all its token pages) runs against."""

    journal: str
    prefix: str
    start: datetime | None
    end: datetime | None
    set_spec: str | None

    def matches(self, art: SimArticle) -> bool:
        """Whether the article falls in this selection."""
        if self.set_spec is not None and self.set_spec not in (art.journal, art.set_spec):
            return False
        if self.start is not None and art.datestamp < self.start:
            return False
        return self.end is None or art.datestamp <= self.end


@dataclass(frozen=True)
class _TokenState:
    verb: str
    query: _Query
    offset: int
    echo: tuple[tuple[str, str], ...]


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": XML_CONTENT_TYPE})
    cut_at: int | None = None  # send only this many body bytes, then drop the connection ...
    hold: threading.Event | None = None  # ... after waiting for this (a stalled transfer)


def _parse_bound(value: str | None, *, until: bool, granularity: str) -> datetime | None:
    if value is None:
        return None
    if _DAY_RE.fullmatch(value):
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + timedelta(hours=23, minutes=59, seconds=59) if until else day
    if _SECOND_RE.fullmatch(value) and granularity == GRANULARITY_SECONDS:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    raise _OaiError("badArgument", f"Illegal date/time argument: {value}")


def _echo_attrs(pairs: tuple[tuple[str, str], ...]) -> str:
    return "".join(f' {name}="{_hsc(value)}"' for name, value in pairs)


# ----------------------------------------------------------------------------------------------------
# The site
# ----------------------------------------------------------------------------------------------------


class HtmlRequest(NamedTuple):
    """One request to the HTML side (anything but OAI and robots.txt), as ``OjsSite.html_requests`` has it."""

    path: str
    query: dict[str, str]
    status: int
    conditional: bool  # sent If-None-Match or If-Modified-Since
    kind: str  # home, issue-current, archive, issue, article, galley-view, download, login, cover, site, ...
    method: str = "GET"


class OjsSite(LoopbackSite):
    """Several OJS journals on one loopback HTTP server, with mutations and fault injection.

        OAI fault switches (plain attributes, read on each request): ``control_chars``, ``delay`` (HTML
        too), ``from_500``, ``ignore_from``, ``repeat_token``, ``empty_pages``. Counted faults:
        :meth:`fail_next`, :meth:`truncate_next`, :meth:`expire_tokens`.

        HTML fault switches: ``login_instead`` and ``soft_404`` (sets of article ids whose page is a 302
        to the login page / a 200 "not found" theme page), ``page_gone`` (article ids whose page answers 404
    while their table of contents still lists them), ``non_ojs_path`` (a plain non-OJS site under
        that path prefix). Counted: :meth:`truncate_html_next`, :meth:`fail_html_next`.

        Galley file faults: ``disguised`` (galley ids whose download is the login page, sent with the
        galley's type, e.g. application/pdf); counted: :meth:`cut_downloads_next`.
    """

    def __init__(
        self,
        journals: list[SimJournal],
        *,
        page_size: int = 10,
        identifiers_page_size: int = 500,
        granularity: str = GRANULARITY_SECONDS,
        repository_id: str = DEFAULT_REPOSITORY_ID,
        robots_txt: str = "User-agent: *\nDisallow:\n",
        port: int = 0,
        archive_page_size: int = 4,
        archive_past_end: int | None = None,
        themed_archive: bool = False,
        release: str = DEFAULT_RELEASE,
        validators: bool = True,
        non_ojs_path: str | None = None,
    ) -> None:
        """Hold the journals; the server starts with :meth:`start` or ``with``.

        ``release``: the OJS release whose behaviour the site copies (``ojs_releases.RELEASES``).
        ``archive_page_size``: issues per archive page (OJS default 4 here, as recorded).
        ``archive_past_end``: the status of an archive page past the last one, the release's unless
        given: 200 with an empty list (up to 3.3.0-19 and 3.4.0-7) or 404 (3.3.0-20+, 3.4.0-8+, 3.5;
        pkp-lib#10596, see ``harvester.harvest.crawl._archive_page``). ``themed_archive``: archive pages in a
        theme's own markup, without OJS's pagination (``ojs_html.archive_page``).
        ``validators``: send ETag/Last-Modified and answer conditional requests with 304; False is
        real OJS, which sends neither. ``non_ojs_path``: e.g. ``"/blog/"``, a non-OJS site.
        """
        self.journals = {j.path: j for j in journals}
        self.release = RELEASES[release]
        for number, journal in enumerate(journals, 1):
            journal.repository_id = repository_id
            journal.context_id = number
            journal.release = self.release
        self.page_size = page_size
        self.identifiers_page_size = identifiers_page_size
        self.granularity = granularity
        self.repository_id = repository_id
        self.robots_txt = robots_txt
        self.port = port
        self.archive_page_size = archive_page_size
        self.archive_past_end = (
            self.release.archive_past_end if archive_past_end is None else archive_past_end
        )
        self.themed_archive = themed_archive
        self.validators = validators
        self.non_ojs_path = non_ojs_path
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.html_requests: list[HtmlRequest] = []
        self.control_chars = False
        self.delay = 0.0
        self.from_500 = False
        self.ignore_from = False
        self.repeat_token = False
        self.empty_pages = False
        self.login_instead: set[int] = set()
        self.soft_404: set[int] = set()
        self.page_gone: set[int] = set()
        self.disguised: set[int] = set()
        self._cut_downloads: list[threading.Event | None] = []
        self._fail: list[tuple[int, str | None]] = []
        self._fail_html: list[tuple[int, str | None]] = []
        self._truncate = 0
        self._truncate_html = 0
        self._truncate_kind: str | None = None
        self._tokens: dict[str, _TokenState] = {}
        self._select_cache: dict[_Query, tuple[int, list[SimArticle]]] = {}
        self._version = 0
        self._lock = threading.RLock()
        self._server: _Server | None = None
        arts = [a for j in journals for a in j.articles]
        self.created = max((a.modified for a in arts), default=_now())  # static pages' Last-Modified
        self._clock = self.created
        for art in arts:
            self._register_issue(art)

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def generate(
        cls, journals: int = 3, articles_per_journal: int = 25, seed: int = 1, **kwargs: Any
    ) -> OjsSite:
        """A deterministic, varied site; extra keyword arguments go to the constructor.

        Journal paths are ``jsas``, ``mhc``, ``clr``, then ``sim4``, ``sim5``, ...; article, galley and
        issue ids are unique across the site. Each journal of 10+ articles has one deleted record.
        Page-only data (affiliations, ORCIDs, bios, subtitles, a prefix, French abstracts, paragraph
        breaks) comes from a second random stream, so the OAI output of a seed never changes.
        """
        rng = random.Random(seed)
        counters = {"article": 0, "galley": 0}
        built = [_generate_journal(rng, j, articles_per_journal, counters) for j in range(journals)]
        page_rng = random.Random(seed * 7919 + 1)  # its own stream: the OAI data stays as it was
        for journal in built:
            ojs_html.enrich_journal(page_rng, journal)
        return cls(built, **kwargs)

    # -- server lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 (``port``, 0 = any), pre-render every record and serve in a daemon thread."""
        server = self._server = _Server((self.address, self.port), _Handler)
        server.site = self
        for journal in self.journals.values():
            journal.base_url = self.base_url
            for art in journal.articles:
                art._cache.clear()
                self._record_bytes(art, "oai_dc")
        return self._serve()

    def journal_url(self, path: str) -> str:
        """``BASE/index.php/PATH``."""
        return f"{self.base_url}/index.php/{path}"

    def oai_url(self, path: str) -> str:
        """``BASE/index.php/PATH/oai``."""
        return f"{self.journal_url(path)}/oai"

    # -- data access and mutations --------------------------------------------------------------------

    def articles(self, journal: str | None = None) -> list[SimArticle]:
        """A snapshot of one journal's articles (or all of them), ordered by id per journal."""
        with self._lock:
            chosen = [self.journals[journal]] if journal else list(self.journals.values())
            return [a for j in chosen for a in j.articles]

    def article(self, journal: str, article_id: int) -> SimArticle:
        """The article, or KeyError."""
        found = self.journals[journal].find(article_id)
        if found is None:
            raise KeyError(f"{journal}/{article_id}")
        return found

    def issues(self, journal: str) -> list[SimIssue]:
        """A journal's issues, newest first (snapshots)."""
        with self._lock:
            return list(self.journals[journal].issues())

    def issue(self, journal: str, issue_id: int) -> SimIssue:
        """The issue, or KeyError."""
        with self._lock:
            found = self.journals[journal].issue(issue_id)
        if found is None:
            raise KeyError(f"{journal}/issue/{issue_id}")
        return found

    def expected_archive(self, journal: str, page: int = 1) -> ArchivePage:
        """The ``harvester.model.ArchivePage`` the HTML parser must make of archive page ``page``."""
        with self._lock:
            issues = self.journals[journal].issues()
            return ojs_html.expected_archive(self.journals[journal], issues, page, self.archive_page_size)

    def edit(self, journal: str, article_id: int, **changes: Any) -> SimArticle:
        """Change fields of an article; its datestamp becomes now unless ``datestamp`` is given.

        Any change but the datestamp also moves ``modified`` (the pages' Last-Modified) strictly
        forward. ``title=`` alone sets the whole title: prefix and subtitle are cleared unless given.
        """
        allowed = {f.name for f in fields(SimArticle)} - {"id", "journal", "owner", "_cache"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown SimArticle fields: {sorted(unknown)}")
        with self._lock:
            art = self.article(journal, article_id)
            old_key = art.issue_key
            changes.setdefault("datestamp", _now())
            if "title" in changes:
                changes.setdefault("prefix", None)
                changes.setdefault("subtitle", None)
            if "authors" in changes:
                changes["authors"] = [_as_author(a) for a in changes["authors"]]
            if set(changes) - {"datestamp"}:
                changes.setdefault("modified", self._tick())
            for name in ("datestamp", "modified"):
                if name in changes:
                    changes[name] = _utc(changes[name])
            for name, value in changes.items():
                setattr(art, name, value)
            self._touch(art, old_key)
            return art

    def delete(self, journal: str, article_id: int) -> SimArticle:
        """Turn an article into a deleted-record tombstone, datestamped now (its page gives 404)."""
        return self.edit(journal, article_id, deleted=True)

    def unpublish(self, journal: str, article_id: int) -> SimArticle:
        """Unpublish an article as OJS 3.2+ does: its page (and galleys) answer 404 (3_4_0-8
        pages/article/ArticleHandler.php ``initialize``), its issue's table of contents drops it,
        and OAI serves a tombstone (pkp-lib 3_4_0-10 classes/submission/Repository.php
        ``updateStatus``); :meth:`edit` with ``deleted=False`` publishes it again."""
        return self.edit(journal, article_id, deleted=True)

    def remove(self, journal: str, article_id: int) -> SimArticle:
        """Delete a submission outright, as OJS's API does (pkp-lib 3_4_0-8
        api/v1/submissions/PKPSubmissionHandler.php ``delete`` → Repository ``delete``): no
        tombstone, gone from OAI lists, its issue's table of contents and its pages (404).
        Returns it for :meth:`restore`."""
        with self._lock:
            owner = self.journals[journal]
            art = self.article(journal, article_id)
            owner.articles.remove(art)
            owner.issue_bumps[art.issue_key] = self._tick()  # its table of contents changed
            self._touch(art)
            return art

    def restore(self, art: SimArticle) -> SimArticle:
        """Put back an article :meth:`remove` took out (same id, issue and content)."""
        with self._lock:
            owner = self.journals[art.journal]
            owner.articles.insert(bisect_left(owner.articles, art.id, key=lambda a: a.id), art)
            owner.issue_bumps[art.issue_key] = self._tick()
            self._touch(art)
            return art

    def set_datestamp(self, journal: str, article_id: int, when: datetime) -> SimArticle:
        """Set an article's datestamp (naive datetimes are taken as UTC) without other changes."""
        return self.edit(journal, article_id, datestamp=_utc(when))

    def add_article(self, journal: str, **values: Any) -> SimArticle:
        """Publish a new article (next site-wide id) in the journal's latest issue; returns it."""
        with self._lock:
            owner = self.journals[journal]
            new_id = 1 + max((a.id for j in self.journals.values() for a in j.articles), default=0)
            galley = 1 + max((g for a in self.articles() for g, _ in a.galleys), default=0)
            last = owner.articles[-1] if owner.articles else None
            issue = {k: getattr(last, k) for k in ("volume", "number", "year", "issue_title")} if last else {}
            defaults: dict[str, Any] = {
                "title": f"New Research Article {new_id}",
                "authors": [SimAuthor("Ada", "Lovelace")],
                "abstract": "A freshly published article.",
                "galleys": [(galley, "application/pdf")],
                "published": _now().date().isoformat(),
                "copyright": f"Copyright (c) {issue.get('year', 2024)} {owner.title}",
                "modified": self._tick(),
                **issue,
            }
            art = SimArticle(id=new_id, journal=journal, **{**defaults, **values})
            art.owner = owner
            owner.articles.append(art)
            self._touch(art)
            return art

    def _tick(self) -> datetime:
        """A modification time later than every earlier one (Last-Modified has whole seconds)."""
        self._clock = max(_now(), self._clock + timedelta(seconds=1))
        return self._clock

    def _register_issue(self, art: SimArticle) -> None:
        """Give the article's issue a site-wide OJS id the first time it is seen."""
        if art.owner is not None and art.issue_key not in art.owner.issue_ids:
            taken = [i for j in self.journals.values() for i in j.issue_ids.values()]
            art.owner.issue_ids[art.issue_key] = 1 + max(taken, default=0)

    def _touch(self, art: SimArticle, old_key: tuple[str, str, int] | None = None) -> None:
        art._cache.clear()
        self._version += 1
        self._register_issue(art)
        if art.owner is not None:
            art.owner.version += 1
            if old_key is not None and old_key != art.issue_key:  # the old issue's page lost it
                art.owner.issue_bumps[old_key] = art.modified

    # -- fault injection ------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 503, retry_after: str | None = "1") -> None:
        """The next ``n`` OAI requests answer ``status`` with a small HTML body (and Retry-After)."""
        with self._lock:
            self._fail.extend([(status, retry_after)] * n)

    def truncate_next(self, n: int = 1) -> None:
        """The next ``n`` ListRecords responses are cut in the middle (still 200 OK)."""
        with self._lock:
            self._truncate += n

    def expire_tokens(self) -> None:
        """Every resumption token issued so far answers badResumptionToken."""
        with self._lock:
            self._tokens.clear()

    def truncate_html_next(self, n: int = 1, kind: str | None = None) -> None:
        """The next ``n`` HTML pages (not downloads; only of ``kind``, e.g. "article", when given)
        that would be sent whole are cut in the middle.

        The ETag sent is the whole page's, as when a proxy cuts the connection: a client must not
        keep the validators of a page it could not parse.
        """
        with self._lock:
            self._truncate_html += n
            self._truncate_kind = kind

    def fail_html_next(self, n: int = 1, status: int = 503, retry_after: str | None = "1") -> None:
        """The next ``n`` requests to the HTML side answer ``status`` (and Retry-After)."""
        with self._lock:
            self._fail_html.extend([(status, retry_after)] * n)

    def cut_downloads_next(self, n: int = 1, hold: threading.Event | None = None) -> None:
        """The next ``n`` whole galley downloads stop half-way (after a full Content-Length) and the
        connection drops; with ``hold``, the half-sent transfer stalls until ``hold`` is set."""
        with self._lock:
            self._cut_downloads.extend([hold] * n)

    # -- request handling -----------------------------------------------------------------------------

    def handle(
        self, path: str, query: str, headers: Mapping[str, str] | None = None, method: str = "GET"
    ) -> _Response:
        """Answer one request (called by the HTTP handler thread); ``headers`` are the request's."""
        pairs = parse_qsl(query, keep_blank_values=True)
        args = dict(pairs)
        path, moved = self._unlocalized(path, query)
        match = re.fullmatch(r"/index\.php/([^/]+)/oai/?", path)
        kind = None
        sent = {name.lower(): value for name, value in (headers or {}).items()}
        if moved is not None:
            response, kind = moved, "locale"
        elif path == "/robots.txt":
            response = _Response(200, self.robots_txt.encode(), {"Content-Type": "text/plain; charset=UTF-8"})
        elif match and match.group(1) in self.journals:
            response = self._serve_oai(self.journals[match.group(1)], pairs)
        else:
            response, kind = self._serve_html(path, args, sent)
        with self._lock:
            self.requests.append((path, args, response.status))
            if kind is not None:
                conditional = "if-none-match" in sent or "if-modified-since" in sent
                self.html_requests.append(HtmlRequest(path, args, response.status, conditional, kind, method))
        return response

    def _unlocalized(self, path: str, query: str) -> tuple[str, _Response | None]:
        """3.5's locale segment: ``/index.php/J/en/REST`` is served as ``/index.php/J/REST``; a locale-less
        URL of a journal with a segment answers 302 to the same URL with it (observed, OJS 3.5.0-1: O2)."""
        match = re.fullmatch(r"/index\.php/([^/]+)(/.*)?", path)
        journal = self.journals.get(match.group(1)) if match else None
        segment = journal.locale_segment if journal else None
        if match is None or journal is None or segment is None:
            return path, None
        rest = match.group(2) or ""
        if rest == f"/{segment}" or rest.startswith(f"/{segment}/"):
            return f"/index.php/{journal.path}{rest[len(segment) + 1 :]}", None
        location = f"{journal.page_url}{rest}" + (f"?{query}" if query else "")
        headers = {"Location": location, "Content-Type": ojs_html.PLAIN_TYPE}
        return path, _Response(302, b"", headers | {"Set-Cookie": f"currentLocale={segment}; path=/"})

    def _serve_html(self, path: str, args: dict[str, str], sent: dict[str, str]) -> tuple[_Response, str]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            page = ojs_html.route(self, path, args)
            if self._fail_html:
                status, retry_after = self._fail_html.pop(0)
                return _fault_response(status, retry_after), page.kind
            response = _Response(page.status, page.body, {"Content-Type": page.content_type, **page.headers})
            if page.status == 200 and page.modified is not None:
                response = self._validated(response, page.modified, sent, download=page.download)
            if response.status == 200 and page.kind == "download" and self._cut_downloads:
                response.cut_at, response.hold = len(response.body) // 2, self._cut_downloads.pop(0)
            is_page = page.content_type.startswith("text/html") and not page.download
            wanted = self._truncate_kind in (None, page.kind)
            if response.status == 200 and is_page and self._truncate_html and wanted:
                self._truncate_html -= 1
                response.body = _truncate(response.body)
        return response, page.kind

    def _validated(
        self, response: _Response, modified: datetime, sent: dict[str, str], *, download: bool
    ) -> _Response:
        """Add validators (or OJS's bare Cache-Control) and answer a matching conditional request."""
        if not self.validators:  # real OJS: no ETag, no Last-Modified (recorded quirk 11)
            response.headers["Cache-Control"] = "private" if download else "no-store"
            return response
        validators = {
            "ETag": f'"{hashlib.sha256(response.body).hexdigest()[:40]}"',
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "private" if download else "no-cache",
        }
        if _not_modified(sent, validators["ETag"], modified):
            return _Response(304, b"", validators)
        response.headers.update(validators)
        return response

    def _serve_oai(self, journal: SimJournal, pairs: list[tuple[str, str]]) -> _Response:
        if self.delay:
            time.sleep(self.delay)
        args = dict(pairs)
        with self._lock:
            fault = self._http_fault(args)
            if fault is not None:
                return fault
            try:
                body = self._dispatch(journal, pairs)
            except _OaiError as err:
                return _Response(200, self._error_body(journal, pairs, err))
            if args.get("verb") == "ListRecords" and self._truncate:
                self._truncate -= 1
                body = _truncate(body)
        return _Response(200, body)

    def _http_fault(self, args: dict[str, str]) -> _Response | None:
        if self._fail:
            return _fault_response(*self._fail.pop(0))
        if self.from_500 and "from" in args and args.get("verb") in ("ListRecords", "ListIdentifiers"):
            return _Response(500, b"", {"Content-Type": "text/html; charset=UTF-8"})
        return None

    def _dispatch(self, journal: SimJournal, pairs: list[tuple[str, str]]) -> bytes:
        args = dict(pairs)
        verb = args.get("verb", "")
        if verb not in _VERBS:
            raise _OaiError("badVerb", "Illegal OAI verb", bare=True)
        if len(args) != len(pairs) or set(args) - _VERBS[verb]:
            raise _OaiError("badArgument", "Illegal argument", bare=True)
        if verb in ("ListRecords", "ListIdentifiers"):
            return self._list(journal, verb, args)
        handlers = {
            "Identify": self._identify,
            "ListMetadataFormats": self._list_formats,
            "ListSets": self._list_sets,
            "GetRecord": self._get_record,
        }
        return handlers[verb](journal, args)

    def _head(self, journal: SimJournal, attrs: tuple[tuple[str, str], ...]) -> str:
        now = _stamp(_now(), GRANULARITY_SECONDS)
        return _HEAD.format(base=self.base_url, now=now, attrs=_echo_attrs(attrs), url=journal.oai_url)

    def _error_body(self, journal: SimJournal, pairs: list[tuple[str, str]], err: _OaiError) -> bytes:
        verb = [(k, v) for k, v in pairs if k == "verb"]
        attrs = () if err.bare else tuple(verb + [(k, v) for k, v in pairs if k != "verb"])
        error = f'\t<error code="{err.code}">{_hsc(err.message)}</error></OAI-PMH>\n'
        return (self._head(journal, attrs) + error).encode()

    def _wrap(self, journal: SimJournal, args: dict[str, str], element: str, inner: str | bytes) -> bytes:
        attrs = (("verb", args["verb"]), *((k, v) for k, v in args.items() if k != "verb"))
        inner = inner.encode() if isinstance(inner, str) else inner
        head = f"{self._head(journal, attrs)}\t<{element}>\n".encode()
        return head + inner + f"\t</{element}>\n</OAI-PMH>\n".encode()

    def _identify(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        earliest = min((a.datestamp for a in journal.articles), default=_now())
        repo = self.repository_id
        inner = (
            f"\t\t<repositoryName>{_hsc(journal.title)}</repositoryName>\n"
            f"\t\t<baseURL>{journal.oai_url}</baseURL>\n"
            "\t\t<protocolVersion>2.0</protocolVersion>\n"
            f"\t\t<adminEmail>{journal.admin_email}</adminEmail>\n"
            f"\t\t<earliestDatestamp>{_stamp(earliest, self.granularity)}</earliestDatestamp>\n"
            "\t\t<deletedRecord>persistent</deletedRecord>\n"
            f"\t\t<granularity>{self.granularity}</granularity>\n"
            "\t\t<compression>gzip</compression>\n\t\t<compression>deflate</compression>\n"
            "\t\t<description>\n\t\t\t<oai-identifier\n"
            '\t\t\t\txmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"\n'
            '\t\t\t\txmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
            '\t\t\t\txsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier\n'
            '\t\t\t\t\thttp://www.openarchives.org/OAI/2.0/oai-identifier.xsd">\n'
            "\t\t\t\t<scheme>oai</scheme>\n"
            f"\t\t\t\t<repositoryIdentifier>{repo}</repositoryIdentifier>\n"
            "\t\t\t\t<delimiter>:</delimiter>\n"
            f"\t\t\t\t<sampleIdentifier>oai:{repo}:article/1</sampleIdentifier>\n"
            "\t\t\t</oai-identifier>\n\t\t</description>\n"
            "\t\t<description>\n\t\t\t<toolkit\n"
            '\t\t\t\txmlns="http://oai.dlib.vt.edu/OAI/metadata/toolkit"\n'
            '\t\t\t\txsi:schemaLocation="http://oai.dlib.vt.edu/OAI/metadata/toolkit\n'
            '\t\t\t\t\thttp://oai.dlib.vt.edu/OAI/metadata/toolkit.xsd">\n'
            "\t\t\t\t<title>Open Journal Systems</title>\n"
            "\t\t\t\t<author>\n\t\t\t\t\t<name>Public Knowledge Project</name>\n"
            "\t\t\t\t\t<email>pkp.contact@gmail.com</email>\n\t\t\t\t</author>\n"
            f"\t\t\t\t<version>{self.release.version}</version>\n"
            f"\t\t\t\t<URL>{self.release.toolkit_url}</URL>\n"
            "\t\t\t</toolkit>\n\t\t</description>\n"
        )
        return self._wrap(journal, args, "Identify", inner)

    def _list_formats(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "identifier" in args:
            self._lookup(journal, args["identifier"])
        inner = "".join(
            f"\t\t<metadataFormat>\n\t\t\t<metadataPrefix>{prefix}</metadataPrefix>\n"
            f"\t\t\t<schema>{schema}</schema>\n"
            f"\t\t\t<metadataNamespace>{namespace}</metadataNamespace>\n\t\t</metadataFormat>\n"
            for prefix, (schema, namespace) in formats_of(self.release, _FORMATS).items()
        )
        return self._wrap(journal, args, "ListMetadataFormats", inner)

    def _list_sets(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "resumptionToken" in args:
            raise _OaiError("badResumptionToken", "The requested resumptionToken is invalid or has expired")
        sets = [(journal.path, journal.title)]
        sets += [(f"{journal.path}:{abbrev}", title) for abbrev, title in journal.sections().items()]
        inner = "".join(
            f"\t\t<set>\n\t\t\t<setSpec>{_hsc(spec)}</setSpec>\n"
            f"\t\t\t<setName>{_hsc(name)}</setName>\n{_SET_DESCRIPTION}\t\t</set>\n"
            for spec, name in sets
        )
        return self._wrap(journal, args, "ListSets", inner)

    def _lookup(self, journal: SimJournal, identifier: str) -> SimArticle:
        match = re.fullmatch(rf"oai:{re.escape(self.repository_id)}:article/(\d+)", identifier)
        art = journal.find(int(match.group(1))) if match else None
        if art is None:
            raise _OaiError("idDoesNotExist", "No matching identifier in this repository")
        return art

    def _check_prefix(self, args: dict[str, str]) -> str:
        prefix = args.get("metadataPrefix")
        if prefix is None:
            raise _OaiError("badArgument", "Missing metadataPrefix parameter", bare=True)
        if prefix not in formats_of(self.release, _FORMATS):
            raise _OaiError(
                "cannotDisseminateFormat", "The requested metadataPrefix is not supported by this repository"
            )
        return prefix

    def _get_record(self, journal: SimJournal, args: dict[str, str]) -> bytes:
        if "identifier" not in args:
            raise _OaiError("badArgument", "Missing identifier parameter", bare=True)
        prefix = self._check_prefix(args)
        art = self._lookup(journal, args["identifier"])
        return self._wrap(journal, args, "GetRecord", self._record_bytes(art, prefix))

    def _record_bytes(self, art: SimArticle, prefix: str) -> bytes:
        broken = (self.control_chars or art.control_chars) and not art.deleted
        key = (prefix, self.granularity, broken)
        cached = art._cache.get(key)
        if cached is None:
            assert art.owner is not None
            cached = art._cache[key] = _record_xml(art, art.owner, prefix, self.granularity, broken=broken)
        return cached

    def _header_bytes(self, art: SimArticle) -> bytes:
        key = ("header", self.granularity)
        cached = art._cache.get(key)
        if cached is None:
            cached = art._cache[key] = _header_xml(art, self.granularity, "\t\t").encode()
        return cached

    def _new_query(self, journal: SimJournal, args: dict[str, str]) -> _Query:
        prefix = self._check_prefix(args)
        start = _parse_bound(args.get("from"), until=False, granularity=self.granularity)
        end = _parse_bound(args.get("until"), until=True, granularity=self.granularity)
        if "from" in args and "until" in args and len(args["from"]) != len(args["until"]):
            raise _OaiError("badArgument", "from and until have different granularities", bare=True)
        if self.ignore_from:
            start = end = None
        return _Query(journal.path, prefix, start, end, args.get("set"))

    def _select(self, journal: SimJournal, query: _Query) -> list[SimArticle]:
        if query.start is None and query.end is None and query.set_spec is None:
            return journal.articles
        hit = self._select_cache.get(query)
        if hit is None or hit[0] != self._version:
            if len(self._select_cache) > 64:
                self._select_cache.clear()
            hit = self._select_cache[query] = (
                self._version,
                [a for a in journal.articles if query.matches(a)],
            )
        return hit[1]

    def _resume(self, verb: str, args: dict[str, str]) -> _TokenState:
        token = args["resumptionToken"]
        state = self._tokens.get(token)
        if len(args) > 2 or state is None or state.verb != verb:
            raise _OaiError("badResumptionToken", "The requested resumptionToken is invalid or has expired")
        return state

    def _issue(self, state: _TokenState) -> str:
        token = secrets.token_hex(16)
        self._tokens[token] = state
        return token

    def _list(self, journal: SimJournal, verb: str, args: dict[str, str]) -> bytes:
        resumed = "resumptionToken" in args
        if resumed:
            state = self._resume(verb, args)
        else:
            echo = tuple((k, v) for k, v in args.items() if k != "verb")
            state = _TokenState(verb, self._new_query(journal, args), 0, echo)
        items = self._select(journal, state.query)
        size = self.page_size if verb == "ListRecords" else self.identifiers_page_size
        offset = state.offset
        if offset >= len(items):
            raise _OaiError("noRecordsMatch", "No matching records in this repository")
        page = items[offset : offset + size]
        token = None
        if offset + size < len(items):
            token = self._issue(_TokenState(verb, state.query, offset + size, state.echo))
        if resumed and self.empty_pages:
            page, token = [], self._issue(state)
        if resumed and self.repeat_token:
            token = args["resumptionToken"]
        if verb == "ListRecords":
            parts = [self._record_bytes(a, state.query.prefix) for a in page]
        else:
            parts = [self._header_bytes(a) for a in page]
        parts.append(_token_xml(token, len(items), offset, paged=resumed or token is not None))
        return self._wrap(journal, {"verb": verb, **dict(state.echo)}, verb, b"".join(parts))


def _fault_response(status: int, retry_after: str | None) -> _Response:
    headers = {"Content-Type": "text/html; charset=UTF-8"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = f"<html><body><h1>{status} Service Unavailable</h1></body></html>\n".encode()
    return _Response(status, body, headers)


def _not_modified(sent: dict[str, str], etag: str, modified: datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match (weak comparison) decides; else If-Modified-Since."""
    if "if-none-match" in sent:
        tags = [tag.strip() for tag in sent["if-none-match"].split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
    try:
        since = parsedate_to_datetime(sent["if-modified-since"])
    except (KeyError, TypeError, ValueError):
        return False
    return modified <= since.replace(tzinfo=since.tzinfo or UTC)


def _token_xml(token: str | None, size: int, cursor: int, *, paged: bool) -> bytes:
    if not paged:
        return b""
    if token is None:
        return f'\t\t<resumptionToken completeListSize="{size}" cursor="{cursor}" />\n'.encode()
    expires = _stamp(_now() + timedelta(days=1), GRANULARITY_SECONDS)
    return (
        f'\t\t<resumptionToken expirationDate="{expires}"\n'
        f'\t\t\tcompleteListSize="{size}"\n\t\t\tcursor="{cursor}">{token}</resumptionToken>\n'
    ).encode()


def _truncate(body: bytes) -> bytes:
    cut = len(body) // 2
    while cut > 0 and (body[cut] & 0xC0) == 0x80:  # don't split a UTF-8 sequence
        cut -= 1
    return body[:cut]


# ----------------------------------------------------------------------------------------------------
# HTTP plumbing
# ----------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: OjsSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up (a killed harvester); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET."""
        parts = urlsplit(self.path)
        self._reply(parts.path, parts.query)

    def do_HEAD(self) -> None:
        """Serve a HEAD: the GET's status and headers, no body."""
        parts = urlsplit(self.path)
        self._reply(parts.path, parts.query, method="HEAD")

    def do_POST(self) -> None:
        """Serve an OAI POST (form-encoded arguments in the body)."""
        length = int(self.headers.get("Content-Length") or 0)
        self._reply(urlsplit(self.path).path, self.rfile.read(length).decode("latin-1"), method="POST")

    def _reply(self, path: str, query: str, method: str = "GET") -> None:
        headers = {name: str(value) for name, value in self.headers.items()}
        response = self.server.site.handle(path, query, headers, method)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD" and response.cut_at is not None:
            self.wfile.write(response.body[: response.cut_at])
            self.wfile.flush()
            if response.hold is not None:
                response.hold.wait(60)
            self.close_connection = True
        elif method != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; ``OjsSite.requests`` is the log."""


# ----------------------------------------------------------------------------------------------------
# Data generation
# ----------------------------------------------------------------------------------------------------

_JOURNALS = [
    ("jsas", "Journal of South Asian Studies", "Revue d'études sud-asiatiques"),
    ("mhc", "Mountain Hydrology & Climate", "Hydrologie et climat de montagne"),
    ("clr", "Comparative Literature Review", None),
]
_SPECIAL_AUTHORS: list[tuple[str, str | None]] = [
    ("Klaus", "Müller"),
    ("Zoë", "O'Brien"),
    ("Łukasz", "Wróbel"),
    ("عائشہ", "صدیقی"),
    ("Nazeer", None),
]
_AUTHORS: list[tuple[str, str | None]] = [
    *_SPECIAL_AUTHORS,
    ("Ayesha", "Siddiqui"),
    ("Ahmad", "Ḥasan"),
    ("Priya", "Raghunathan"),
    ("José", "García-López"),
    ("Sébastien", "Côté"),
    ("अनन्या", "शर्मा"),
    ("Fatima", "Zahra"),
    ("Hamid", "Al-Rashid"),
    ("Farhana", "Begum"),
    ("Ingrid", "Søndergaard"),
    ("Mei", "Chen"),
    ("Olumide", "Adeyemi"),
    ("Sanjay", "Verma"),
]
_TOPICS = [
    "Water Governance", "Print Culture", "Border Economies", "Agrarian Credit", "Glacial Retreat",
    "Citizenship Regimes", "Oral History", "Urban Planning", "Textile Labour", "Language Policy",
    "Snowmelt Forecasting", "Translation", "Refugee Rehabilitation", "Monsoon Variability",
]  # fmt: skip
_PLACES = [
    "Punjab",
    "Lahore",
    "Bengal",
    "Kathmandu",
    "the Karakoram",
    "Kraków",
    "Québec",
    "Assam",
    "Sri Lanka",
]
_TITLES = [
    "{topic} in {place}: A Reappraisal",
    "Rethinking {topic}: Evidence from {place}",
    "{topic} & {topic2} in {place}, {y1}–{y2}",
    "The Politics of {topic} in {place}",
    "“Nothing Was Written Down”: {topic} and Everyday Life in {place}",
    "{place}'s {topic}: A Longitudinal Study",
]
_SENTENCES = [
    "This article reconstructs the history of {t} in {place}.",
    "Between {y1} & {y2} the {t} of {place} changed markedly.",
    "We find an effect (p < 0.05) in {n} of {m} districts.",
    "Drawing on {n} interviews, we revisit the \"official\" figures and the so-called 'crisis' of {t}.",
    "Officials spoke of “progress” while residents described loss.",
    "The argument proceeds in three steps -> sources, methods, findings.",
    "Results hold for R&D-intensive sectors and for small firms alike.",
    "It suggests that {t} and {t2} were co-produced, not merely correlated.",
    "Data & code are available from the authors.",
    "We compare {place} with {place2} using archival and survey evidence.",
]
_KEYWORDS = [
    "oral history", "Partition", "water", "borders", "migration", "gender", "archives", "labour",
    "climate change", "citizenship", "print culture", "Urdu", "glaciers", "R&D policy", "‘subaltern’ studies",
]  # fmt: skip
_BOOKS = ["Creating a Nation", "Rivers of Memory", "The Long Partition", "Ice & Empire", "Paper Sovereignty"]
_ISSUE_TITLES = [
    "Partition and Memory",
    "Water, Borders & Belonging",
    "Special Issue: Languages of the Subcontinent",
]


def _issn(serial: int) -> str:
    digits = f"{serial % 10_000_000:07d}"
    check = (11 - sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True)) % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _generate_journal(rng: random.Random, index: int, count: int, counters: dict[str, int]) -> SimJournal:
    path, title, title_fr = (
        _JOURNALS[index]
        if index < len(_JOURNALS)
        else (f"sim{index + 1}", f"Simulated Studies {index + 1}", None)
    )
    online, printed = (
        ("2410-1303", "1028-818X")
        if index == 0
        else (_issn(2_410_000 + 37 * index), _issn(1_028_000 + index))
    )
    journal = SimJournal(path, title, title_fr, online, printed)
    n_issues = max(2, min(12, math.ceil(count / 10)))
    base = datetime(2024, 1, 15, 8, 0, tzinfo=UTC) + timedelta(hours=index)
    step = max(1, 90 * 86400 // max(count, 1))
    pages_at = [0] * n_issues
    for i in range(count):
        counters["article"] += 1
        art = _generate_article(rng, journal, i, counters, issue=i * n_issues // count, pages_at=pages_at)
        art.datestamp = base + timedelta(seconds=i * step + rng.randint(0, min(step - 1, 59)))
        if rng.random() < 0.1:
            art.datestamp += timedelta(days=30)
        art.owner = journal
        journal.articles.append(art)
    if count >= 10:
        tombstone = journal.articles[count * 2 // 3]
        tombstone.deleted, tombstone.datestamp = True, tombstone.datestamp + timedelta(days=1)
    for art in journal.articles:
        art.modified = art.datestamp
    return journal


def _generate_article(
    rng: random.Random,
    journal: SimJournal,
    i: int,
    counters: dict[str, int],
    *,
    issue: int,
    pages_at: list[int],
) -> SimArticle:
    art_id = counters["article"]
    volume, number = issue // 2 + 1, issue % 2 + 1
    year = 2016 + len(journal.path) % 3 + issue // 2
    review = i == 4 or (i > 4 and rng.random() < 0.2)
    authors = rng.sample(_AUTHORS, 1 if review else rng.randint(1, 4))
    if i < len(_SPECIAL_AUTHORS):  # every journal gets the tricky names, first authors of its first articles
        special = _SPECIAL_AUTHORS[i]
        authors = [special, *(a for a in authors if a != special)][: len(authors)]
    month = "03" if number == 1 else "09"
    published = f"{year - 1}-12-20" if rng.random() < 0.08 else f"{year}-{month}-15"
    fill = _fill(rng, year)
    art = SimArticle(
        id=art_id,
        journal=journal.path,
        title=f"Review: {rng.choice(_BOOKS)}" if review else rng.choice(_TITLES).format(**fill),
        authors=[SimAuthor(*a) for a in authors],
        section_abbrev="BR" if review else "ART",
        section_title="Book Reviews" if review else "Articles",
        volume=str(volume),
        number=str(number),
        year=year,
        issue_title=None if issue % 3 else _ISSUE_TITLES[(issue // 3 + len(journal.path)) % 3],
        published=published,
        copyright=f"Copyright (c) {year} {journal.title}",
        license_url=CC_BY_NC_ND if rng.random() < 0.2 else CC_BY,
    )
    if not review:
        _fill_research(rng, art, i, fill)
    art.doi = _doi(rng, journal.path, art) if i == 0 or (i != 1 and rng.random() < 0.45) else None
    art.pages = _pages(rng, i, pages_at, issue, 3 if review else rng.randint(8, 30))
    art.galleys = _galleys(rng, i, counters)
    return art


def _fill(rng: random.Random, year: int) -> dict[str, Any]:
    topic, topic2 = rng.sample(_TOPICS, 2)
    place, place2 = rng.sample(_PLACES, 2)
    return {
        "topic": topic, "topic2": topic2, "t": topic.lower(), "t2": topic2.lower(), "place": place,
        "place2": place2, "y1": year - 60, "y2": year - 40,
        "n": rng.randint(12, 140), "m": rng.randint(150, 400),
    }  # fmt: skip


def _fill_research(rng: random.Random, art: SimArticle, i: int, fill: dict[str, Any]) -> None:
    if i == 0:
        sentences = [_SENTENCES[1], _SENTENCES[2], _SENTENCES[3]]
    else:
        sentences = rng.sample(_SENTENCES, len(_SENTENCES) if rng.random() < 0.05 else rng.randint(1, 4))
    art.abstract = " ".join(s.format(**fill) for s in sentences)
    art.raw_amp = "&" in art.abstract and i != 0 and rng.random() < 0.3
    art.keywords = rng.sample(_KEYWORDS, rng.randint(2, 5))
    if rng.random() < 0.15:
        art.title_fr = f"Étude : {fill['t']} à {fill['place']}"


def _doi(rng: random.Random, path: str, art: SimArticle) -> str:
    if rng.random() < 0.2:
        return f"10.5555/{path.upper()}-{art.year}({art.number}){art.id:02d}"
    return f"10.5555/{path}.v{art.volume}i{art.number}.{art.id}"


def _pages(rng: random.Random, i: int, pages_at: list[int], issue: int, length: int) -> str:
    start = pages_at[issue] + 1
    pages_at[issue] += length
    roll = rng.random()
    if i == 3 or roll < 0.06:
        return ""
    if roll < 0.1:
        return f"e{100 + start}"
    if roll < 0.13:
        return f"P{start:02d}-{start + length - 1}"
    return f"{start}-{start + length - 1}"


def _galleys(rng: random.Random, i: int, counters: dict[str, int]) -> list[tuple[int, str]]:
    roll = rng.random()
    if i == 6 or (i > 6 and roll < 0.05):
        mimes: list[str] = []
    elif i == 2 or roll < 0.15:
        mimes = ["application/pdf", "text/html"]
    elif roll < 0.18:
        mimes = ["application/pdf", "application/pdf", "application/epub+zip"]
    else:
        mimes = ["application/pdf"]
    result = []
    for mime in mimes:
        counters["galley"] += 1
        result.append((counters["galley"], mime))
    return result


# ----------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Serve a generated site in the foreground until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--journals", type=int, default=1)
    parser.add_argument("--articles", type=int, default=25, help="articles per journal")
    parser.add_argument("--page-size", type=int, default=10)
    parser.add_argument("--archive-page-size", type=int, default=4)
    parser.add_argument("--no-validators", action="store_true", help="no ETag/Last-Modified, as real OJS")
    parser.add_argument("--non-ojs-path", default=None, help='also serve a plain non-OJS site, e.g. "/blog/"')
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--file-size", type=int, default=0, help="pad PDF and EPUB galley files to this many bytes"
    )
    parser.add_argument(
        "--granularity", choices=[GRANULARITY_SECONDS, GRANULARITY_DAYS], default=GRANULARITY_SECONDS
    )
    opts = parser.parse_args(argv)
    site = OjsSite.generate(
        journals=opts.journals,
        articles_per_journal=opts.articles,
        seed=opts.seed,
        page_size=opts.page_size,
        port=opts.port,
        granularity=opts.granularity,
        archive_page_size=opts.archive_page_size,
        validators=not opts.no_validators,
        non_ojs_path=opts.non_ojs_path,
    )
    for art in site.articles():
        art.file_size = opts.file_size
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with site:
        print(f"READY {site.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
