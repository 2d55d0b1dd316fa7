"""Identifiers checked at ingest, and the bad input of issue 17.

Offline: each identifier read into its canonical form or refused with its reason; the OAI
parser keeping the DOI as published and noting what it could not take.  Over real HTTP, on
SQLite and PostgreSQL: a journal with DOIs typed with spaces, a ``doi:`` prefix and trailing
dots, two DOIs in one value, one DOI on two of its articles, an empty and a generic title,
and a wrong ISSN check digit is harvested whole, every problem gets its line in
``identifier_problems``, and nothing is merged that should not be.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

from harvester.config import SourceSettings
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, Author, record_json
from harvester.parse.oai_dc import parse_record
from harvester.store import Store
from harvester.works.identifiers import canonical_url, check_doi, check_issn, check_orcid
from harvester.works.matching import article_keys, record_keys
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite, SimArticle, SimJournal
from tests.works.test_works import _harvest, _rows, _works_by_source


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        ("10.5555/ABC.1", "10.5555/abc.1", None),
        ("  doi: 10.5555/ABC.1.. ", "10.5555/abc.1", None),
        ("https://doi.org/10.5555/A%28B%29", "10.5555/a(b)", None),
        ("HTTP://DX.DOI.ORG/10.5555/X", "10.5555/x", None),
        ("info:doi/10.5555/x;", "10.5555/x", None),
        ("10.5555/ spaced out", "10.5555/spacedout", None),
        ("10.5555/a 10.5555/b", None, "two DOIs in one value"),
        ("doi:10.55/short-prefix", None, "not DOI syntax (10.NNNN/suffix)"),
        ("10.5555", None, "not DOI syntax (10.NNNN/suffix)"),
        ("   ", None, "empty"),
    ],
)
def test_dois_are_read_leniently_and_checked_strictly(
    raw: str, value: str | None, problem: str | None
) -> None:
    assert check_doi(raw) == (value, problem)


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        ("0317-8471", "0317-8471", None),
        ("03178471", "0317-8471", None),
        ("ISSN: 2049–3630", "2049-3630", None),  # an en dash, as journal managers type it
        ("1532-8482", None, "wrong check digit"),
        ("1532-848", None, "not an ISSN (NNNN-NNNC)"),
    ],
)
def test_issns_are_hyphenated_and_their_check_digit_verified(
    raw: str, value: str | None, problem: str | None
) -> None:
    assert check_issn(raw) == (value, problem)


def test_orcids_take_the_url_form_and_their_iso_7064_check_digit_is_verified() -> None:
    assert check_orcid("0000-0002-1825-0097") == ("https://orcid.org/0000-0002-1825-0097", None)
    assert check_orcid("http://orcid.org/000000021825009X").problem == "wrong check digit"
    assert check_orcid("1825-0097").problem == "not an ORCID iD (16 digits)"
    # A test registry's iD (an install using ORCID's sandbox API): never taken for a real one.
    sandbox = check_orcid("https://sandbox.orcid.org/0000-0002-1825-0097")
    assert sandbox == (None, "an ORCID sandbox iD (sandbox.orcid.org), not a researcher's")


@pytest.mark.parametrize(
    "url",
    [
        "https://journal.example.org/index.php/jsas/article/view/7",
        "HTTP://Journal.Example.ORG:80/index.php/jsas/article/view/7/",
        "https://journal.example.org/jsas/article/view/7",  # restful_urls
        "https://journal.example.org/index.php/jsas/fr_CA/article/view/7",  # 3.5 locale segment
        "https://journal.example.org/index.php/jsas/en/article/view/7",
    ],
)
def test_one_article_page_is_one_canonical_url(url: str) -> None:
    assert canonical_url(url) == "https://journal.example.org/jsas/article/view/7"


def test_a_journal_path_that_looks_like_a_locale_is_kept() -> None:
    # Only a segment between the context and a page name is a locale.
    assert canonical_url("https://x.org/index.php/en/article/view/7") == "https://x.org/en/article/view/7"
    assert (
        canonical_url("https://x.org/ojs/index.php/es/article/view/7")
        == "https://x.org/ojs/es/article/view/7"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://x.org/ojs/index.php/jsas/article/view/7",
        "http://X.org/ojs/index.php/jsas/fr_CA/article/view/7/",
        "https://x.org/ojs/index.php/jsas/en/article/view/7",
    ],
)
def test_an_install_under_a_path_keeps_its_path_and_loses_the_locale(url: str) -> None:
    # OJS's own config template installs under a path: base_url = "https://pkp.sfu.ca/ojs".
    assert canonical_url(url) == "https://x.org/ojs/jsas/article/view/7"


_RECORD = (
    '<record xmlns="http://www.openarchives.org/OAI/2.0/"><header><identifier>oai:x:article/1</identifier>'
    "<datestamp>2024-01-01</datestamp></header><metadata>"
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title xml:lang="en">T</dc:title>{}</oai_dc:dc>'
    "</metadata></record>"
)


def test_the_parser_keeps_the_published_doi_and_notes_what_it_cannot_take() -> None:
    identifiers = "".join(
        f"<dc:identifier>{value}</dc:identifier>"
        for value in (
            "https://j.example/index.php/j/article/view/1",
            "https://doi.org/10.5555/JSAS.1",
            "doi:10.12/nope",
            "10.5555/other.2",
        )
    )
    article = parse_record(etree.fromstring(_RECORD.format(identifiers))).article
    assert article is not None
    assert (article.doi, article.doi_published) == ("10.5555/jsas.1", "https://doi.org/10.5555/JSAS.1")
    assert article.url == "https://j.example/index.php/j/article/view/1"
    assert article.identifier_problems == (
        ("doi", "doi:10.12/nope", "not DOI syntax (10.NNNN/suffix)"),
        ("doi", "10.5555/other.2", "a second DOI in the record: 10.5555/jsas.1 is kept"),
    )


# --- end to end ---------------------------------------------------------------------------------


def _bad_journal() -> list[SimArticle]:
    base = {"journal": "bad", "published": "2020-01-01", "year": 2020}
    return [
        SimArticle(id=1, title="Spaced DOI", authors=[("A", "One")], doi="10.5555/ BAD.1", **base),
        SimArticle(id=2, title="Prefixed DOI", authors=[("B", "Two")], doi="doi:10.5555/BAD.2..", **base),
        SimArticle(id=3, title="Shared DOI, first", authors=[("C", "Three")], doi="10.5555/same", **base),
        SimArticle(id=4, title="Shared DOI, second", authors=[("D", "Four")], doi="10.5555/SAME", **base),
        SimArticle(id=5, title="Two DOIs", authors=[("E", "Five")], doi="10.5555/a 10.5555/b", **base),
        SimArticle(id=6, title="", authors=[("F", "Six")], **base),
        SimArticle(id=7, title="Editorial", authors=[("G", "Seven")], **base),
    ]  # fmt: skip


@pytest.fixture
def bad_hosts() -> Iterator[tuple[OjsSite, OjsSite]]:
    bad = SimJournal("bad", "Bad Identifiers Review", issn_online="1532-8482", articles=_bad_journal())
    # Elsewhere: the shared DOI's owner, and an "Editorial" by the same author, same year.
    twin = SimJournal(
        "twin", "Bad Identifiers Review (mirror)", issn_online="0317-8471",
        articles=[
            SimArticle(id=40, journal="twin", title="Shared DOI, second", authors=[("D", "Four")],
                       doi="https://doi.org/10.5555/same", published="2020-01-01", year=2020),
            SimArticle(id=41, journal="twin", title="Editorial", authors=[("G", "Seven")],
                       published="2020-01-01", year=2020),
        ],
    )  # fmt: skip
    with OjsSite([bad], repository_id="bad.example.org") as one, OjsSite([twin]) as two:
        yield one, two


def test_bad_identifiers_are_listed_and_never_merge(store: Store, bad_hosts: tuple[OjsSite, OjsSite]) -> None:
    one, two = bad_hosts
    assert _harvest(store, one, "bad", "bad").status == "ok"
    assert _harvest(store, two, "twin", "twin").status == "ok"
    assert _rows(store, "SELECT COUNT(*) FROM current_articles WHERE source = 'bad'")[0][0] == 7
    by_title = dict(_rows(store, "SELECT title, doi FROM current_articles WHERE source = 'bad'"))
    assert by_title["Spaced DOI"] == "10.5555/bad.1"
    assert by_title["Prefixed DOI"] == "10.5555/bad.2"
    assert by_title["Two DOIs"] is None
    ids = dict(_rows(store, "SELECT title, article_id FROM current_articles WHERE source = 'bad'"))
    problems = {
        (row.article_id, row.kind, row.raw_value, row.reason)
        for row in _rows(store, "SELECT article_id, kind, raw_value, reason FROM identifier_problems")
    }
    assert problems == {
        (None, "issn", "1532-8482", "wrong check digit"),
        (ids["Two DOIs"], "doi", "10.5555/a 10.5555/b", "two DOIs in one value"),
        (ids[None], "title", "", "empty: matched by DOI only"),
        (ids["Editorial"], "title", "Editorial", "generic: matched by DOI only"),
        (
            ids["Shared DOI, second"],
            "doi",
            "10.5555/same",
            f"also the DOI of article {ids['Shared DOI, first']} of the same source: not merged",
        ),
        (  # the twin's own editorial
            _rows(
                store, "SELECT article_id FROM current_articles WHERE source = 'twin' AND title = 'Editorial'"
            )[0][0],
            "title",
            "Editorial",
            "generic: matched by DOI only",
        ),
    }
    works = _works_by_source(store)  # never two articles of one source in a work
    # The twin shares the DOI with both, and its title with the second: it joins that one
    # (the stronger evidence) and no other; the editorials stay apart.
    joined = [w for w in works.values() if set(w) == {"bad", "twin"}]
    assert joined == [{"bad": ids["Shared DOI, second"], "twin": joined[0]["twin"]}]
    assert len(works) == 8


def test_problems_are_listed_anew_with_each_version(store: Store, bad_hosts: tuple[OjsSite, OjsSite]) -> None:
    one, _ = bad_hosts
    assert _harvest(store, one, "bad", "bad").status == "ok"
    one.edit("bad", 4, abstract="Corrected abstract: a new version, the same shared DOI.")
    one.edit("bad", 5, doi="10.5555/bad.5")  # the journal fixed its two-DOI value
    assert _harvest(store, one, "bad", "bad", kind="backfill").status == "ok"
    ids = dict(_rows(store, "SELECT title, article_id FROM current_articles WHERE source = 'bad'"))
    problems = _rows(store, "SELECT article_id, kind, reason FROM identifier_problems WHERE kind = 'doi'")
    assert (
        ids["Shared DOI, second"],
        "doi",
        f"also the DOI of article {ids['Shared DOI, first']} of the same source: not merged",
    ) in problems
    assert all(row.article_id != ids["Two DOIs"] for row in problems)


def test_a_bad_doi_read_from_an_article_page_is_listed(
    store: Store, bad_hosts: tuple[OjsSite, OjsSite]
) -> None:
    one, _ = bad_hosts
    source = SourceSettings(name="bad", url=one.journal_url("bad"), strategy="html")
    result = harvest_source(source, make_settings(store.url), store, HarvestRequest("harvest"))  # type: ignore[arg-type]
    assert result.status == "ok"
    ids = dict(_rows(store, "SELECT title, article_id FROM current_articles WHERE source = 'bad'"))
    problems = {
        (row.article_id, row.raw_value, row.reason)
        for row in _rows(
            store, "SELECT article_id, raw_value, reason FROM identifier_problems WHERE kind = 'doi'"
        )
    }
    assert (ids["Two DOIs"], "10.5555/a 10.5555/b", "two DOIs in one value") in problems


def test_the_match_view_of_an_article_matches_as_its_whole_record() -> None:
    """The batch writer hands clustering ``article_keys(article)`` instead of the record it
    stores: the keys, problems and URL read from the article must be those of the whole record."""
    site = OjsSite.generate(journals=3, articles_per_journal=30, seed=5)
    articles = [art.expected_article() for journal in site.journals.values() for art in journal.articles]
    lone = Article(title="Editorial", authors=(Author(name="Plato"),), doi=None, issue=None)
    problems = (("doi", "10.1/a 10.1/b", "two DOIs in one value"),)
    flawed = Article(title=None, authors=(), issns=("1234-5678", "0000-0000"), identifier_problems=problems)
    live = [article for article in [*articles, lone, flawed] if article is not None]
    assert len(live) > 80
    for article in live:
        assert article_keys(article) == record_keys(record_json(article))
