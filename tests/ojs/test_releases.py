"""End-to-end harvests of the test OJS site as each OJS release answers (issue 10, item 2).

Every strategy (``auto``, ``oai``, ``html``, ``oai+html``) against every release the site copies
(``ojs_releases``: 3.3.0-11, 3.3.0-20, 3.4.0-4, 3.4.0-8, 3.5.0-1), on SQLite, and one PostgreSQL
variant: every field and every language stored, one version per article, the archive walk ending on
the last page's own signal (or a 404 / an empty page past it on a theme without OJS's pagination),
and an article deleted outright withdrawn only by a complete sweep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lxml_html

from harvester.config import SourceSettings
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import HarvestResult, harvest_source
from harvester.model import Article
from harvester.parse.html import parse_article_page
from harvester.store import Store
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_releases import RELEASES, Release
from tests.site.ojs_site import OjsSite, SimArticle, SimAuthor
from tests.site.replay import recorded_response
from tests.site.test_ojs_site import get, path_of

JOURNAL = "jsas"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
STRATEGIES = ["auto", "oai", "html", "oai+html"]
EVERY_RELEASE_AND_STRATEGY = pytest.mark.parametrize(
    ("release", "strategy"), [(release, strategy) for release in RELEASES for strategy in STRATEGIES]
)


def _prepare(site: OjsSite) -> None:
    """Five issues (three archive pages of two), and fr_CA values on two articles: a title, an
    abstract, keywords (as many as the en ones, so that 3.4's citation_keywords keep only the fr
    ones, as recorded on 3.5.0-1 #307; fewer, so that they keep some of each) and an author's fr_CA
    name."""
    for index, art in enumerate(site.articles(JOURNAL)):
        site.edit(JOURNAL, art.id, number=str(index % 5 + 1))
    first, second = site.articles(JOURNAL)[:2]
    first.title_fr, first.abstract_fr = "Le changement climatique au Pendjab", "Un résumé en français."
    first.keywords_fr = [f"mot-clé {n}" for n in range(len(first.keywords))]  # as many: all fr survive
    first.authors[0].names_fr = ("Klaus", "Mülleur")
    second.keywords_fr = ["culture de l'imprimé"]
    second.authors[0].names_fr = ("Zoé", "O'Brien")


@pytest.fixture
def make_site() -> Iterator[Any]:
    """``make_site(release, **options)``: a started one-journal site (12 articles, one a tombstone, five
    issues on three archive pages) with two bilingual articles; closed after the test."""
    started: list[OjsSite] = []

    def make(release: str, **options: Any) -> OjsSite:
        site = OjsSite.generate(
            journals=1, articles_per_journal=12, seed=5, archive_page_size=2, release=release, **options
        )
        _prepare(site)
        started.append(site.start())
        return site

    yield make
    for site in started:
        site.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """The release × strategy matrix runs on SQLite; one PostgreSQL variant is below."""
    opened = Store(f"sqlite:///{tmp_path / 'harvester.db'}")
    yield opened
    opened.close()


def _run(site: OjsSite, store: Store, strategy: str, kind: str = "harvest") -> HarvestResult:
    source = SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy=strategy)  # type: ignore[arg-type]
    return harvest_source(source, make_settings(store.url), store, HarvestRequest(kind))


def _records(store: Store) -> dict[str, tuple[dict[str, Any], Any]]:
    """Current record and view row of every article, by URL (a tombstone: by OAI identifier)."""
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT v.record, a.oai_identifier, a.deleted, a.withdrawn_at FROM current_articles a "
            "JOIN article_versions v ON v.article_id = a.article_id AND v.version = a.version"
        ).all()
    found = {}
    for row in rows:
        record = json.loads(row.record)
        found[record.get("url") or row.oai_identifier] = (record, row)
    return found


def _count(store: Store, sql: str) -> int:
    with store.read() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


def _oai_names(author: SimAuthor, release: Release) -> tuple[dict[str, str], dict[str, str]]:
    """An author's given and family names per language as oai_dc gives them: none up to 3.4.0-1 (one
    untagged creator in the UI locale, a name in no stated language), per locale from 3.4.0-2
    (``ojs_releases``)."""
    if not release.creators_per_locale:
        return {}, {}
    en = release.oai_lang("en")
    given = {en: author.given}
    family = {en: author.family} if author.family else {}
    if author.names_fr:
        given[release.oai_lang("fr")] = author.names_fr[0]
        family |= {release.oai_lang("fr"): author.names_fr[1]} if author.names_fr[1] else {}
    return given, family


def _check_oai_fields(art: SimArticle, record: dict[str, Any], release: Release, *, pages: bool) -> None:
    """What OAI carries, in every language: titles, keywords, authors' names (with ``pages``, the
    names per language the page adds where OAI states none: 3.3's)."""
    en, fr = release.oai_lang("en"), release.oai_lang("fr")
    assert record["titles"] == {en: art.full_title} | ({fr: art.title_fr} if art.title_fr else {}), art.id
    keywords = {en: art.keywords, fr: art.keywords_fr}
    # record_json leaves out empty values
    assert record.get("keywords_by_language", {}) == {k: v for k, v in keywords.items() if v}, art.id
    languages = {en: art.abstract, fr: art.abstract_fr}
    assert set(record.get("abstracts", {})) == {key for key, text in languages.items() if text}, art.id
    assert record.get("keywords", []) == art.keywords
    page = art.expected_html() or {}
    for author, stored, shown in zip(art.authors, record["authors"], page["authors"], strict=True):
        assert (stored["given"], stored.get("family")) == (author.given, author.family), art.id
        names = (stored.get("given_names", {}), stored.get("family_names", {}))
        expected = _oai_names(author, release)
        if pages and expected == ({}, {}):
            expected = (shown.get("given_names", {}), shown.get("family_names", {}))
        assert names == expected, art.id


