"""Tests of the OJS issue archive parser: an OJS 2.4 fixture, the test site's archive pages in every
release it copies, the recorded OJS 3.5 site's pages and its 404 past them, and the recorded OJS 3.3
site's archive pages 1, 2 and the empty page 3 against its ground truth."""

from __future__ import annotations

import pytest

from harvester.model import ArchivePage
from harvester.parse.html import parse_archive_page
from tests.parse.test_html_article import FIXTURES, as_json, expected_for, recorded, recorded_body, shown
from tests.site.ojs_releases import RELEASES
from tests.site.ojs_site import OjsSite
from tests.site.replay import recorded_response
from tests.site.test_ojs_site import get, path_of

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


@pytest.mark.parametrize("release", list(RELEASES))
def test_the_test_sites_archive_pages_of_every_release(release: str) -> None:
    """Every archive page as each release renders it (3.5: links with the locale segment), and the
    page past the end: an empty list (200) or a 404, as the release answers."""
    with OjsSite.generate(
        journals=1, articles_per_journal=14, seed=3, archive_page_size=1, release=release
    ) as site:
        journal = site.journals["jsas"]
        pages = len(site.issues("jsas"))
        for number in range(1, pages + 2):
            url = f"{journal.page_url}/issue/archive/{number}"
            status, _, body = get(site, path_of(url))
            if number > pages:
                assert status == RELEASES[release].archive_past_end
            if status == 200:
                assert parse_archive_page(body, url) == site.expected_archive("jsas", number), url
        assert site.expected_archive("jsas", pages + 1) == ArchivePage()


def test_recorded_35_archive_pages_and_the_404_past_them() -> None:
    site = "ajpa_ojs3.5.0-1"
    origin = "http://127.0.0.1:8091/index.php/ajpa/en/issue"
    pages = [
        ("/archive", [19, 18], f"{origin}/archive/2"),
        ("/archive/2", [20, 21], f"{origin}/archive/3"),
        ("/archive/3", [22], None),
    ]
    for path, ids, following in pages:
        body = recorded_response(site, f"/index.php/ajpa/en/issue{path}")[2]
        page = parse_archive_page(body, f"{origin}{path}")
        assert ([issue.ojs_id for issue in page.issues], page.next_url) == (ids, following)
        assert all(issue.url == f"{origin}/view/{issue.ojs_id}" for issue in page.issues)
    status, _, body = recorded_response(site, "/index.php/ajpa/en/issue/archive/4")
    assert (status, body.strip()) == (404, b"<h1>404 Not Found</h1>")  # O1: the end, never a list


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
