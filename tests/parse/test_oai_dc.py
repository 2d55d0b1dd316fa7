"""Tests of the oai_dc parser and the field normalisers.

Unit tests run on the small real-shaped fixtures in ``fixtures/oai/``; the sample tests run
on recorded OJS output in ``shared/samples`` (skipped when that folder is absent).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from lxml import etree

from harvester.errors import BrokenResponseError
from harvester.model import Article, Galley, IssueRef, OaiRecord, RecordHeader, record_json
from harvester.parse import normalize as nz
from harvester.parse.oai_dc import parse_record
from harvester.parse.oai_source import SourceParts, parse_source

FIXTURES = Path(__file__).parents[1] / "fixtures" / "oai"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
JSAS_SETS = {"jsas": "Journal of South Asian Studies", "jsas:ART": "Articles", "jsas:BR": "Book Reviews"}
JSAS = "Journal of South Asian Studies"


def _fixture(name: str) -> OaiRecord:
    return parse_record(etree.parse(str(FIXTURES / name)).getroot(), JSAS_SETS)


def _article(name: str) -> Article:
    article = _fixture(name).article
    assert article is not None
    return article


# --- fixtures ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("record-*.xml")))
def test_fixture_maps_every_field(name: str) -> None:
    """Each fixture's whole record, every field, equals its hand-checked ``.expected.json``."""
    record = _fixture(name)
    article = record_json(record.article) if record.article else None
    got = {"header": asdict(record.header), "article": article}
    expected = json.loads((FIXTURES / name.replace(".xml", ".expected.json")).read_text(encoding="utf-8"))
    assert json.loads(json.dumps(got)) == expected


def test_creators_per_locale_are_one_person_each_with_a_name_per_language() -> None:
    # OJS 3.4.0-2+ writes the creators grouped by locale (all en, then all es); real 3.5.0-1 output:
    # #304's second author is named in en and es, its first in en only; #307 likewise.
    records = _ajpa_records()
    pham, rodriguez = records["oai:ajpa.example.org:article/304"].authors
    assert [(a.name, a.given, a.family) for a in (pham, rodriguez)] == [
        ("Thi Mai Pham", "Thi Mai", "Pham"),
        ("José Luis Rodriguez-Pena", "José Luis", "Rodriguez-Pena"),
    ]
    assert [a.given_names for a in (pham, rodriguez)] == [
        {"en": "Thi Mai"},
        {"en": "José Luis", "es": "José Luis"},
    ]
    assert rodriguez.family_names == {"en": "Rodriguez-Pena", "es": "Rodríguez Peña"}
    assert [a.given_names for a in records["oai:ajpa.example.org:article/307"].authors] == [
        {"en": "Yerlan", "es": "Yerlán"},
        {"en": "Aigerim"},
    ]


def _creators(*creators: tuple[str | None, str]) -> Article:
    dc = "".join(
        f'<dc:creator xml:lang="{lang}">{text}</dc:creator>' if lang else f"<dc:creator>{text}</dc:creator>"
        for lang, text in creators
    )
    xml = (
        f'<record xmlns="{OAI[1:-1]}"><header><identifier>oai:x:article/1</identifier>'
        "<datestamp>2024-01-01</datestamp></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title xml:lang="en">T</dc:title>'
        f"{dc}</oai_dc:dc></metadata></record>"
    )
    article = parse_record(etree.fromstring(xml)).article
    assert article is not None
    return article


def test_namesakes_stay_two_authors_in_every_release() -> None:
    # Two co-authors called Wei Zhang: 3.3 (untagged) and 3.4.0-2+ (per locale) alike.
    untagged = _creators((None, "Zhang, Wei"), (None, "Zhang, Wei"))
    assert [a.name for a in untagged.authors] == ["Wei Zhang", "Wei Zhang"]
    grouped = _creators(("en", "Zhang, Wei"), ("en", "Zhang, Wei"), ("zh-CN", "张, 伟"), ("zh-CN", "张, 薇"))
    assert [a.given_names for a in grouped.authors] == [
        {"en": "Wei", "zh-CN": "伟"},
        {"en": "Wei", "zh-CN": "薇"},
    ]


def test_a_shorter_locale_group_is_placed_by_position_and_resemblance() -> None:
    # The second author has no es name: the es group is one name long and belongs to the first.
    article = _creators(("en", "Nurpeisov, Yerlan"), ("en", "Rahimova, Aigerim"), ("es", "Nurpéisov, Yerlán"))
    assert [a.given_names for a in article.authors] == [{"en": "Yerlan", "es": "Yerlán"}, {"en": "Aigerim"}]


