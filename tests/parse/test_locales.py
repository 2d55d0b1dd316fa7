"""Every language kept: language keys, article pages per release, and their merge with OAI.

The page tests read real OJS output in ``shared/samples`` (skipped when absent): the recorded
OJS 3.5.0-1 site (en + es; its pages fetched in the en UI, plus the es-UI pages a client
keeping cookies gets, in ``raw/``) and the OJS 3.3.0-11 site (en_US + fr_CA), compared with
their ``truth.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from lxml import etree

from harvester.config import SourceSettings
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, Author, OaiRecord, RecordHeader, record_json
from harvester.ojs.locales import in_language, locale_tag, rekey, widen
from harvester.parse.html import parse_article_page
from harvester.parse.merge import merge_records
from harvester.parse.oai_dc import parse_record
from harvester.store import Store
from harvester.store.engine import HEAD_REVISION, _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.queries import current_articles
from harvester.store.runs import ensure_source
from tests.cli.test_cli import harvester
from tests.harvest.test_harvest import make_settings
from tests.site.replay import ReplaySite, samples_dir

AJPA = "ajpa_ojs3.5.0-1"
JSAS = "jsas_ojs3.3.0-11"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def _site(name: str) -> Path:
    root = samples_dir()
    if root is None or not (root / "sites" / name).is_dir():
        pytest.skip(f"shared samples site {name} not found")
    return root / "sites" / name


@cache
def _truth(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_site(name) / "truth.json").read_text(encoding="utf-8"))
    return data


def _page(name: str, path: str) -> Article:
    """The recorded article page at ``path`` of site ``name``, parsed."""
    site = _site(name)
    origin = json.loads((site / "site.json").read_text())["origin"]
    for line in (site / "index.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["path"] == path and row["status"] == 200 and not row["query"]:
            return parse_article_page((site / row["body"]).read_bytes(), origin + path)
    raise AssertionError(f"no recorded 200 for {path}")


def _raw_es_page(article_id: int) -> Article:
    root = samples_dir()
    path = (
        root / "raw" / "local-ojs-3.5.0.1-ajpa" / f"ajpa_es_article_view_{article_id}.html" if root else None
    )
    if path is None or not path.is_file():
        pytest.skip("the es-UI pages of the 3.5 recording are not in shared samples")
    return parse_article_page(
        path.read_bytes(), f"http://127.0.0.1:8091/index.php/ajpa/es/article/view/{article_id}"
    )


def _live(name: str) -> list[dict[str, Any]]:
    return [article for article in _truth(name)["articles"] if not article["unpublished"]]


def _keyed(values: dict[str, Any]) -> dict[str, Any]:
    """A truth.json per-locale value without empty locales, keyed as the harvester keys them."""
    return {tag: value for locale, value in values.items() if value and (tag := locale_tag(locale))}


# --- language keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("en_US", "en-US"), ("en-us", "en-US"), ("EN", "en"), ("fr_CA", "fr-CA"), ("sr@latin", "sr-latin"),
     ("zh_Hant", "zh-Hant"), ("", None), (None, None)],
)  # fmt: skip
def test_locale_tag(raw: str | None, expected: str | None) -> None:
    assert locale_tag(raw) == expected


def test_a_bare_language_stands_for_its_one_regional_key() -> None:
    # 3.3 pages write "fr" where OAI writes "fr-CA": one key.  pt-BR and pt-PT: "pt" stays.
    assert widen("fr", ["en-US", "fr-CA"]) == "fr-CA"
    assert widen("pt", ["pt-BR", "pt-PT"]) == "pt"
    assert rekey({"en": "A", "en_US": "B", "fr": "C"}) == {"en-US": "A", "fr": "C"}
    assert rekey({"fr": "C"}, ["fr-CA"]) == {"fr-CA": "C"}
    assert in_language({"en-US": "A", "fr-CA": "C"}, "fr") == "C"
    assert in_language({"pt-BR": "A", "pt-PT": "B"}, "pt") is None


# --- pages: OJS 3.5.0-1 ----------------------------------------------------------------------


def test_ajpa_pages_keep_every_language() -> None:
    # en UI pages: DC.Subject has every locale's keywords although citation_keywords lost the
    # en ones (#307: key collision), citation_author and its institutions are in the
    # submission locale (#311: es), each affiliation apart (#308 has two).
    for expected in _live(AJPA):
        locale = expected["locale"]
        article = _page(AJPA, f"/index.php/ajpa/en/article/view/{expected['id']}")
        keywords = {lang: tuple(words) for lang, words in _keyed(expected["keywords"]).items()}
        assert article.keywords_by_language == keywords, expected["id"]
        assert article.keywords == keywords.get(locale, ())
        assert article.titles == _keyed(expected["title_plain"]) or article.titles == _keyed(
            expected["full_title"]
        )
        assert set(article.abstracts) == set(_keyed(expected["abstract_text"]))
        for author, person in zip(article.authors, expected["authors"], strict=True):
            name = f"{person['given'][locale]} {person['family'][locale]}"
            assert f"{author.given_names[locale]} {author.family_names[locale]}" == name
            shown = tuple(aff.get(locale) or next(iter(aff.values())) for aff in person["affiliation"])
            assert author.affiliations[locale] == shown, expected["id"]
    assert _page(AJPA, "/index.php/ajpa/en/article/view/310").subtitles == {
        "en": "Services, Surveillance and Public Trust"
    }


def test_ajpa_es_ui_page_adds_the_es_values_and_not_the_fallbacks() -> None:
    # #307 in the es UI: the first author's es affiliation is shown and kept under es; the
    # second author has no es affiliation, the theme falls back to the en one: not an es value.
    article = _raw_es_page(307)
    first, second = article.authors
    assert first.affiliations == {"en": ("Nazarbayev University",), "es": ("Universidad Nazarbáyev",)}
    assert second.affiliations == {"en": ("KIMEP University",)}
    assert (article.language, article.title) == ("en", "E-Government Adoption in Kazakhstan")
    assert article.keywords == ("e-government", "digital divide", "Central Asia")


# --- merge ---------------------------------------------------------------------------------


def _oai(name: str, article_id: int) -> Article:
    """The article of the site's first recorded oai_dc ListRecords record with this id."""
    site = _site(name)
    for line in (site / "index.jsonl").read_text().splitlines():
        row = json.loads(line)
        oai_dc = row["kind"].startswith("oai:ListRecords") and "metadataPrefix=oai_dc" in row["query"]
        if oai_dc and row["status"] == 200:
            root = etree.fromstring((site / row["body"]).read_bytes())
            for element in root.iter(f"{OAI}record"):
                record = parse_record(element)
                if record.article is not None and record.article.ojs_id == article_id:
                    return record.article
    raise AssertionError(f"no oai_dc record of article {article_id}")


