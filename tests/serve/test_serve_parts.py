"""The provider's pure parts: oai_dc of a row, section set specs, resumption tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from lxml import etree
from oaipmh.error import BadResumptionTokenError

from harvester.serve.dublin_core import XML_LANG, dublin_core, write_oai_dc
from harvester.serve.provider import section_slug
from harvester.serve.tokens import Cursor, TokenCodec, _b64, _unb64

NOW = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "title": "Water: A History",  # the store keeps full titles (the subtitle too)
        "titles": {"en": "Water: A History", "fr-CA": "L'eau"},
        "subtitles": {"en": "A History"},
        "authors": [
            {"name": "Ana Silva", "given": "Ana", "family": "Silva"},
            {"name": "Nazeer", "given": "Nazeer", "given_names": {"en": "Nazeer", "fr-CA": "Nazir"}},
        ],
        "keywords": ["rivers"],
        "keywords_by_language": {"en": ["rivers"], "fr-CA": ["rivières"]},
        "abstract": "Plain.\x0b",
        "abstracts": {},
        "journal_title": "Journal of Water",
        "published": "2024-05-01",
        "url": "https://j.example/article/view/3",
        "doi": "10.1/x",
        "volume": "4",
        "number": None,
        "year": 2024,
        "pages": "5-9",
        "issn": "1234-5678",
        "language": "en",
    }
    return row | changes


def test_dublin_core_keeps_every_language_and_falls_back_without_one() -> None:
    elements = dict(dublin_core(_row()))
    assert elements["title"] == [("Water: A History", "en"), ("L'eau", "fr-CA")]
    assert elements["creator"] == [("Silva, Ana", None), ("Nazeer", "en"), ("Nazir", "fr-CA")]
    assert elements["subject"] == [("rivers", "en"), ("rivières", "fr-CA")]
    assert elements["description"] == [("Plain.\x0b", None)]
    assert elements["source"] == [("Journal of Water; Vol. 4 (2024); 5-9", None), ("1234-5678", None)]
    assert elements["identifier"] == [("https://j.example/article/view/3", None), ("10.1/x", None)]
    assert dict(dublin_core(_row(titles={}, doi=None)))["title"] == [("Water: A History", None)]


def test_written_oai_dc_has_xml_lang_and_no_xml_illegal_characters() -> None:
    metadata = etree.Element("metadata")
    write_oai_dc(metadata, _row())
    text = etree.tostring(metadata, encoding="unicode")
    parsed = etree.fromstring(text)
    langs = [e.get(XML_LANG) for e in parsed.iter("{http://purl.org/dc/elements/1.1/}title")]
    assert langs == ["en", "fr-CA"]
    assert "Plain.</dc:description>" in text


def test_section_slugs_are_set_spec_characters_and_stable() -> None:
    assert section_slug("Book Reviews") == "book-reviews"
    assert section_slug("Artículos de investigación") == "articulos-de-investigacion"
    cyrillic = section_slug("Статьи")
    assert cyrillic == section_slug("Статьи") and cyrillic.startswith("s") and cyrillic.isalnum()
    assert cyrillic != section_slug("Рецензии")


def _cursor(**changes: Any) -> Cursor:
    values: dict[str, Any] = {
        "verb": "ListRecords",
        "metadata_prefix": "oai_dc",
        "set_spec": "jsas:articles",
        "since": "2026-01-01T00:00:00Z",
        "until": None,
        "after": (NOW, 42),
        "sent": 100,
        "expires": NOW + timedelta(days=1),
        "size": 1234,
    }
    return Cursor(**(values | changes))


def test_a_token_decodes_to_its_cursor_exactly() -> None:
    codec = TokenCodec(b"key")
    token = codec.encode(_cursor())
    assert codec.decode(token, "ListRecords", NOW) == _cursor(
        expires=(NOW + timedelta(days=1)).replace(microsecond=0)
    )


def test_a_token_issued_before_the_size_was_carried_still_resumes() -> None:
    """Tokens in clients' hands when the server is upgraded: nine fields, no list size (the
    next page counts it again)."""
    codec = TokenCodec(b"key")
    fields = orjson.loads(_unb64(codec.encode(_cursor()).partition(".")[0]))[:9]
    payload = _b64(orjson.dumps(fields))
    cursor = codec.decode(f"{payload}.{codec._tag(payload)}", "ListRecords", NOW)
    assert cursor == _cursor(size=None, expires=(NOW + timedelta(days=1)).replace(microsecond=0))


@pytest.mark.parametrize(
    ("token", "verb", "now", "message"),
    [
        (TokenCodec(b"other").encode(_cursor()), "ListRecords", NOW, "not one this repository issued"),
        ("", "ListRecords", NOW, "not one this repository issued"),
        (TokenCodec(b"key").encode(_cursor()), "ListIdentifiers", NOW, "continues ListRecords"),
        (TokenCodec(b"key").encode(_cursor()), "ListRecords", NOW + timedelta(days=2), "expired"),
    ],
)
def test_foreign_wrong_verb_and_expired_tokens_are_refused(
    token: str, verb: str, now: datetime, message: str
) -> None:
    with pytest.raises(BadResumptionTokenError, match=message):
        TokenCodec(b"key").decode(token, verb, now)


def test_a_signed_but_damaged_payload_is_refused() -> None:
    codec = TokenCodec(b"key")
    payload = "bm90IGpzb24"  # base64 of "not json"
    token = f"{payload}.{codec._tag(payload)}"
    with pytest.raises(BadResumptionTokenError, match="damaged"):
        codec.decode(token, "ListRecords", NOW)
