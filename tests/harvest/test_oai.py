"""The OAI-PMH layer: strict parsing with recorded repairs, and real OJS answers mapped right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harvester.config import HttpSettings
from harvester.errors import BadResumptionToken, BadVerb, BrokenResponseError, CannotDisseminateFormat
from harvester.fetch.client import HttpClient
from harvester.harvest.datestamps import incremental_from, parse_datestamp
from harvester.harvest.oai import OaiClient, Window, repair_payload
from harvester.harvest.oai_pages import OAI_NS, sniff_token, token_of
from harvester.harvest.oai_quirks import parse_strict
from tests.site.replay import ReplaySite, recorded_site_dir

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-28T01:41:54Z</responseDate>
<ListRecords><record><header><identifier>oai:x:article/1</identifier><datestamp>2026-11-28T01:36:50Z</datestamp>
</header><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>TITLE</dc:title></oai_dc:dc></metadata></record>
</ListRecords></OAI-PMH>"""


def _page_with_title(title: bytes) -> bytes:
    return PAGE.replace(b"TITLE", title)


def test_well_formed_page_is_parsed_as_is() -> None:
    content, tree, repairs = parse_strict(_page_with_title(b"Plain"), "test")
    assert repairs == ()
    assert content == _page_with_title(b"Plain")
    assert tree.findtext(".//{http://purl.org/dc/elements/1.1/}title") == "Plain"


@pytest.mark.parametrize(
    ("title", "expected", "repair"),
    [
        (b"Tab\x0bulated\x1f", "Tabulated", "2 XML-illegal control character(s) removed"),
        (b"Ref&#11;erence&#x1F;", "Reference", "2 XML-illegal control character(s) removed"),
        (b"Caf\xe9", "Caf\ufffd", "invalid UTF-8 replaced"),
    ],
)
def test_broken_characters_are_repaired_and_reported(title: bytes, expected: str, repair: str) -> None:
    _, tree, repairs = parse_strict(_page_with_title(title), "test")
    assert tree.findtext(".//{http://purl.org/dc/elements/1.1/}title") == expected
    assert repair in repairs


def test_repair_leaves_legal_text_alone() -> None:
    page = _page_with_title("Tab\tnewline\n&#9; &#xA; ü".encode())
    assert repair_payload(page) == (page, ())


@pytest.mark.parametrize("cut", [100, len(PAGE) // 2, len(PAGE) - 10])
def test_truncated_page_is_an_error_never_a_short_page(cut: int) -> None:
    with pytest.raises(BrokenResponseError, match="broken XML"):
        parse_strict(PAGE[:cut], "http://x/oai (ListRecords)")


@pytest.mark.parametrize("site", ["jsas_ojs3.3.0-11", "ajpa_ojs3.5.0-1"])
def test_the_token_guessed_off_real_ojs_pages_is_the_parsed_one(site: str) -> None:
    """Real ListRecords pages (3.5.0-1 writes the token's attributes over several lines: the
    recorded ajpa_ojs3.5.0-1 responses/0205.body)."""
    bodies = sorted((recorded_site_dir(site) / "responses").glob("*.body"))
    pages = [body.read_bytes() for body in bodies if b"<ListRecords>" in body.read_bytes()]
    paged = [page for page in pages if b"<resumptionToken" in page]
    assert paged
    for page in pages:
        _, tree, _ = parse_strict(page, site)
        expected, _ = token_of(tree.find(f"{OAI_NS}ListRecords/{OAI_NS}resumptionToken"))
        assert sniff_token(page) == expected


@pytest.mark.parametrize(
    ("tail", "token"),
    [
        (b'<resumptionToken completeListSize="25" cursor="0">4f2a </resumptionToken>', "4f2a"),
        (b"<oai:resumptionToken>x.y-1</oai:resumptionToken >", "x.y-1"),
        (b'<resumptionToken completeListSize="25" cursor="20"/>', None),  # the last page
        (b"<resumptionToken>  </resumptionToken>", None),
        (b"<resumptionToken>a&amp;b</resumptionToken>", None),  # left to the parser
        (b"<resumptionToken><![CDATA[abc]]></resumptionToken>", None),
        (b"<resumptionToken>\xff\xfe</resumptionToken>", None),
        (b"", None),
    ],
)
def test_the_token_is_guessed_off_the_raw_bytes_or_not_at_all(tail: bytes, token: str | None) -> None:
    page = _page_with_title(b"T").replace(b"</ListRecords>", tail + b"</ListRecords>")
    assert sniff_token(page) == token


@pytest.mark.parametrize(
    "stamp",
    ["2026-11-28T01:00:00Z", "2026-11-28T01:00:00.000Z", "2026-11-28T02:00:00+01:00", "2026-11-28T01:00:00"],
)
def test_datestamp_forms_servers_send(stamp: str) -> None:
    assert parse_datestamp(stamp) == datetime(2026, 11, 28, 1, tzinfo=UTC)


def test_not_a_datestamp() -> None:
    with pytest.raises(BrokenResponseError, match="not an OAI datestamp"):
        parse_datestamp("yesterday")


def test_incremental_window_starts_an_overlap_before_the_mark() -> None:
    assert incremental_from("2026-11-28T01:00:00Z", timedelta(hours=1), "YYYY-MM-DDThh:mm:ssZ") == (
        "2026-11-28T00:00:00Z"
    )
    assert incremental_from("2026-11-28T00:30:00Z", timedelta(hours=1), "YYYY-MM-DD") == "2026-11-27"


@pytest.fixture
def oai() -> Iterator[OaiClient]:
    site_dir = recorded_site_dir("jsas_ojs3.3.0-11")
    with ReplaySite(Path(site_dir)) as site, HttpClient(HttpSettings(requests_per_second=200)) as http:
        yield OaiClient(site.oai_url, http)


def test_identify_of_a_real_ojs33(oai: OaiClient) -> None:
    info = oai.identify()
    assert info.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert info.repository_identifier == "ojs.pkp.sfu.ca"
    assert info.software_version == "3.3.0.11"
    assert info.deleted_record == "persistent"


def test_sets_and_formats_of_a_real_ojs33(oai: OaiClient) -> None:
    assert oai.list_sets() == {
        "jsas": "Journal of South Asian Studies",
        "jsas:ART": "Articles",
        "jsas:BR": "Book Reviews",
    }
    assert {"oai_dc", "marcxml"} <= set(oai.list_metadata_formats())


def test_no_records_match_is_one_empty_last_page(oai: OaiClient) -> None:
    (page,) = list(oai.pages(Window("oai_dc", from_="2099-01-01")))
    assert page.records == []
    assert page.last
    assert page.response_date.startswith("20")  # the server's own responseDate


def test_real_error_answers_map_to_their_exceptions(oai: OaiClient) -> None:
    sickle = oai._sickle
    with pytest.raises(BadResumptionToken):
        sickle.harvest(verb="ListRecords", resumptionToken="0123456789abcdef0123456789abcdef")
    with pytest.raises(CannotDisseminateFormat):
        sickle.harvest(verb="ListRecords", metadataPrefix="nope")
    with pytest.raises(BadVerb):
        sickle.harvest(verb="Bogus")


def test_a_bad_token_restarts_the_window_from_its_first_page(oai: OaiClient) -> None:
    expired = "0123456789abcdef0123456789abcdef"  # recorded: OJS answers badResumptionToken
    pages = list(oai.pages(Window("oai_dc"), token=expired))
    assert [len(page.records) for page in pages] == [10, 10, 10]
    assert pages[0].records[0].header.identifier == "oai:ojs.pkp.sfu.ca:article/1"