def test_a_shorter_group_in_another_script_is_not_guessed() -> None:
    # Which of the three authors lacks the ur name cannot be told: no ur names rather than wrong ones.
    article = _creators(
        ("en", "Naz, Farah"), ("en", "Qureshi, Omar"), ("en", "Nazeer"), ("ur", "ناز, فرح"), ("ur", "نذیر")
    )
    assert [a.name for a in article.authors] == ["Farah Naz", "Omar Qureshi", "Nazeer"]
    assert [a.given_names for a in article.authors] == [{"en": "Farah"}, {"en": "Omar"}, {"en": "Nazeer"}]


def test_creators_tagged_only_in_part_are_one_person_each() -> None:
    # Not OJS output: nothing tells which tagged and untagged creators are the same person.
    article = _creators(("en", "Zhang, Wei"), (None, "Li, Na"))
    assert [(a.name, a.given_names) for a in article.authors] == [("Wei Zhang", {"en": "Wei"}), ("Na Li", {})]


def test_language_keys_are_normalised_bcp47() -> None:
    article = _creators(("en_us", "Zhang, Wei"))
    assert article.authors[0].given_names == {"en-US": "Wei"}


def test_a_translated_source_is_read_in_the_submission_language() -> None:
    # Real 3.5.0-1 #311 (es-primary): dc:source in en and es ("Vol. 2 Núm. 2 (2023)").
    article = _ajpa_records()["oai:ajpa.example.org:article/311"]
    assert (article.issue.volume, article.issue.number, article.issue.year) == ("2", "2", 2023)
    assert (article.pages, article.language) == ("1-19", "es")
    assert article.keywords == ("cooperación Sur-Sur", "América Latina", "Asia")


def test_double_escaped_abstract_is_unescaped_exactly_once() -> None:
    # OJS quirks 1 and 2 in real 3.3.0-11 output (#27): stored "&nbsp;" and "&ndash;" come out as
    # "&amp;nbsp;" and "&amp;ndash;" (a no-break space is a space here), paragraphs and list items
    # run together.
    assert _article("record-double-escaped-abstract.xml").abstract == (
        "Objectives: to trace wages, 2005–2022.Methods: panel survey.Results: real wages fell by 12 %."
        "power-loom sectorinformal contracts"
    )


def test_galleys_pair_with_their_formats_in_order() -> None:
    article = _article("record-galleys-and-doi.xml")  # real 3.3.0-11 #13: a PDF and an HTML galley
    base = "http://127.0.0.1:8089/index.php/jsas/article/view/13"
    assert (article.doi, article.url, article.ojs_id) == ("10.5555/jsas.v2i1.13", base, 13)
    assert article.galleys == (
        Galley(f"{base}/14", None, "application/pdf"),
        Galley(f"{base}/15", None, "text/html"),
    )
    assert article.issns == ("2410-1303", "1028-818X")
    assert article.pages == "53-77"


# --- records the parser must refuse or treat as tombstones --------------------------------

_RECORD = '<record xmlns="http://www.openarchives.org/OAI/2.0/">{}</record>'
_ID = "<identifier>oai:x:article/5</identifier>"
_HEADER = f"<header>{_ID}<datestamp>2024-01-01</datestamp></header>"


def test_record_without_metadata_is_a_tombstone() -> None:
    record = parse_record(etree.fromstring(_RECORD.format(_HEADER)))
    assert record == OaiRecord(RecordHeader("oai:x:article/5", "2024-01-01"), None)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<header/>", "record expected"),
        (_RECORD.format(""), "without <header>"),
        (_RECORD.format("<header><datestamp>2024-01-01</datestamp></header>"), "without <identifier>"),
        (_RECORD.format(f"<header>{_ID}</header>"), "'oai:x:article/5'.*datestamp"),
        (_RECORD.format(_HEADER + "<metadata><marc/></metadata>"), "'oai:x:article/5'.*not oai_dc"),
    ],
)
def test_broken_record_names_identifier_and_problem(xml: str, message: str) -> None:
    with pytest.raises(BrokenResponseError, match=message):
        parse_record(etree.fromstring(xml))


