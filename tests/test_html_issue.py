"""Tests of the OJS issue table-of-contents parser: own fixtures (OJS 2.4, 3.4) and every
issue page of the recorded OJS 3.3 site against its ground truth."""

from __future__ import annotations

from typing import Any

import pytest
from test_html_article import (
    FIXTURES,
    as_json,
    expected_for,
    recorded,
    recorded_body,
    recorded_site,
    shown,
    stored_paragraphs,
)

from harvester.model import IssuePage
from harvester.parse.html import parse_issue_page

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


def test_ojs34_issue_toc_titles_subtitles_and_url_paths() -> None:
    page = _fixture("issue-ojs34-default.html")
    assert [entry.title for entry in page.articles] == [
        "The Realpolitik of Partition: Sovereignty and the Princely States, 1947–1948",
        "Monsoon Ledgers: Credit Cooperatives in Sindh",
        "Review: The Great Partition, by Yasmin Khan",
    ]
    assert [entry.ojs_id for entry in page.articles] == [41, None, 43]  # a custom URL path has no id
    assert page.sections == ("Articles", "Book Reviews")
    assert (page.published, page.cover_url) == (
        "2024-02-15",
        "https://jsas.example.org/public/journals/1/cover_issue_7_en.png",
    )


def test_issue_fetched_as_current_takes_its_url_from_the_cover_link() -> None:
    # Where /issue/current is rendered rather than redirected, the page URL names no issue.
    page = _fixture("issue-ojs34-default.html", "https://jsas.example.org/index.php/jsas/issue/current")
    assert (page.issue.url, page.issue.ojs_id) == ("https://jsas.example.org/index.php/jsas/issue/view/7", 7)


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
