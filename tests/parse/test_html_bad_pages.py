"""Pages that are not the page asked for raise ``PageError`` with a reason naming the problem.

For each of the three parsers: a login page and a truncated article page as the test OJS site
renders them (copies of the recorded 3.3.0-11 install's), OJS's bare 404 body served with 200, a
foreign page; pages of the wrong kind; and the recorded OJS 3.3 site's real 404 bodies and login
redirect target.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harvester.errors import PageError, PermanentError
from harvester.model import ArchivePage, Article, IssuePage
from harvester.parse.html import parse_archive_page, parse_article_page, parse_issue_page
from tests.parse.test_html_article import FIXTURES, expected_for, recorded
from tests.site import pages
from tests.site.ojs_site import OjsSite

Parser = Callable[[bytes, str], Article | IssuePage | ArchivePage]
PARSERS: list[Parser] = [parse_article_page, parse_issue_page, parse_archive_page]
BASE = "https://jsas.example.org/index.php/jsas"
_SITE = OjsSite.generate(journals=1, articles_per_journal=6, seed=2)  # rendered, never served
_JOURNAL = _SITE.journals["jsas"]
_ARTICLE = _JOURNAL.articles[0]


def _article_page() -> bytes:
    return pages.article_page(_ARTICLE, _JOURNAL.issue(_ARTICLE.issue_id or 0)).encode()


def _truncated() -> bytes:
    page = _article_page()
    return page[: len(page) // 2]


BAD_PAGES: dict[str, tuple[Callable[[], bytes], str, str]] = {  # name: (page, URL, reason)
    "login": (
        lambda: pages.login_page(_JOURNAL, "/index.php/jsas/issue/view/99999").encode(),
        f"{BASE}/login?source=%2Findex.php%2Fjsas%2Fissue%2Fview%2F99999",
        "login form",
    ),
    "not-found-200": (
        (FIXTURES / "not-found-200.html").read_bytes,
        f"{BASE}/article/view/99999",
        "not found",
    ),
    "article-truncated": (_truncated, f"{BASE}/article/view/1", "truncated"),
    "not-ojs": (
        (FIXTURES / "not-ojs.html").read_bytes,
        "https://agrarian.example.net/2024/01/call-for-papers/",
        "not an OJS",
    ),
}


@pytest.mark.parametrize("parser", PARSERS, ids=lambda parser: parser.__name__)
@pytest.mark.parametrize("name", list(BAD_PAGES))
def test_bad_page_raises_page_error_naming_the_problem(name: str, parser: Parser) -> None:
    page, url, reason = BAD_PAGES[name]
    with pytest.raises(PageError) as caught:
        parser(page(), url)
    assert reason in caught.value.reason
    assert caught.value.url == url
    assert isinstance(caught.value, PermanentError)  # the crawler skips it; no retry


def test_not_ojs_reason_names_the_kind_of_page_expected() -> None:
    content = (FIXTURES / "not-ojs.html").read_bytes()
    for parser, kind in zip(PARSERS, ("article", "issue", "archive"), strict=True):
        with pytest.raises(PageError, match=f"not an OJS {kind} page: no OJS meta tags"):
            parser(content, "https://agrarian.example.net/")


def _rendered(kind: str) -> bytes:
    """An archive, issue or article page of the test site (3.3.0-11 markup)."""
    if kind == "archive":
        return pages.archive_page(_JOURNAL, _JOURNAL.issues(), 1, 4).encode()
    if kind == "issue":
        return pages.issue_page(_JOURNAL.issues()[0]).encode()
    return _article_page()


@pytest.mark.parametrize(
    ("page", "parser", "kind"),
    [
        ("archive", parse_article_page, "article"),
        ("issue", parse_archive_page, "archive"),
        ("article", parse_issue_page, "issue"),
    ],
)
def test_ojs_page_of_the_wrong_kind(page: str, parser: Parser, kind: str) -> None:
    with pytest.raises(PageError, match=f"not an OJS {kind} page: an OJS page without"):
        parser(_rendered(page), f"{BASE}/{page}")


def test_ojs2_page_of_the_wrong_kind() -> None:
    fixture = "article-ojs2-default.html"
    with pytest.raises(PageError, match="not an OJS archive page: an OJS page without"):
        parse_archive_page((FIXTURES / fixture).read_bytes(), expected_for(fixture)["url"])


@pytest.mark.parametrize("content", [b"", b"  \n\t", b"\xef\xbb\xbf"])
def test_empty_body(content: bytes) -> None:
    with pytest.raises(PageError, match=r"empty page|not an HTML page"):
        parse_article_page(content, "https://jsas.example.org/index.php/jsas/article/view/1")


def test_login_url_alone_marks_a_login_page() -> None:
    # A theme without form#login: the URL OJS redirected to still tells.
    content = pages.archive_page(_JOURNAL, _JOURNAL.issues(), 9, 4).encode()  # an empty list
    with pytest.raises(PageError, match="login form"):
        parse_archive_page(content, "https://jsas.example.org/index.php/jsas/login?source=%2Fx")


# --- the recorded OJS 3.3 site's error answers ----------------------------------------------


def _index(site: Path) -> list[dict[str, str]]:
    lines = (site / "index.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_recorded_unpublished_and_unknown_articles_are_not_found() -> None:
    # A#17 (unpublished) and article 99999: 404 with the 22-byte body <h1>404 Not Found</h1>.
    site, truth, rows = recorded()
    for path in ("/index.php/jsas/article/view/17", "/index.php/jsas/article/view/99999"):
        body = (site / rows[path]["body"]).read_bytes()
        assert body == b"<h1>404 Not Found</h1>"
        with pytest.raises(PageError, match="not found") as caught:
            parse_article_page(body, truth["site"]["origin"] + path)
        assert "truncated" not in caught.value.reason  # the better reason wins


def test_recorded_unknown_issue_ends_on_the_login_page() -> None:
    # /issue/view/99999 is a 302 to /login?source=… (README quirk 8); the login page is recorded.
    site, truth, _ = recorded()
    rows = [
        row for row in _index(site) if row["path"].endswith("/login") and row["kind"] == "error-404-probe"
    ]
    assert len(rows) == 1
    url = f"{truth['site']['origin']}{rows[0]['path']}?{rows[0]['query']}"
    with pytest.raises(PageError, match="login form"):
        parse_issue_page((site / rows[0]["body"]).read_bytes(), url)


def test_article_titled_not_found_is_an_article() -> None:
    # "404 … not found" in a heading marks a not-found page only where no OJS content is.
    site = OjsSite.generate(journals=1, articles_per_journal=1, seed=2)
    art = site.edit("jsas", site.articles("jsas")[0].id, title="Error 404: Porters Not Found")
    content = pages.article_page(art, None).encode()
    article = parse_article_page(content, f"{BASE}/article/view/{art.id}")
    assert article.title == "Error 404: Porters Not Found"