def test_jsas_fr_primary_article_merges_into_one_key_per_language() -> None:
    # OJS 3.3, A#12: fr_CA submission, en_US UI.  OAI says fr-CA/en-US; the page says "fr"
    # (citation_language, meta xml:lang) and en-US (<html lang>): the same two keys after the merge.
    oai, page = _oai(JSAS, 12), _page(JSAS, "/index.php/jsas/article/view/12")
    assert "fr" in page.titles  # the page alone cannot tell fr_CA from fr_FR
    merged = merge_records(record_json(oai), record_json(page))
    expected = next(article for article in _live(JSAS) if article["id"] == 12)
    assert merged["titles"] == _keyed(expected["full_title"])
    assert set(merged["abstracts"]) == {"fr-CA", "en-US"}
    assert merged["keywords_by_language"] == _keyed(expected["keywords"])
    assert merged["title"] == expected["full_title"]["fr_CA"]
    assert merged["keywords"] == expected["keywords"]["fr_CA"]
    assert merged["language"] == "fr"


def test_ajpa_oai_and_page_merge_names_and_affiliations_per_language() -> None:
    oai, page = _oai(AJPA, 307), _page(AJPA, "/index.php/ajpa/en/article/view/307")
    merged = merge_records(record_json(oai), record_json(page))
    first, second = merged["authors"]
    assert first["given_names"] == {"en": "Yerlan", "es": "Yerlán"}  # es from OAI's creators
    assert first["family_names"] == {"en": "Nurpeisov", "es": "Nurpéisov"}
    assert first["affiliations"] == {"en": ["Nazarbayev University"]}  # from the page
    assert (second["given_names"], second["orcid"]) == ({"en": "Aigerim"}, None)
    assert merged["keywords"] == ["e-government", "digital divide", "Central Asia"]
    assert set(merged["keywords_by_language"]) == {"en", "es"}


