"""The test OJS site's data: journals, their articles and authors, and the issues derived from them.

Plain dataclasses with the URLs and names OJS derives from them; what the OAI records and the pages make
of them lives in ``oai`` and ``pages``, the ground truth a harvester must store in ``expected``.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.site import expected as expect
from tests.site.cite import citation_text
from tests.site.ojs_releases import DEFAULT_RELEASE, RELEASES, Release

if TYPE_CHECKING:
    from harvester.model import Article, IssuePage

__all__ = [
    "CC_BY",
    "CC_BY_NC_ND",
    "DEFAULT_REPOSITORY_ID",
    "SimArticle",
    "SimAuthor",
    "SimIssue",
    "SimJournal",
    "as_author",
    "as_utc",
    "now",
    "oai_abstract",
]

DEFAULT_REPOSITORY_ID = "ojs.pkp.sfu.ca"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"


def now() -> datetime:
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


def as_author(value: SimAuthor | tuple[str, str | None]) -> SimAuthor:
    """An author from a ``SimAuthor`` or a ``(given, family)`` pair (the older form)."""
    return value if isinstance(value, SimAuthor) else SimAuthor(*value)


def as_utc(moment: datetime) -> datetime:
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
    datestamp: datetime = field(default_factory=now)
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
    modified: datetime = field(default_factory=now)  # last change of what its pages show
    references: list[str] = field(default_factory=list)  # raw citations, one per line of citationsRaw
    no_jats: bool = False  # no JATS to show: a jats request listing it fails (``ojs_jats``)
    owner: SimJournal | None = field(default=None, repr=False, compare=False)
    _cache: dict[tuple[object, ...], bytes] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        """Accept ``(given, family)`` pairs for authors."""
        self.authors = [as_author(a) for a in self.authors]

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
        return citation_text(self)

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
            "abstract": oai_abstract(self) or None,
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
        return None if self.deleted else expect.expected_article(self)

    def expected_html(self) -> dict[str, Any] | None:
        """``record_json`` of :meth:`expected_article`: the parsed article page (None if deleted)."""
        return None if self.deleted else expect.record(self)


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
        return expect.expected_issue(self)

    def expected(self) -> dict[str, Any]:
        """:meth:`expected_page` as a JSON-ready dict (tuples as lists)."""
        return expect.as_json(self.expected_page())


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


def oai_abstract(art: SimArticle) -> str:
    """The abstract as the OAI record carries it (paragraphs joined by a space)."""
    return art.abstract.replace("\n\n", " ")
