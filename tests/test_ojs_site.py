"""Self-tests for the OJS OAI-PMH simulator (``ojs_site``) and the recording replayer (``replay``)."""

from __future__ import annotations

import html
import http.client
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import urlopen

import pytest
from lxml import etree
from ojs_site import GRANULARITY_DAYS, OjsSite, SimArticle
from replay import ReplaySite, samples_dir

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def fetch(url: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url?params``; returns status, headers and body, also for HTTP errors."""
    full = f"{url}?{urlencode(params)}" if params else url
    try:
        with urlopen(full, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as err:
        try:
            return err.code, dict(err.headers), err.read()
        finally:
            err.close()


def oai(site: OjsSite, journal: str = "jsas", **params: str) -> etree._Element:
    """An OAI response from the site, parsed strictly."""
    status, _, body = fetch(site.oai_url(journal), **params)
    assert status == 200
    return etree.fromstring(body)


def harvest(site: OjsSite, journal: str = "jsas", verb: str = "ListRecords", **params: str) -> list[Any]:
    """Follow the resumption-token chain; returns every page (parsed)."""
    pages = [oai(site, journal, verb=verb, metadataPrefix="oai_dc", **params)]
    while (token := pages[-1].findtext(f".//{OAI}resumptionToken")) and len(pages) < 50:
        pages.append(oai(site, journal, verb=verb, resumptionToken=token))
    return pages


def records(pages: list[Any]) -> list[Any]:
    """All ``record`` elements of a harvest."""
    return [rec for page in pages for rec in page.iter(f"{OAI}record")]


def identifiers(pages: list[Any]) -> list[str]:
    """The header identifiers of a harvest, in order."""
    return [h.findtext(f"{OAI}identifier") for page in pages for h in page.iter(f"{OAI}header")]


def error_code(root: Any) -> str | None:
    """The OAI error code of a response, if any."""
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def source_line(exp: dict[str, Any]) -> str:
    """The en-US ``dc:source`` line OJS writes for an expected article."""
    line = f"{exp['journal_title']}; Vol. {exp['volume']} No. {exp['number']} ({exp['year']})"
    line += f": {exp['issue_title']}" if exp["issue_title"] else ""
    return line + (f"; {exp['pages']}" if exp["pages"] else "")


def assert_matches(record: Any, art: SimArticle) -> None:
    """A live record's Dublin Core agrees with ``art.expected()``."""
    exp = art.expected()

    def texts(tag: str, lang: str | None = "any") -> list[str]:
        found = record.iter(f"{DC}{tag}")
        return [e.text or "" for e in found if lang == "any" or e.get(XML_LANG) == lang]

    assert texts("title", "en-US") == [exp["title"]]
    names = [f"{a['family']}, {a['given']}" if a["family"] else a["given"] for a in exp["authors"]]
    assert texts("creator") == names
    description = texts("description", "en-US")
    assert [html.unescape(d) for d in description] == ([exp["abstract"]] if exp["abstract"] else [])
    assert texts("subject", "en-US") == exp["keywords"]
    ids = texts("identifier")
    assert ids[0] == exp["url"]
    assert [i.lower() for i in ids[1:]] == ([exp["doi"]] if exp["doi"] else [])
    assert texts("source", "en-US") == [source_line(exp)]
    assert texts("source", None)[0] == exp["issn"]
    assert texts("date") == [exp["published"]]
    assert texts("relation") == [f"{exp['url']}/{gid}" for gid, _ in art.galleys]
    assert texts("format") == [mime for _, mime in art.galleys]


@pytest.fixture
def site() -> Iterator[OjsSite]:
    """A small generated site, served for one test."""
    with OjsSite.generate(journals=2, articles_per_journal=25, seed=1) as served:
        yield served


def test_generated_data_is_varied_and_deterministic() -> None:
    first = [a.expected() | {"url": None} for a in OjsSite.generate(seed=3).articles()]
    again = [a.expected() | {"url": None} for a in OjsSite.generate(seed=3).articles()]
    assert first == again
    arts = OjsSite.generate().articles("jsas")
    names = {a["name"] for art in arts for a in art.expected()["authors"]}
    assert {"Klaus Müller", "Zoë O'Brien", "Łukasz Wróbel", "عائشہ صدیقی", "Nazeer"} <= names
    assert any(a.doi is None for a in arts)
    assert any(a.doi for a in arts)
    assert any(not a.pages for a in arts)
    assert any(len(a.galleys) > 1 for a in arts)
    assert {a.section_abbrev for a in arts} == {"ART", "BR"}
    assert {a.issue_title is None for a in arts} == {True, False}
    assert any("&" in a.abstract and "<" in a.abstract for a in arts)
    assert len({a.id for a in OjsSite.generate(journals=3).articles()}) == 75


def test_identify_parses_strictly(site: OjsSite) -> None:
    root = oai(site, verb="Identify")
    ident = root.find(f"{OAI}Identify")
    assert ident.findtext(f"{OAI}baseURL") == site.oai_url("jsas")
    assert ident.findtext(f"{OAI}repositoryName") == "Journal of South Asian Studies"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    assert "3.3.0.11" in etree.tostring(ident).decode()
    earliest = min(a.datestamp for a in site.articles("jsas"))
    assert ident.findtext(f"{OAI}earliestDatestamp") == earliest.strftime(SECONDS)
    assert root.getroottree().docinfo.encoding == "UTF-8"


def test_full_chain_returns_every_article_once(site: OjsSite) -> None:
    pages = harvest(site)
    arts = site.articles("jsas")
    assert len(pages) == 3
    assert identifiers(pages) == [a.oai_identifier() for a in arts]
    last = pages[-1].find(f".//{OAI}resumptionToken")
    assert last.text is None
    assert (last.get("completeListSize"), last.get("cursor")) == ("25", "20")
    by_id = {a.oai_identifier(): a for a in arts}
    for record in records(pages):
        header = record.find(f"{OAI}header")
        art = by_id[header.findtext(f"{OAI}identifier")]
        assert header.findtext(f"{OAI}setSpec") == f"jsas:{art.section_abbrev}"
        if art.deleted:
            assert header.get("status") == "deleted"
            assert record.find(f"{OAI}metadata") is None
        else:
            assert_matches(record, art)
    assert identifiers(harvest(site, "mhc")) == [a.oai_identifier() for a in site.articles("mhc")]


def test_sets_and_list_identifiers(site: OjsSite) -> None:
    specs = [s.findtext(f"{OAI}setSpec") for s in oai(site, verb="ListSets").iter(f"{OAI}set")]
    assert specs == ["jsas", "jsas:ART", "jsas:BR"]
    reviews = [a.oai_identifier() for a in site.articles("jsas") if a.section_abbrev == "BR"]
    assert identifiers(harvest(site, set="jsas:BR")) == reviews
    listed = harvest(site, verb="ListIdentifiers")
    assert len(listed) == 1
    assert identifiers(listed) == [a.oai_identifier() for a in site.articles("jsas")]


def test_from_and_until_filtering(site: OjsSite) -> None:
    arts = site.articles("jsas")
    cut = sorted(a.datestamp for a in arts)[12]
    stamp, day = cut.strftime(SECONDS), cut.date().isoformat()
    cases: list[tuple[dict[str, str], Callable[[SimArticle], bool]]] = [
        ({"from": stamp}, lambda a: a.datestamp >= cut),
        ({"until": stamp}, lambda a: a.datestamp <= cut),
        ({"from": day, "until": day}, lambda a: a.datestamp.date() == cut.date()),
    ]
    for params, keep in cases:
        assert set(identifiers(harvest(site, **params))) == {a.oai_identifier() for a in arts if keep(a)}
    for value, code in (("2099-01-01", "noRecordsMatch"), ("yesterday", "badArgument")):
        assert error_code(oai(site, verb="ListRecords", metadataPrefix="oai_dc", **{"from": value})) == code


def test_day_granularity() -> None:
    with OjsSite.generate(journals=1, granularity=GRANULARITY_DAYS) as site:
        ident = oai(site, verb="Identify").find(f"{OAI}Identify")
        assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DD"
        stamps = [h.findtext(f"{OAI}datestamp") for h in harvest(site)[0].iter(f"{OAI}header")]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) for s in stamps)
        bad = oai(site, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2024-01-01T00:00:00Z"})
        assert error_code(bad) == "badArgument"


def test_edit_bumps_datestamp_and_appears_in_from_harvest(site: OjsSite) -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    edited = site.edit("jsas", 3, title="A Corrected Title & More")
    added = site.add_article("jsas", title="Brand New")
    assert edited.datestamp >= before
    pages = harvest(site, **{"from": before.strftime(SECONDS)})
    assert identifiers(pages) == [edited.oai_identifier(), added.oai_identifier()]
    for record, art in zip(records(pages), (edited, added), strict=True):
        assert_matches(record, art)


def test_delete_gives_deleted_header(site: OjsSite) -> None:
    site.delete("jsas", 2)
    root = oai(site, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:ojs.pkp.sfu.ca:article/2")
    header = root.find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert header.findtext(f"{OAI}setSpec") == "jsas:ART"
    assert root.find(f".//{OAI}metadata") is None
    assert site.article("jsas", 2).expected()["deleted"] is True
    missing = oai(site, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:ojs.pkp.sfu.ca:article/30")
    assert error_code(missing) == "idDoesNotExist"  # article 30 belongs to the other journal


def test_protocol_errors(site: OjsSite) -> None:
    assert error_code(oai(site, verb="Bogus")) == "badVerb"
    assert error_code(oai(site, verb="ListRecords")) == "badArgument"
    assert error_code(oai(site, verb="ListRecords", metadataPrefix="nope")) == "cannotDisseminateFormat"
    first = oai(site, verb="ListRecords", metadataPrefix="oai_dc")
    token = first.findtext(f".//{OAI}resumptionToken")
    site.expire_tokens()
    assert error_code(oai(site, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    prefixes = [p.text for p in oai(site, verb="ListMetadataFormats").iter(f"{OAI}metadataPrefix")]
    assert prefixes == ["oai_dc", "marcxml"]
    marc = oai(site, verb="GetRecord", metadataPrefix="marcxml", identifier="oai:ojs.pkp.sfu.ca:article/1")
    assert marc.find(".//{http://www.loc.gov/MARC21/slim}record") is not None


def test_truncate_next_produces_broken_xml(site: OjsSite) -> None:
    site.truncate_next()
    status, headers, body = fetch(site.oai_url("jsas"), verb="ListRecords", metadataPrefix="oai_dc")
    assert status == 200
    assert int(headers["Content-Length"]) == len(body)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    assert len(harvest(site)) == 3  # consumed: the next request is whole


def test_fail_next_gives_503_with_retry_after(site: OjsSite) -> None:
    site.fail_next(2, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    for _ in range(2):
        status, headers, _ = fetch(site.oai_url("jsas"), verb="Identify")
        assert status == 503
        assert headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert fetch(site.oai_url("jsas"), verb="Identify")[0] == 200
    assert [status for _, _, status in site.requests] == [503, 503, 200]


def test_control_chars_break_strict_parsing_only(site: OjsSite) -> None:
    site.edit("jsas", 1, control_chars=True)
    _, _, body = fetch(
        site.oai_url("jsas"),
        verb="GetRecord",
        metadataPrefix="oai_dc",
        identifier="oai:ojs.pkp.sfu.ca:article/1",
    )
    assert b"\x0b" in body
    assert b"\xff" in body
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)


def test_server_misbehaviour_switches(site: OjsSite) -> None:
    site.from_500 = True
    status, headers, body = fetch(
        site.oai_url("jsas"), verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2020-01-01"}
    )
    assert (status, body, headers["Content-Type"]) == (500, b"", "text/html; charset=UTF-8")
    site.from_500, site.ignore_from = False, True
    assert len(identifiers(harvest(site, **{"from": "2099-01-01"}))) == 25
    site.ignore_from, site.repeat_token = False, True
    first = oai(site, verb="ListRecords", metadataPrefix="oai_dc").findtext(f".//{OAI}resumptionToken")
    second = oai(site, verb="ListRecords", resumptionToken=first)
    assert second.findtext(f".//{OAI}resumptionToken") == first
    site.repeat_token, site.empty_pages = False, True
    empty = oai(site, verb="ListRecords", resumptionToken=first)
    assert not list(empty.iter(f"{OAI}record"))
    assert empty.findtext(f".//{OAI}resumptionToken")
    site.empty_pages, site.delay = False, 0.2
    started = time.monotonic()
    oai(site, verb="Identify")
    assert time.monotonic() - started >= 0.2


def test_replay_serves_recorded_identify_with_rewritten_origin() -> None:
    root = samples_dir()
    site_dir = root / "sites" / "jsas_ojs3.3.0-11" if root else None
    if site_dir is None or not site_dir.is_dir():
        pytest.skip("recorded OJS sites not found (expected ../shared/samples/sites/ next to the repository)")
    with ReplaySite(site_dir) as replay:
        status, _, body = fetch(replay.oai_url, verb="Identify")
        assert status == 200
        base = etree.fromstring(body).findtext(f".//{OAI}baseURL")
        assert base == f"{replay.base_url}/index.php/jsas/oai"
        assert b"127.0.0.1:8089" not in body
        status, _, _ = fetch(replay.oai_url, metadataPrefix="oai_dc", verb="ListRecords")  # order-insensitive
        assert status == 200
        status, _, body = fetch(replay.oai_url, verb="Nope")
        assert (status, body) == (404, b"<h1>404 Not Found</h1>")
        conn = http.client.HTTPConnection(urlsplit(replay.base_url).netloc, timeout=10)
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            assert response.status == 302
            assert response.getheader("Location") == replay.journal_url
        finally:
            conn.close()
        assert [path for path, _, _ in replay.requests][:2] == ["/index.php/jsas/oai"] * 2