def _author(name: str, **fields: Any) -> Author:
    given, _, family = name.partition(" ")
    return Author(name, given, family or None, **fields)


def _merge_authors(oai: list[Author], page: list[Author]) -> list[tuple[Any, ...]]:
    base = Article(title="T", titles={"en": "T"}, language="en")
    merged = merge_records(
        record_json(dataclasses.replace(base, authors=tuple(oai))),
        record_json(dataclasses.replace(base, authors=tuple(page))),
    )
    return [(a["name"], a["orcid"], a["affiliation"]) for a in merged["authors"]]


def test_same_name_co_authors_stay_distinct() -> None:
    a = _author("Wei Zhang", orcid="0000-0002-1825-0097", affiliation="Peking University")
    b = _author("Wei Zhang", orcid="0000-0001-5109-3700", affiliation="Fudan University")
    # Same count: by position; each namesake keeps its own ORCID and affiliation.
    assert _merge_authors([_author("Wei Zhang"), _author("Wei Zhang")], [a, b]) == [
        ("Wei Zhang", a.orcid, "Peking University"),
        ("Wei Zhang", b.orcid, "Fudan University"),
    ]
    # OAI lists a third person between them the page lacks: the namesakes pair in order.
    assert _merge_authors([_author("Wei Zhang"), _author("Li Na"), _author("Wei Zhang")], [a, b]) == [
        ("Wei Zhang", a.orcid, "Peking University"),
        ("Li Na", None, None),
        ("Wei Zhang", b.orcid, "Fudan University"),
    ]
    # ORCIDs on both sides decide over position; differing ORCIDs never pair.
    assert _merge_authors(
        [_author("Wei Zhang", orcid=b.orcid), _author("Wei Zhang", orcid=a.orcid)], [a, b]
    ) == [
        ("Wei Zhang", b.orcid, "Fudan University"),
        ("Wei Zhang", a.orcid, "Peking University"),
    ]
    c = _author("Wei Zhang", orcid="0000-0003-1415-9269")
    assert _merge_authors([c], [a]) == [("Wei Zhang", c.orcid, None)]


def test_a_unique_name_pairs_across_a_reordering() -> None:
    oai = [_author("B Two"), _author("A One")]
    page = [_author("A One", affiliation="X"), _author("B Two", affiliation="Y")]
    assert _merge_authors(oai, page) == [("B Two", None, "Y"), ("A One", None, "X")]


# --- the store: columns, export, history, migration -------------------------------------------


@pytest.fixture
def replayed(request: pytest.FixtureRequest) -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    name = request.param
    with ReplaySite(_site(name)) as site:
        yield site, _truth(name)


@pytest.mark.parametrize("replayed", [JSAS], indirect=True)
def test_oai_and_pages_harvest_shows_every_language_in_views_and_export(
    replayed: tuple[ReplaySite, dict[str, Any]], store: Store, db_url: str
) -> None:
    # OJS 3.3.0-11, auto (OAI and pages): A#12 is fr_CA with en_US too, A#7 en_US with fr_CA too.
    site, _ = replayed
    result = harvest_source(
        SourceSettings(name="jsas", url=site.journal_url), make_settings(store.url), store
    )
    assert result.status == "ok"
    with store.read() as conn:
        rows = {row["oai_identifier"]: row for row in current_articles(conn)}
    for expected in _live(JSAS):
        row = rows[expected["oai_identifier"]]
        assert row["titles"] == _keyed(expected["full_title"]), expected["id"]
        assert set(row["abstracts"]) == set(_keyed(expected["abstract_text"]))
        assert row["keywords_by_language"] == _keyed(expected["keywords"])
        assert row["title"] == expected["full_title"][expected["locale"]]
        assert row["keywords"] == (expected["keywords"].get(expected["locale"]) or [])
    exported = harvester("export", db=db_url)
    assert exported.returncode == 0, exported.stderr
    by_oai = {row["oai_identifier"]: row for row in map(json.loads, exported.stdout.splitlines())}
    twelve = by_oai["oai:ojs.pkp.sfu.ca:article/12"]
    assert set(twelve["titles"]) == set(twelve["keywords_by_language"]) == {"fr-CA", "en-US"}
    table = list(csv.DictReader(io.StringIO(harvester("export", "--format", "csv", db=db_url).stdout)))
    row = next(row for row in table if row["oai_identifier"] == "oai:ojs.pkp.sfu.ca:article/12")
    assert json.loads(row["titles"]) == twelve["titles"]