def test_cached_values_never_change_a_result() -> None:
    # The parser caches per-value work (creators, source lines, dates...): parsing the same
    # records again, in another order, must give equal records.
    names = sorted(path.name for path in FIXTURES.glob("record-*.xml"))
    first = [_fixture(name) for name in names]
    assert [_fixture(name) for name in reversed(names)] == first[::-1]


def test_identifier_and_relation_schemes_compare_case_insensitively() -> None:
    dc = (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:identifier>HTTPS://DX.DOI.ORG/</dc:identifier>"  # a resolver, but no DOI: skipped
        "<dc:identifier>HTTP://j.example/article/view/7</dc:identifier>"
        "<dc:identifier>DOI: 10.1000/ABC</dc:identifier>"
        "<dc:relation>Https://j.example/article/view/7/9</dc:relation><dc:format>application/pdf</dc:format>"
        "</oai_dc:dc>"
    )
    article = parse_record(etree.fromstring(_RECORD.format(f"{_HEADER}<metadata>{dc}</metadata>"))).article
    assert article is not None
    assert (article.url, article.doi, article.ojs_id) == ("HTTP://j.example/article/view/7", "10.1000/abc", 5)
    assert article.galleys == (Galley("Https://j.example/article/view/7/9", None, "application/pdf"),)


# --- parse_source --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J; Vol. 12 No. 1 (2024): Issue title; 1-23", ("J", "12", "1", 2024, "Issue title", "1-23")),
        ("R; Vol. 5 Núm. 2 (2020)", ("R", "5", "2", 2020, None, None)),
        ("J; Vol 5, No 2 (2020)", ("J", "5", "2", 2020, None, None)),  # OJS 2
        ("Z; Bd. 3 Nr. 1 (2019): Heft; 7-9", ("Z", "3", "1", 2019, "Heft", "7-9")),
        ("Ж; Т. 4 № 2 (2021)", ("Ж", "4", "2", 2021, None, None)),
        ("J; v. 12 n. 1 (2024)", ("J", "12", "1", 2024, None, None)),
        ("J; Vol. 3 (2021)", ("J", "3", None, 2021, None, None)),
        ("J; No. 4 (2021)", ("J", None, "4", 2021, None, None)),
        ("J; (2021)", ("J", None, None, 2021, None, None)),
        ("J; 2018; 261", ("J", None, None, 2018, None, "261")),
        ("J; 20th Biennial Symposium", ("J", None, None, None, "20th Biennial Symposium", None)),
        ("J; Summer 2020: Heat; 3", ("J", None, None, None, "Summer 2020: Heat", "3")),
        ("J; Vol. IV No. 2 (1999)", ("J", "IV", "2", 1999, None, None)),
        (
            "J; No. 37 (2022): Proc. ICCE; management.73",
            ("J", None, "37", 2022, "Proc. ICCE", "management.73"),
        ),
        ("J ; Vol. 1 No. 1 (2025): J; 1-12", ("J", "1", "1", 2025, "J", "1-12")),
        ("J; Special: A; B; 3-4", ("J", None, None, None, "Special: A; B", "3-4")),
        ("J; ; e101", ("J", None, None, None, None, "e101")),
        ("J; ", ("J", None, None, None, None, None)),
        ("J", ("J", None, None, None, None, None)),
    ],
)
def test_parse_source(text: str, expected: tuple[Any, ...]) -> None:
    assert parse_source(text) == SourceParts(*expected)