def _check_page_fields(art: SimArticle, record: dict[str, Any]) -> None:
    """What only the pages carry: affiliations, ORCIDs, bios, galley downloads, How to Cite."""
    page = art.expected_html()
    assert page is not None
    for field in ("how_to_cite", "license_url", "galleys"):
        assert record[field] == page[field], (art.id, field)
    for stored, expected in zip(record["authors"], page["authors"], strict=True):
        wanted = ("affiliation", "orcid", "bio")  # record_json leaves out empty values
        assert [stored.get(key) for key in wanted] == [expected.get(key) for key in wanted], art.id


@EVERY_RELEASE_AND_STRATEGY
def test_every_strategy_harvests_every_release_whole(
    make_site: Any, sqlite_store: Store, release: str, strategy: str
) -> None:
    site = make_site(release)
    result = _run(site, sqlite_store, strategy)
    arts = site.articles(JOURNAL)
    live = [a for a in arts if not a.deleted]
    oai, pages = strategy != "html", strategy != "oai"
    assert (result.status, result.warnings, result.counts.new) == ("ok", 0, len(live))
    assert result.counts.deleted == (len(arts) - len(live) if oai else 0)
    records = _records(sqlite_store)
    for art in live:
        record, row = records[art.url()]
        assert row.oai_identifier == (art.oai_identifier() if oai else None)
        if not oai:  # the pages alone: exactly what the page parser makes of each page
            assert record == art.expected_html(), art.id
            continue
        _check_oai_fields(art, record, site.release, pages=pages)
        if pages:
            _check_page_fields(art, record)
    # One version per article; the archive walk read each page once, all 200: the last one
    # links no next page, so nothing past it is asked for, whatever the release answers there.
    assert _count(sqlite_store, "SELECT COUNT(*) FROM article_versions") == (len(arts) if oai else len(live))
    archive = [r.status for r in site.html_requests if r.kind == "archive"]
    assert archive == ([200] * 3 if pages else [])
    assert _count(sqlite_store, "SELECT COUNT(*) FROM current_issues") == len(site.issues(JOURNAL))
    again = _run(site, sqlite_store, strategy, "backfill")
    assert (again.status, again.counts.new, again.counts.changed, again.counts.deleted) == ("ok", 0, 0, 0)


