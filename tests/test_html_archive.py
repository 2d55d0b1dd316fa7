"""Tests of the OJS issue archive parser: own fixtures (OJS 2.4, 3.4) and the recorded
OJS 3.3 site's archive pages 1, 2 and the empty page 3 against its ground truth."""

from __future__ import annotations

import pytest
from test_html_article import FIXTURES, as_json, expected_for, recorded, recorded_body, shown

from harvester.model import ArchivePage
from harvester.parse.html import parse_archive_page

ARCHIVE_FIXTURES = sorted(path.name for path in FIXTURES.glob("archive-*.html"))


def _fixture(name: str) -> ArchivePage:
    return parse_archive_page((FIXTURES / name).read_bytes(), expected_for(name)["url"])


@pytest.mark.parametrize("name", ARCHIVE_FIXTURES)
def test_fixture_maps_every_field(name: str) -> None:
    """Each fixture's whole ArchivePage equals its hand-checked ``.expected.json``."""
    assert as_json(_fixture(name)) == expected_for(name)["archive"]


def test_ojs2_archive_identifications_and_next_page() -> None:
    page = _fixture("archive-ojs2-default.html")
    assert [(i.volume, i.number, i.year, i.title, i.ojs_id) for i in page.issues] == [
        ("12", "2", 2014, "Water and the Commons", 31),
        ("12", "1", 2014, None, 30),
        # A title-only identification: no year, though the list's "2013" heading is above it;
        # oai_dc's dc:source has none either, and the issue key must agree with it.
        (None, None, None, "Special Issue on Pastoralism", 28),
    ]
    # OJS 2 page_links: the next page is the ">" link; its #issues fragment is dropped.
    assert page.next_url == "http://journals.example.edu/index.php/jrs/issue/archive?issuesPage=2"


def test_ojs34_archive_series_line_and_custom_path() -> None:
    page = _fixture("archive-ojs34-default.html")
    first, special, untitled = page.issues
    assert (first.title, first.volume, first.number, first.year) == ("Borders and Belonging", "4", "1", 2024)
    assert (special.title, special.ojs_id) == ("Special Issue: Languages of the Subcontinent", None)
    assert (untitled.title, untitled.volume, untitled.number) == (None, "3", "2")
    assert page.next_url == "https://jsas.example.org/index.php/jsas/issue/archive/2"


def test_archive_page_past_the_end_is_empty_not_an_error() -> None:
    assert _fixture("archive-ojs34-past-end.html") == ArchivePage()


# --- the recorded OJS 3.3 site -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "issue_ids", "next_path"),
    [
        ("/index.php/jsas/issue/archive", [1, 2, 3, 4], "/index.php/jsas/issue/archive/2"),
        ("/index.php/jsas/issue/archive/2", [5, 6], None),
        ("/index.php/jsas/issue/archive/3", [], None),  # README quirk 7: 200, empty list
    ],
)
def test_recorded_archive_page_matches_truth(path: str, issue_ids: list[int], next_path: str | None) -> None:
    _, truth, _ = recorded()
    origin = truth["site"]["origin"]
    page = parse_archive_page(*recorded_body(path))
    primary = truth["journal"]["primary_locale"]
    by_id = {issue["id"]: issue for issue in truth["issues"]}
    assert [
        (issue.ojs_id, issue.url, issue.volume, issue.number, issue.year, issue.title)
        for issue in page.issues
    ] == [
        (
            issue_id,
            by_id[issue_id]["url"],
            str(by_id[issue_id]["volume"]),
            by_id[issue_id]["number"],
            by_id[issue_id]["year"],
            shown(by_id[issue_id]["title"], primary),
        )
        for issue_id in issue_ids
    ]
    assert page.next_url == (origin + next_path if next_path else None)


def test_recorded_archive_pages_list_every_issue_once() -> None:
    _, truth, _ = recorded()
    paths = ["/index.php/jsas/issue/archive", "/index.php/jsas/issue/archive/2"]
    listed = [issue.ojs_id for path in paths for issue in parse_archive_page(*recorded_body(path)).issues]
    assert sorted(listed) == sorted(issue["id"] for issue in truth["issues"])
    assert len(listed) == len(set(listed)) == truth["counts"]["issues"]