# --- normalisers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None), ("", None), ("  \n\t ", None), ("  a \n b\tc  ", "a b c"),
        ("1947 &amp; 1951", "1947 & 1951"),
        ("p &lt; 0.05 &amp;lt;", "p < 0.05 &lt;"),  # unescaped once, never twice
        ("12&nbsp;%", "12 %"),
        ("2005&ndash;2022 &#8211; &#x2014;", "2005–2022 – —"),
        ("R&D and &para text &copy", "R&D and &para text &copy"),  # no ';': not a reference
    ],
)  # fmt: skip
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert nz.clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("&amp;amp; &amp;", "&amp; &"), ("a &amp;nbsp;b", "a &nbsp;b"),  # only "&amp;": the fast path
        ("&AMP; &amp;", "& &"), ("R&D; x &amp;y", "R&D; x &y"),
        ("&#1;", None), ("a&#1;", "a"),  # references to invalid code points decode to nothing
        (" a", "a"), ("a ", "a"), ("a\u2028b", "a b"), ("a\u00a0\u00a0b", "a b"), ("x\u200by", "x\u200by"),
    ],
)  # fmt: skip
def test_clean_text_fast_paths_agree_with_the_general_rule(raw: str, expected: str | None) -> None:
    assert nz.clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.5555/jsas.v1i1.1", "10.5555/jsas.v1i1.1"), ("10.5555/JSAS-2023(2)04", "10.5555/jsas-2023(2)04"),
        ("doi:10.1000/XYZ", "10.1000/xyz"), ("DOI: 10.1000/xyz", "10.1000/xyz"),
        ("https://doi.org/10.1000/ABC", "10.1000/abc"), ("http://dx.doi.org/10.1000/abc", "10.1000/abc"),
        ("https://doi.org/10.5555/a%28b%29", "10.5555/a(b)"), (" 10.1000/a.b ", "10.1000/a.b"),
        ("https://example.org/article/view/1", None), ("11.1000/abc", None), ("10.1000", None),
        ("", None), (None, None),
    ],
)  # fmt: skip
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert nz.normalize_doi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("http://orcid.org/0000-0002-1694-233X", "https://orcid.org/0000-0002-1694-233X"),
        ("orcid.org/0000-0002-1694-233X", "https://orcid.org/0000-0002-1694-233X"),
        ("0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X"),
        ("0000000218250097", "https://orcid.org/0000-0002-1825-0097"),
        ("0000-0002-1825-0098", None),  # wrong check digit
        ("https://example.org/0000-0002-1825-0097", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_normalize_orcid(raw: str | None, expected: str | None) -> None:
    assert nz.normalize_orcid(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2410-1303", "2410-1303"), ("1028-818x", "1028-818X"), ("24101303", "2410-1303"),
        ("ISSN 0589-087X", "0589-087X"), ("2410–1303", "2410-1303"),
        ("Journal of South Asian Studies", None), ("10.5555/jsas", None), (None, None),
    ],
)  # fmt: skip
def test_normalize_issn(raw: str | None, expected: str | None) -> None:
    assert nz.normalize_issn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Siddiqui, Ayesha", ("Ayesha Siddiqui", "Ayesha", "Siddiqui")),
        ("Pearson, J. M.", ("J. M. Pearson", "J. M.", "Pearson")),
        ("ناز, فرح", ("فرح ناز", "فرح", "ناز")),
        ("Nazeer", ("Nazeer", "Nazeer", None)),  # mononym: a given name only
        ("King, Martin Luther, Jr.", ("Martin Luther King Jr.", "Martin Luther", "King")),
        ("O&#039;Brien,  Zoë ", ("Zoë O'Brien", "Zoë", "O'Brien")),
        ("Smith,", ("Smith", None, "Smith")), ("", None), (None, None),
    ],
)  # fmt: skip
def test_split_creator(raw: str | None, expected: tuple[str, str | None, str | None] | None) -> None:
    assert nz.split_creator(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022", "2022"), ("2022-03", "2022-03"), ("2022-03-10", "2022-03-10"),
        ("2026-11-28T01:36:50Z", "2026-11-28"), ("2022-03-10 12:00:00", "2022-03-10"),
        ("2022-13-01", None), ("2023-02-30", None), ("0000", None), ("10 March 2022", None),
        ("", None), (None, None),
    ],
)  # fmt: skip
def test_iso_date(raw: str | None, expected: str | None) -> None:
    assert nz.iso_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eng", "en"), ("spa", "es"), ("fra", "fr"), ("fre", "fr"), ("deu", "de"), ("ger", "de"),
        ("por", "pt"), ("urd", "ur"), ("ara", "ar"), ("ind", "id"), ("tur", "tr"), ("rus", "ru"),
        ("en_US", "en"), ("en-US", "en"), ("fr_CA", "fr"), ("EN", "en"), ("pt-BR", "pt"),
        ("English", "en"), ("Español", "es"), ("fil", "fil"), ("XYZ", "xyz"), ("", None), (None, None),
    ],
)  # fmt: skip
def test_language_code(raw: str | None, expected: str | None) -> None:
    assert nz.language_code(raw) == expected


# --- recorded samples ----------------------------------------------------------------------


def _samples(*parts: str) -> Path:
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared samples not found at {path}")
    return path