@EVERY_RELEASE_AND_STRATEGY
def test_a_deleted_article_is_withdrawn_by_a_complete_sweep_in_every_release(
    make_site: Any, sqlite_store: Store, release: str, strategy: str
) -> None:
    site = make_site(release)
    assert _run(site, sqlite_store, strategy).status == "ok"
    gone = site.remove(JOURNAL, site.articles(JOURNAL)[2].id)  # no tombstone, off its TOC, page 404
    assert _count(sqlite_store, "SELECT COUNT(*) FROM current_articles WHERE withdrawn_at IS NOT NULL") == 0
    assert _run(site, sqlite_store, strategy, "backfill").status == "ok"
    withdrawn = [url for url, (_, row) in _records(sqlite_store).items() if row.withdrawn_at is not None]
    assert withdrawn == [gone.url()]


@pytest.mark.parametrize("release", list(RELEASES))
def test_a_theme_without_ojs_pagination_ends_where_the_release_ends(
    make_site: Any, sqlite_store: Store, release: str
) -> None:
    """No next link to follow: the walk reads one page past the last, which answers as the release
    does (an empty list up to 3.3.0-19 and 3.4.0-7, a 404 from 3.3.0-20, 3.4.0-8 and in 3.5)."""
    site = make_site(release, themed_archive=True)
    result = _run(site, sqlite_store, "html")
    assert (result.status, result.warnings) == ("ok", 0)
    archive = [r.status for r in site.html_requests if r.kind == "archive"]
    assert archive == [200, 200, 200, RELEASES[release].archive_past_end]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_ojs35_harvest_on_postgresql(make_site: Any, store: Store) -> None:
    site = make_site("3.5.0-1")
    result = _run(site, store, "auto")
    arts = site.articles(JOURNAL)
    assert (result.status, result.counts.new, result.counts.deleted) == (
        "ok", sum(not a.deleted for a in arts), sum(a.deleted for a in arts),
    )  # fmt: skip
    records = _records(store)
    for art in arts:
        if not art.deleted:
            _check_oai_fields(art, records[art.url()][0], site.release, pages=True)
            _check_page_fields(art, records[art.url()][0])
    assert _count(store, "SELECT COUNT(*) FROM article_versions") == len(arts)


# --- the site's output for a release against the recorded install of that release ------------------

