"""Galley view pages → the file they show: OJS 2 fixtures, the local site's pages, and the recorded
OJS 3.3 and 3.5 sites' real pdf.js and HTML galley pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harvester.errors import PageError
from harvester.parse.html.viewer import viewer_file_url
from tests.parse.test_html_article import FIXTURES, expected_for, recorded
from tests.site import pages
from tests.site.ojs_site import OjsSite
from tests.site.replay import recorded_response, samples_dir
from tests.site.routes import NOT_FOUND

VIEWER_FIXTURES = sorted(path.name for path in FIXTURES.glob("viewer-*.html"))


@pytest.mark.parametrize("name", VIEWER_FIXTURES)
def test_viewer_page_names_its_file(name: str) -> None:
    expected = expected_for(name)
    assert viewer_file_url((FIXTURES / name).read_bytes(), expected["url"]) == expected["file_url"]


def test_login_and_not_found_pages_raise_with_their_reason() -> None:
    journal = OjsSite.generate(journals=1, articles_per_journal=1, seed=2).journals["jsas"]
    login = pages.login_page(journal, "/index.php/jsas/article/view/1/1").encode()
    url = "https://j.example/index.php/jsas/login?source=%2Findex.php%2Fjsas%2Farticle%2Fview%2F1%2F1"
    with pytest.raises(PageError, match="login form"):
        viewer_file_url(login, url)
    with pytest.raises(PageError, match="not found"):
        viewer_file_url(NOT_FOUND, "https://j.example/index.php/jsas/article/view/1/99")


def test_recorded_35_pdfjs_pages_name_the_file_with_or_without_the_download_link() -> None:
    # Real 3.5.0-1 pdf.js pages (plain pdfUrl, quirk 14); with the header's download link taken out
    # (a theme that hides it), the file is still found through pdfUrl.
    truth = json.loads(Path(_ajpa_dir(), "truth.json").read_text(encoding="utf-8"))
    origin = truth["site"]["origin"]
    for galley in (g for a in truth["articles"] if not a["unpublished"] for g in a["galleys"]):
        if galley["mime_type"] != "application/pdf":
            continue
        body = recorded_response("ajpa_ojs3.5.0-1", galley["view_url"].removeprefix(origin))[2]
        wanted = galley["download_file_url"]
        assert viewer_file_url(body, galley["view_url"]) == wanted
        hidden = re.sub(rb'<a href="[^"]*" class="download"', b'<a class="download"', body)
        assert hidden != body
        assert viewer_file_url(hidden, galley["view_url"]) == wanted


def _ajpa_dir() -> Path:
    root = samples_dir()
    if root is None or not (root / "sites" / "ajpa_ojs3.5.0-1").is_dir():
        pytest.skip("recorded OJS 3.5.0-1 site not found (../shared/samples/sites)")
    return root / "sites" / "ajpa_ojs3.5.0-1"


def test_local_site_viewers_name_the_download() -> None:
    with OjsSite.generate(journals=1, articles_per_journal=12, seed=2) as site:
        galleys = [(art, gid, mime) for art in site.articles("jsas") for gid, mime in art.galleys]
        kinds = {mime for _, _, mime in galleys}
        assert {"application/pdf", "text/html"} <= kinds
        for art, gid, mime in galleys:
            if mime == "application/pdf":
                page, want = pages.pdf_view_page(art, gid), art.download_url(gid, file=True)
            elif mime == "text/html":
                page, want = pages.html_view_page(art, gid), f"{art.download_url(gid)}?inline=1"
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