def _ajpa_records() -> dict[str, Article]:
    """The articles of the recorded 3.5.0-1 site's oai_dc chain, by identifier."""
    records = [
        parse_record(element)
        for element in _jsas_oai_dc_chain(_samples("sites", "ajpa_ojs3.5.0-1"), "/en/oai")
    ]
    return {record.header.identifier: record.article for record in records if record.article}


def _jsas_oai_dc_chain(site: Path, path: str = "") -> list[etree._Element]:
    """Every <record> of the recorded ListRecords oai_dc chain (at an OAI path ending in
    ``path``), following its tokens."""
    lines = [json.loads(line) for line in (site / "index.jsonl").read_text().splitlines()]
    queries = [(line, parse_qs(line["query"])) for line in lines]
    starts = [
        line
        for line, q in queries
        if line["kind"] == "oai:ListRecords"
        and q["metadataPrefix"] == ["oai_dc"]
        and line["path"].endswith(path)
    ]
    tokens = {q["resumptionToken"][0]: line for line, q in queries if line["kind"] == "oai:ListRecords:token"}
    assert len(starts) == 1
    line, records = starts[0], list[etree._Element]()
    while True:
        root = etree.fromstring((site / line["body"]).read_bytes())
        records.extend(root.iter(f"{OAI}record"))
        token = root.find(f".//{OAI}resumptionToken")
        value = (token.text or "").strip() if token is not None else ""
        if not value:  # the last page: an empty token that still counts the whole list
            assert token is not None
            assert token.get("completeListSize") == str(len(records))
            return records
        line = tokens[value]  # a KeyError here means the recorded chain is broken


def _in_locale(values: dict[str, Any], locale: str) -> Any:
    return values.get(locale) or values.get("en_US")


def _no_space(text: str | None) -> str:
    return re.sub(r"\s", "", text or "")


def test_jsas_oai_dc_chain_matches_truth() -> None:
    site = _samples("sites", "jsas_ojs3.3.0-11")
    truth = json.loads((site / "truth.json").read_text())
    records = [parse_record(element, JSAS_SETS) for element in _jsas_oai_dc_chain(site)]
    by_id = {record.header.identifier: record for record in records}
    assert len(records) == len(by_id) == len(truth["articles"]) == 30
    issues = {issue["id"]: issue for issue in truth["issues"]}
    for expected in truth["articles"]:
        record = by_id[expected["oai_identifier"]]
        if expected["unpublished"]:  # A#17: a deleted header, no metadata
            assert record.header.deleted
            assert record.article is None
            continue
        journal = _in_locale(truth["journal"]["name"], expected["locale"])
        _assert_matches_truth(record.article, expected, issues[expected["issue_id"]], journal)


def _per_locale(values: dict[str, Any]) -> dict[str, Any]:
    """A truth.json per-locale value without its empty locales, keyed as the harvester keys them."""
    return {locale.replace("_", "-"): value for locale, value in values.items() if value}


def test_ajpa_oai_dc_keeps_every_language() -> None:
    # OJS 3.5.0-1, en + es: titles, keywords and author names per locale, as truth.json has them.
    site = _samples("sites", "ajpa_ojs3.5.0-1")
    truth = json.loads((site / "truth.json").read_text())
    by_id = {r.header.identifier: r for r in map(parse_record, _jsas_oai_dc_chain(site, "/en/oai"))}
    for expected in truth["articles"]:
        article = by_id[expected["oai_identifier"]].article
        if expected["unpublished"]:
            continue
        assert article is not None
        assert article.titles == _per_locale(expected["title_plain"]) or article.titles == _per_locale(
            expected["full_title"]
        ), expected["id"]
        assert article.title == article.titles[expected["locale"]]  # the submission locale's (#311: es)
        keywords = {lang: tuple(words) for lang, words in _per_locale(expected["keywords"]).items()}
        assert article.keywords_by_language == keywords
        assert article.keywords == keywords.get(expected["locale"], ())
        for author, person in zip(article.authors, expected["authors"], strict=True):
            assert author.given_names == _per_locale(person["given"]), expected["id"]
            assert author.family_names == _per_locale(person["family"]), expected["id"]


