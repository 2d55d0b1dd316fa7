"""The normalised record: what a version stores and what its hash covers."""

from __future__ import annotations

import dataclasses
import json

from harvester.model import (
    Article,
    Author,
    Galley,
    IssueRef,
    Reference,
    encode_record,
    record_json,
)

FULL = Article(
    title="Remembering 1947",
    titles={"en-US": "Remembering 1947", "fr-CA": "Se souvenir de 1947"},
    subtitle="Archives of a Partition",
    subtitles={"en-US": "Archives of a Partition", "fr-CA": "Archives d'une partition"},
    authors=(
        Author(
            "Ayesha Siddiqui",
            "Ayesha",
            "Siddiqui",
            "LUMS",
            "0000-0002-1825-0097",
            "Historian.",
            given_names={"en-US": "Ayesha", "ur": "عائشہ"},
            family_names={"en-US": "Siddiqui"},
            affiliations={"en-US": ("LUMS", "Oxford"), "fr-CA": ("LUMS",)},
        ),
    ),
    abstract="Between 1947 & 1951…",
    abstracts={"en-US": "Between 1947 & 1951…"},
    keywords=("Partition", "memory"),
    keywords_by_language={"en-US": ("Partition", "memory"), "fr-CA": ("Partition", "mémoire")},
    publisher="JSAS",
    published="2022-03-10",
    doi="10.5555/jsas.v1i1.1",
    url="https://x.org/index.php/jsas/article/view/1",
    ojs_id=1,
    galleys=(
        Galley(
            "https://x.org/index.php/jsas/article/view/1/1",
            "PDF",
            "application/pdf",
            "https://x.org/index.php/jsas/article/download/1/1",
        ),
    ),
    language="en",
    rights="Copyright (c) 2022",
    license_url="https://creativecommons.org/licenses/by/4.0/",
    section="Articles",
    pages="1-23",
    issue=IssueRef(
        "JSAS", "1", "1", 2022, "Partition and Memory", "https://x.org/index.php/jsas/issue/view/1", 1
    ),
    issns=("2410-1303", "1028-818X"),
    types=("info:eu-repo/semantics/article",),
    how_to_cite="Siddiqui, A. (2022). Remembering 1947. JSAS, 1(1), 1-23.",
    references=(
        Reference("Butalia, U. (1998). The Other Side of Silence. New Delhi: Viking."),
        Reference(
            "Fukuyama, F. (2013). Governance, 26(3). https://doi.org/10.1111/gove.12035", "10.1111/gove.12035"
        ),
    ),
    doi_published="https://doi.org/10.1/JSAS.V1I1.1",
    identifier_problems=(("doi", "10.5555/a 10.5555/b", "two DOIs in one value"),),
)

# An OAI record as the first release stored it, and the hash it was stored with.
FIRST_RELEASE = Article(
    title="Remembering 1947",
    authors=(Author("Ayesha Siddiqui", "Ayesha", "Siddiqui"),),
    galleys=(Galley("https://x.org/index.php/jsas/article/view/1/1"),),
    issue=IssueRef("JSAS", "1", "1", 2022),
)
FIRST_RELEASE_HASH = "477c3d0a55394588343f1193c729b46d9614a6a4f84533adbd864942876305ef"


def test_record_json_is_every_field_of_the_model() -> None:
    # Guards the hand-written conversion: a field added to the model must reach the record.
    assert json.dumps(record_json(FULL)) == json.dumps(dataclasses.asdict(FULL))


def test_hash_follows_content_only() -> None:
    same = dataclasses.replace(FULL, titles=dict(FULL.titles))
    assert encode_record(record_json(same))[1] == encode_record(record_json(FULL))[1]
    edited = dataclasses.replace(FULL, title="Remembering 1947 (corrected)")
    assert encode_record(record_json(edited))[1] != encode_record(record_json(FULL))[1]
    text, digest = encode_record(record_json(FULL))
    assert json.loads(text) == json.loads(json.dumps(dataclasses.asdict(FULL)))
    assert digest == encode_record(record_json(FULL))[1]


def test_issue_key_and_identity() -> None:
    assert IssueRef("J", "12", "1", 2024, "Summer").key == "v12/n1/2024"
    assert IssueRef("J", None, None, 2024, "Summer").key == "y2024/Summer"
    assert not IssueRef("J").identified


def test_fields_added_later_keep_old_hashes() -> None:
    # Upgrading must not give every stored article a new version: fields added after the
    # first release are left out of the record while unset.
    data = record_json(FIRST_RELEASE)
    assert "subtitle" not in data and "how_to_cite" not in data
    assert "subtitles" not in data and "keywords_by_language" not in data and "references" not in data
    assert "bio" not in data["authors"][0] and "download_url" not in data["galleys"][0]
    assert not {"given_names", "family_names", "affiliations"} & set(data["authors"][0])
    assert "url" not in data["issue"] and "ojs_id" not in data["issue"]
    assert encode_record(data)[1] == FIRST_RELEASE_HASH