RECORDED = {  # release: (recorded site, past-the-end archive page, a bilingual article's page, its OAI
    # request, its identifier)
    "3.3.0-11": (
        "jsas_ojs3.3.0-11",
        "/index.php/jsas/issue/archive/3",
        "/index.php/jsas/article/view/7",
        ("/index.php/jsas/oai", "verb=ListRecords&metadataPrefix=oai_dc"),
        "oai:ojs.pkp.sfu.ca:article/7",
    ),
    "3.5.0-1": (
        "ajpa_ojs3.5.0-1",
        "/index.php/ajpa/en/issue/archive/4",
        "/index.php/ajpa/en/article/view/307",
        (
            "/index.php/ajpa/en/oai",
            "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Aajpa.example.org%3Aarticle%2F307",
        ),
        "oai:ajpa.example.org:article/307",
    ),
}
# Present or not by the data, not the release: a DOI, references, an HTML galley.
_DATA_TAGS = {"citation_doi", "DC.Identifier.DOI", "citation_reference", "citation_fulltext_html_url"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _form(lang: str | None) -> str | None:
    """A language tag's form, data aside: the journal's primary (en), or another language."""
    return None if lang is None else ("primary" if lang.split("-")[0] == "en" else "other")


def _meta_shape(body: bytes) -> tuple[str | None, str | None, list[tuple[str, str | None]]]:
    """``<html lang>``, the generator, and the meta tags in order of first appearance (name, form)."""
    doc = lxml_html.fromstring(body)
    tags = [(meta.get("name"), _form(meta.get("xml:lang"))) for meta in doc.iter("meta") if meta.get("name")]
    order = [tag for tag in dict.fromkeys(tags) if tag[0] not in _DATA_TAGS]
    generator = next(
        (meta.get("content") for meta in doc.iter("meta") if meta.get("name") == "generator"), None
    )
    return doc.get("lang"), generator, order


def _dc_shape(body: bytes, identifier: str) -> list[tuple[str, str | None]]:
    """The record's dc elements in order, runs of one (element, form) collapsed; ``dc:publisher``
    left out (the recorded 3.5 journal names a publisher institution, in its primary locale only:
    Dc11SchemaArticleAdapter; the simulated journals give their name per locale)."""
    root = etree.fromstring(body)
    record = next(
        r for r in root.iter(f"{OAI}record") if r.findtext(f"{OAI}header/{OAI}identifier") == identifier
    )
    shape: list[tuple[str, str | None]] = []
    for element in record.iter(f"{DC}*"):
        key = (etree.QName(element).localname, _form(element.get(_XML_LANG)))
        if key[0] != "publisher" and (not shape or shape[-1] != key):
            shape.append(key)
    return shape


def _language_forms(article: Article) -> list[set[str | None]]:
    """The forms of the language keys the parsed page has, per field."""
    fields = [article.titles, article.abstracts, article.keywords_by_language]
    fields += [author.given_names for author in article.authors]
    return [{_form(key) for key in values} for values in fields]


@pytest.mark.parametrize("release", list(RECORDED))
def test_the_site_answers_like_the_recorded_install_of_its_release(make_site: Any, release: str) -> None:
    """The article page, the OAI record, Identify, the archive's end and (3.5) the locale redirect of
    the test site for ``release`` have the structure the real install of that release sent."""
    name, past_end, page_path, (oai_path, oai_query), identifier = RECORDED[release]
    site = make_site(release)
    art = site.articles(JOURNAL)[0]  # bilingual: title, abstract, keywords and an author's name in fr_CA
    journal = site.journals[JOURNAL]
    page = get(site, path_of(f"{journal.page_url}/article/view/{art.id}"))[2]
    recorded_page = recorded_response(name, page_path)[2]
    assert _meta_shape(page) == _meta_shape(recorded_page)
    parsed = parse_article_page(page, art.url())
    recorded_article = parse_article_page(recorded_page, f"http://127.0.0.1{page_path}")
    # titles, abstracts, keywords and the first author's names
    assert _language_forms(parsed)[:4] == _language_forms(recorded_article)[:4]
    oai = get(
        site,
        path_of(f"{journal.oai_url}?verb=GetRecord&metadataPrefix=oai_dc&identifier={art.oai_identifier()}"),
    )
    assert _dc_shape(oai[2], art.oai_identifier()) == _dc_shape(
        recorded_response(name, oai_path, oai_query)[2], identifier
    )
    toolkit = "{http://oai.dlib.vt.edu/OAI/metadata/toolkit}"
    ours = etree.fromstring(get(site, path_of(f"{journal.oai_url}?verb=Identify"))[2])
    theirs = etree.fromstring(recorded_response(name, oai_path, "verb=Identify")[2])
    for field in ("version", "URL"):
        assert ours.findtext(f".//{toolkit}{field}") == theirs.findtext(f".//{toolkit}{field}")
    # The archive past its end (the site has three pages), and the journal's locale-less URL: the
    # home page, or (3.5, two locales) a 302 to the primary locale's.
    assert (
        get(site, path_of(f"{journal.page_url}/issue/archive/4"))[0] == recorded_response(name, past_end)[0]
    )
    status, headers, _ = get(site, path_of(journal.url))
    journal_path = f"/index.php/{name.split('_')[0]}"
    recorded_status, recorded_headers, _ = recorded_response(name, journal_path)
    assert status == recorded_status
    location = recorded_headers.get("Location", "").partition(journal_path)[2]
    assert headers.get("Location", "").partition(journal.url)[2] == location
