"""Masking secrets in any text: URL passwords and secret-looking query values."""

from __future__ import annotations

import pytest

from harvester.redact import host_of, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://ann:s3cret@j.example.org/oai", "https://ann:***@j.example.org/oai"),
        (
            "GET http://j.org/oai?verb=Identify&password=s3cret: 503",
            "GET http://j.org/oai?verb=Identify&password=***: 503",
        ),
        ("http://j.org/x?api_key=s3cret&a=1", "http://j.org/x?api_key=***&a=1"),
        ("http://j.org/x?accessToken=s3cret#top", "http://j.org/x?accessToken=***#top"),
        ('{"message": "http://j.org/x?pwd=s3cret"}', '{"message": "http://j.org/x?pwd=***"}'),
        ("postgresql+psycopg://harvester:s3cret@db:5432/h", "postgresql+psycopg://harvester:***@db:5432/h"),
        ("https://ann@j.org/oai?verb=ListRecords&set=a:b", "https://ann@j.org/oai?verb=ListRecords&set=a:b"),
    ],
)
def test_secrets_are_masked_and_nothing_else_changes(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_host_of_leaves_the_user_info_out() -> None:
    assert host_of("https://ann:s3cret@j.example.org:8443/oai") == "j.example.org:8443"
    assert host_of("https://j.example.org/oai") == "j.example.org"
