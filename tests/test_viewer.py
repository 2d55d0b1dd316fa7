"""Galley view pages → the file they show: own fixtures per OJS version and viewer, the local
site's pages, and the recorded OJS 3.3 site's real pdf.js and HTML galley pages."""

from __future__ import annotations

import json
from pathlib import Path

import ojs_html
import pytest
from ojs_site import OjsSite
from test_html_article import FIXTURES, expected_for, recorded

from harvester.errors import PageError
from harvester.parse.html.viewer import viewer_file_url

VIEWER_FIXTURES = sorted(path.name for path in FIXTURES.glob("viewer-*.html"))


@pytest.mark.parametrize("name", VIEWER_FIXTURES)
def test_viewer_page_names_its_file(name: str) -> None:
    expected = expected_for(name)
    assert viewer_file_url((FIXTURES / name).read_bytes(), expected["url"]) == expected["file_url"]


@pytest.mark.parametrize("name", ["login-page.html", "not-found-200.html"])
def test_login_and_not_found_pages_raise_with_their_reason(name: str) -> None:
    expected = expected_for(name)
    with pytest.raises(PageError) as caught:
        viewer_file_url((FIXTURES / name).read_bytes(), expected["url"])
    assert expected["reason_contains"] in caught.value.reason


def test_local_site_viewers_name_the_download() -> None:
    with OjsSite.generate(journals=1, articles_per_journal=12, seed=2) as site:
        galleys = [(art, gid, mime) for art in site.articles("jsas") for gid, mime in art.galleys]
        kinds = {mime for _, _, mime in galleys}
        assert {"application/pdf", "text/html"} <= kinds
        for art, gid, mime in galleys:
            if mime == "application/pdf":
                page, want = ojs_html.pdf_view_page(art, gid), art.download_url(gid, file=True)
            elif mime == "text/html":
                page, want = ojs_html.html_view_page(art, gid), f"{art.download_url(gid)}?inline=1"
            else:
                continue  # no viewer: the view URL redirects to the file
            assert viewer_file_url(page.encode(), art.galley_url(gid)) == want


def test_recorded_site_viewers_name_the_recorded_downloads() -> None:
    site, truth, rows = recorded()
    origin = json.loads((site / "site.json").read_text(encoding="utf-8"))["origin"].rstrip("/")
    checked = 0
    for article in truth["articles"]:
        for galley in article["galleys"]:
            path = galley["view_url"].removeprefix(origin)
            row = rows.get(path)
            if row is None or row["status"] != 200:
                continue
            found = viewer_file_url(Path(site, row["body"]).read_bytes(), galley["view_url"])
            assert found is not None, path
            # pdf.js (JSON-escaped pdfUrl, quirk 14): /download/ID/GALLEY/FILE; HTML (quirk 13): ?inline=1
            assert found.startswith(galley["download_url"]), (found, galley["download_url"])
            if galley["mime_type"] == "text/html":
                assert found == f"{galley['download_url']}?inline=1"
            else:
                assert found == f"{galley['download_url']}/{galley['submission_file_id']}"
            checked += 1
    assert checked >= 29