def _assert_matches_truth(
    article: Article | None, expected: dict[str, Any], issue: dict[str, Any], journal: str
) -> None:
    assert article is not None, expected["id"]
    locale = expected["locale"]  # A#12 is fr_CA: its first dc:title, source and keywords are French
    names = [
        " ".join(part for part in (_in_locale(a["given"], locale), _in_locale(a["family"], locale)) if part)
        for a in expected["authors"]
    ]
    assert article.title == _in_locale(expected["full_title"], locale)
    assert [author.name for author in article.authors] == names
    # OJS quirk 2: paragraphs run together in dc:description ("…the grain.Second…", A#3 and
    # A#27), so abstracts are compared with all whitespace removed.
    assert _no_space(article.abstract) == _no_space(_in_locale(expected["abstract_text"], locale))
    assert list(article.keywords) == (_in_locale(expected["keywords"], locale) or [])
    assert article.doi == (expected["doi"].lower() if expected["doi"] else None)  # DOIs compare lower-cased
    assert article.pages == (expected["pages"] or None)
    assert article.published == expected["date_published"]
    volume, title = str(issue["volume"]), _in_locale(issue["title"], locale)
    assert article.issue == IssueRef(journal, volume, issue["number"], issue["year"], title)
    assert (article.url, article.ojs_id) == (expected["url"], expected["id"])
    assert article.section == expected["section"]
    assert [(g.url, g.mime_type) for g in article.galleys] == [
        (g["view_url"], g["mime_type"]) for g in expected["galleys"]
    ]
    assert article.license_url == expected["license_url"]
    assert article.issns == ("2410-1303", "1028-818X")


def _tdl(name: str) -> OaiRecord:
    path = _samples("real", "tdl-ojs-oai-records", name)
    return parse_record(etree.parse(str(path)).getroot())


def test_every_tdl_record_parses() -> None:
    folder = _samples("real", "tdl-ojs-oai-records")
    records = [parse_record(etree.parse(str(path)).getroot()) for path in sorted(folder.glob("*.xml"))]
    assert len(records) == 7
    for record in records:
        assert record.article is None or all(
            (record.article.title, record.article.authors, record.article.url)
        )


def test_tdl_special_cases() -> None:
    deleted = _tdl("oai_awl-ojs-tamu.tdl.org_article_293.xml")
    assert (deleted.header.deleted, deleted.article) == (True, None)

    # A creator repeated per language (en, es) is one person; two ISSNs; an e-locator page.
    icce = _tdl("oai_icce-ojs-tamu.tdl.org_article_13031.xml").article
    assert icce is not None
    assert [a.name for a in icce.authors] == ["Justin Joseph Valdez", "Tomoya Shibayama", "Miguel Esteban"]
    # The es group has only the third author's name: it is placed on the third author.
    assert [sorted(a.given_names) for a in icce.authors] == [["en"], ["en"], ["en", "es"]]
    assert (icce.issns, icce.pages) == (("2156-1028", "0589-087X"), "management.73")
    title = "Proceedings of 37th Conference on Coastal Engineering, Sydney, Australia, 2022"
    assert icce.issue == IssueRef("Coastal Engineering Proceedings", None, "37", 2022, title)
    assert icce.license_url == "https://creativecommons.org/licenses/by/4.0"

    # A bare DOI identifier; a volume-only issue.
    awl = _tdl("oai_awl-ojs-tamu.tdl.org_article_10.xml").article
    assert awl is not None
    assert (awl.doi, awl.url) == ("10.21423/awlj-v37.a10", "https://awl-ojs-tamu.tdl.org/awl/article/view/10")
    assert awl.issue == IssueRef("Advancing Women in Leadership Journal", "37", None, 2017, None)
    assert awl.publisher == "Education Leadership Research Center, Texas A&M University"

    # A set spec naming another journal path than the host; a year-only issue.
    bovine = _tdl("oai_bovine-ojs-tamu.tdl.org_article_3152.xml")
    assert bovine.header.set_specs == ("aabp:RS",)
    assert bovine.article is not None
    assert (bovine.article.doi, bovine.article.ojs_id, bovine.article.pages) == (
        "10.21423/aabppro20183152",
        3152,
        "261",
    )
    journal = "American Association of Bovine Practitioners Conference Proceedings"  # double space collapsed
    assert bovine.article.issue == IssueRef(journal, None, None, 2018, None)

    # Spanish values: an es title alongside the en one; the en title stays primary.
    tndr = _tdl("oai_tndr-ojs-tamu.tdl.org_article_3.xml").article
    assert tndr is not None
    assert (set(tndr.titles), tndr.title) == ({"en", "es"}, tndr.titles["en"])
    assert tndr.issue == IssueRef("Texas New Deal Review", "1", "1", 2025, "Texas New Deal Review")