@pytest.mark.parametrize("replayed", [AJPA], indirect=True)
def test_ojs35_oai_harvest_keeps_each_authors_names_per_language(
    replayed: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, _ = replayed  # 3.5: the OAI endpoint of a multilingual journal has a locale segment
    oai_url = f"{site.journal_url}/en/oai"
    source = SourceSettings(name="ajpa", url=site.journal_url, oai_url=oai_url, strategy="oai")
    assert harvest_source(source, make_settings(store.url), store).status == "ok"
    with store.read() as conn:
        rows = {row["oai_identifier"]: row for row in current_articles(conn)}
    for expected in _live(AJPA):
        row = rows[expected["oai_identifier"]]
        for author, person in zip(row["authors"], expected["authors"], strict=True):
            assert author["given_names"] == _keyed(person["given"]), expected["id"]
            assert author["family_names"] == _keyed(person["family"]), expected["id"]
        assert row["keywords_by_language"] == _keyed(expected["keywords"])
        assert row["title"] == row["titles"][expected["locale"]]


def test_history_shows_a_change_in_one_language(store: Store, db_url: str) -> None:
    base = Article(
        title="T", titles={"en": "T", "es": "T es"}, language="en", url="https://j.org/article/view/1"
    )
    for titles in ({"en": "T", "es": "T es"}, {"en": "T", "es": "T (es) corregido"}):
        record = OaiRecord(
            RecordHeader("oai:j.org:article/1", "2024-01-01"), dataclasses.replace(base, titles=titles)
        )
        with store.write() as conn:
            ids = ensure_source(conn, SourceSettings(name="j", url="https://j.org/"), datetime.now(UTC))
            ingest_records(conn, RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC)), [record])
    done = harvester("history", "oai:j.org:article/1", db=db_url)
    assert done.returncode == 0, done.stderr
    assert '"es": "T (es) corregido"' in done.stdout


def test_upgrade_fills_the_language_columns_from_the_current_versions(store: Store) -> None:
    article = Article(
        title="T",
        titles={"en": "T", "es": "T es"},
        keywords=("a",),
        keywords_by_language={"en": ("a",), "es": ("b",)},
    )
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="j", url="https://j.org/"), datetime.now(UTC))
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        ingest_records(conn, ctx, [OaiRecord(RecordHeader("oai:j.org:article/1", "2024-01-01"), article)])
        command.downgrade(_alembic_config(conn), "0003")
        assert "titles" not in list(conn.exec_driver_sql("SELECT * FROM current_articles").keys())
    store.migrate()
    with store.read() as conn:
        assert current_revision(conn) == HEAD_REVISION
        [row] = current_articles(conn)
    assert (row["titles"], row["keywords_by_language"]) == (
        {"en": "T", "es": "T es"},
        {"en": ["a"], "es": ["b"]},
    )
    assert (row["subtitles"], row["abstracts"]) == ({}, {})


@pytest.mark.parametrize(
    ("generator", "names", "institutions"),
    [
        ("3.5.0.1", "es", "es"),  # citation_author and its institutions: the submission locale
        ("3.4.0.2", "es", "es"),  # since pkp/googleScholar 523e492 (3_4_0-2)
        ("3.4.0.1", "en", "es"),  # 0ea03a8 (3_4_0-0/1): names in the UI locale
        ("3.3.0.11", "en", "en"),  # 7c9dddc (3_3_0-11): both in the UI locale
    ],
)
def test_the_language_of_author_tags_follows_the_release(
    generator: str, names: str, institutions: str
) -> None:
    # #311 is es-primary, its page fetched in the en UI: the same tags, read by the rule of each release.
    site = _site(AJPA)
    row = next(
        json.loads(line)
        for line in (site / "index.jsonl").read_text().splitlines()
        if json.loads(line)["path"] == "/index.php/ajpa/en/article/view/311"
    )
    body = (
        (site / row["body"])
        .read_bytes()
        .replace(b"Open Journal Systems 3.5.0.1", f"Open Journal Systems {generator}".encode())
    )
    [author] = parse_article_page(body, "http://127.0.0.1:8091/index.php/ajpa/en/article/view/311").authors
    assert list(author.given_names) == [names]
    assert next(iter(author.affiliations)) == institutions
