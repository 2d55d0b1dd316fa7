"""Tests of the OJS issue table-of-contents parser: an OJS 2.4 fixture, the test site's issue pages in
every release it copies, a recorded OJS 3.5 page, and every issue page of the recorded OJS 3.3 site
against its ground truth."""

from __future__ import annotations

from typing import Any

import pytest

from harvester.model import IssuePage
from harvester.parse.html import parse_issue_page
from tests.parse.test_html_article import (
    FIXTURES,
    as_json,
    expected_for,
    recorded,
    recorded_body,
    recorded_site,
    shown,
    stored_paragraphs,
)
from tests.site.ojs_releases import RELEASES
from tests.site.ojs_site import OjsSite
from tests.site.replay import recorded_response
from tests.site.test_ojs_site import get, path_of

ISSUE_FIXTURES = sorted(path.name for path in FIXTURES.glob("issue-*.html"))
SECTION_ORDER = ["Articles", "Book Reviews"]  # the recorded journal's section order


def _fixture(name: str, url: str | None = None) -> IssuePage:
    return parse_issue_page((FIXTURES / name).read_bytes(), url or expected_for(name)["url"])


@pytest.mark.parametrize("name", ISSUE_FIXTURES)
def test_fixture_maps_every_field(name: str) -> None:
    """Each fixture's whole IssuePage equals its hand-checked ``.expected.json``."""
    assert as_json(_fixture(name)) == expected_for(name)["issue"]


def test_ojs2_issue_heading_title_and_unlinked_entries() -> None:
    page = _fixture("issue-ojs2-default.html")
    # OJS 2: "Vol 12, No 2 (2014)" in #main > h2, the title in the h3 below it.
    assert (page.issue.volume, page.issue.number, page.issue.year, page.issue.title) == (
        "12",
        "2",
        2014,
        "Water and the Commons",
    )
    # A review without an abstract has no title link in OJS 2; its galley link names it.
    review = page.articles[-1]
    assert (review.url, review.ojs_id, review.section) == (
        "http://journals.example.edu/index.php/jrs/article/view/120",
        120,
        "Book Reviews",
    )
    assert review.title == "Review: Tank Irrigation in South India, by David Mosse"


@pytest.mark.parametrize("release", list(RELEASES))
def test_the_test_sites_issue_pages_of_every_release(release: str) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=14, seed=3, release=release) as site:
        for issue in site.issues("jsas"):
            url = f"{site.journals['jsas'].page_url}/issue/view/{issue.id}"
            assert parse_issue_page(get(site, path_of(url))[2], url) == issue.expected_page(), url


def test_issue_fetched_as_current_takes_its_url_from_the_cover_link() -> None:
    # Where /issue/current is rendered rather than redirected, the page URL names no issue.
    with OjsSite.generate(journals=1, articles_per_journal=14, seed=3) as site:
        issue = next(issue for issue in site.issues("jsas") if issue.cover)
        body = get(site, path_of(issue.url()))[2]
        page = parse_issue_page(body, f"{site.journal_url('jsas')}/issue/current")
        assert (page.issue.url, page.issue.ojs_id) == (issue.url(), issue.id)


def test_recorded_35_issue_page_links_articles_with_the_locale_segment() -> None:
    url = "http://127.0.0.1:8091/index.php/ajpa/en/issue/view/20"
    page = parse_issue_page(recorded_response("ajpa_ojs3.5.0-1", "/index.php/ajpa/en/issue/view/20")[2], url)
    assert (page.issue.volume, page.issue.number, page.issue.year, page.issue.ojs_id) == ("2", "1", 2023, 20)
    assert page.issue.title == "Special Issue: Digital Government in Asia"
    assert [(entry.ojs_id, entry.pages) for entry in page.articles] == [
        (307, "1-22"),
        (308, "23-45"),
        (310, "53-70"),
    ]
    assert page.articles[0].url == "http://127.0.0.1:8091/index.php/ajpa/en/article/view/307"
    assert (page.sections, page.published) == (("Articles",), "2023-04-28")


# --- the recorded OJS 3.3 site -------------------------------------------------------------


def _truth_issue_ids() -> list[int]:
    found = recorded_site()
    return [issue["id"] for issue in found[1]["issues"]] if found else list(range(1, 7))


def _toc_order(truth: dict[str, Any], issue_id: int) -> list[dict[str, Any]]:
    articles = [a for a in truth["articles"] if a["issue_id"] == issue_id and not a["unpublished"]]
    return sorted(articles, key=lambda a: (SECTION_ORDER.index(a["section"]), a["seq"]))


@pytest.mark.parametrize("issue_id", _truth_issue_ids())
def test_recorded_issue_page_matches_truth(issue_id: int) -> None:
    _, truth, _ = recorded()
    expected = next(issue for issue in truth["issues"] if issue["id"] == issue_id)
    page = parse_issue_page(*recorded_body(f"/index.php/jsas/issue/view/{issue_id}"))
    primary = truth["journal"]["primary_locale"]
    assert (page.issue.volume, page.issue.number, page.issue.year, page.issue.title) == (
        str(expected["volume"]),
        expected["number"],
        expected["year"],
        shown(expected["title"], primary),
    )
    assert (page.issue.url, page.issue.ojs_id) == (expected["url"], issue_id)
    assert page.issue.journal_title == truth["journal"]["name"][primary]
    assert page.published == expected["date_published"]
    assert page.description == stored_paragraphs(shown(expected["description"], primary))
    assert page.cover_url is None
    toc = _toc_order(truth, issue_id)  # A#17 (unpublished) is in issue 4's data, not on its page
    assert [entry.ojs_id for entry in page.articles] == [a["id"] for a in toc]
    assert [(entry.url, entry.section, entry.pages) for entry in page.articles] == [
        (a["url"], a["section"], a["pages"] or None) for a in toc
    ]
    assert [entry.title for entry in page.articles] == [shown(a["full_title"], a["locale"]) for a in toc]
    assert page.sections == tuple(dict.fromkeys(a["section"] for a in toc))
