"""Ground truth of the test site's pages: the ``harvester.model`` objects the HTML parser must make of them
(the field conventions of ``harvester.parse.html``)."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from harvester.model import ArchivePage, Article, Author, Galley, IssuePage, IssueRef, TocEntry, record_json
from tests.site.cite import citation_text
from tests.site.galleys import LABELS

if TYPE_CHECKING:
    from tests.site.model import SimArticle, SimAuthor, SimIssue, SimJournal

__all__ = ["as_json", "expected_archive", "expected_article", "expected_issue", "record"]


def _linked(journal: SimJournal, url: str) -> str:
    """A URL as the theme links it: with 3.5's locale segment (the meta tags' URLs have none)."""
    return url.replace(f"{journal.url}/", f"{journal.page_url}/", 1)


def _expected_author(author: SimAuthor, key: str) -> Author:
    # 3.x pages show only the full name: the parser splits on the last space (conventions).
    # citation_author and its institution are in the UI locale (3.3) or the submission's (3.4.0-2+),
    # both the journal's primary here: keyed by <html lang> (``key``).
    given, _, family = author.name.rpartition(" ")
    return Author(
        name=author.name,
        given=given or author.name,
        family=family if given else None,
        affiliation=author.affiliation,
        orcid=f"https://orcid.org/{author.orcid}" if author.orcid else None,  # as the page links it
        bio=author.bio,
        given_names={key: given or author.name},
        family_names={key: family} if given else {},
        affiliations={key: (author.affiliation,)} if author.affiliation else {},
    )


def expected_article(art: SimArticle) -> Article:
    """The article page as ``harvester.model.Article``."""
    journal = art.owner
    assert journal is not None
    issue_id = art.issue_id
    paragraphs = art.paragraphs
    # Like titles: the theme's abstract (paragraphs kept) in the page's language, then the other
    # languages' DC.Description ("en" repeats the page's language and is dropped). Keys: <html lang>
    # for the page's language, the meta tags' xml:lang for the others (ojs_releases).
    en, fr = journal.release.html_lang, journal.release.meta_lang("fr")
    abstracts = {en: "\n\n".join(paragraphs)} if paragraphs else {}
    abstracts |= {fr: art.abstract_fr} if art.abstract_fr else {}
    keywords = {en: tuple(art.keywords)} if art.keywords else {}  # DC.Subject xml:lang "en" widened
    if art.keywords_fr and journal.release.keywords_every_locale:
        keywords[fr] = tuple(art.keywords_fr)
    galleys = tuple(  # MIME type: class "pdf", else the DC.Format tags (one per galley, in order)
        Galley(_linked(journal, art.galley_url(gid)), LABELS.get(mime, "File"), mime,
               _linked(journal, art.download_url(gid)))
        for gid, mime in art.galleys
    )  # fmt: skip
    issue = IssueRef(
        journal_title=journal.title,
        volume=str(art.volume),
        number=str(art.number),
        year=int(art.year),
        title=art.issue_title,
        url=f"{journal.page_url}/issue/view/{issue_id}" if issue_id else None,
        ojs_id=issue_id,
    )
    return Article(
        title=art.full_title,
        titles={en: art.full_title} | ({fr: art.title_fr} if art.title_fr else {}),
        subtitle=art.subtitle,
        subtitles={en: art.subtitle} if art.subtitle else {},
        authors=tuple(_expected_author(a, en) for a in art.authors),
        abstract="\n\n".join(paragraphs) or None,
        abstracts=abstracts,
        keywords=tuple(art.keywords),
        keywords_by_language=keywords,
        published=art.published,
        doi=art.doi.lower() if art.doi else None,
        url=art.url(),
        ojs_id=art.id,
        galleys=galleys,
        language="en",
        rights=art.copyright or None,
        license_url=art.license_url,
        section=art.section_title,
        pages=art.pages or None,
        issue=issue,
        issns=tuple(i for i in (journal.issn_online or journal.issn_print,) if i),
        how_to_cite=citation_text(art),
    )


def record(art: SimArticle) -> dict[str, Any]:
    """``record_json`` of :func:`expected_article`."""
    return record_json(expected_article(art))


def _issue_ref(issue: SimIssue, journal_title: str | None) -> IssueRef:
    url = _linked(issue.journal, issue.url())
    return IssueRef(journal_title, issue.volume, issue.number, issue.year, issue.title, url, issue.id)


def expected_issue(issue: SimIssue) -> IssuePage:
    """The issue page as ``harvester.model.IssuePage`` (journal title: the page header shows it)."""
    return IssuePage(
        issue=_issue_ref(issue, issue.journal.title),
        published=issue.published,
        cover_url=issue.cover_url(),
        description=issue.description,
        sections=tuple(issue.sections()),
        articles=tuple(
            TocEntry(_linked(issue.journal, a.url()), a.id, a.full_title, a.section_title, a.pages or None)
            for a in issue.articles
        ),
    )


def expected_archive(journal: SimJournal, issues: list[SimIssue], page: int, size: int) -> ArchivePage:
    """Archive page ``page`` as ``harvester.model.ArchivePage`` (entries carry no journal title)."""
    shown = issues[(page - 1) * size : page * size]
    following = f"{journal.page_url}/issue/archive/{page + 1}" if page * size < len(issues) else None
    return ArchivePage(issues=tuple(_issue_ref(i, None) for i in shown), next_url=following)


def as_json(page: Any) -> dict[str, Any]:
    """A page model as a JSON-ready dict (tuples become lists)."""
    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(page)))
    return result
