"""Pages that are not the page asked for raise ``PageError`` with a reason naming the problem.

Own fixtures (a login form, OJS's bare 404 body served with 200, a theme error page, a
truncated article, a foreign page) for each of the three parsers, pages of the wrong kind,
and the recorded OJS 3.3 site's real 404 bodies and login redirect target.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_html_article import FIXTURES, expected_for, recorded

from harvester.errors import PageError, PermanentError
from harvester.model import ArchivePage, Article, IssuePage
from harvester.parse.html import parse_archive_page, parse_article_page, parse_issue_page

Parser = Callable[[bytes, str], Article | IssuePage | ArchivePage]
PARSERS: list[Parser] = [parse_article_page, parse_issue_page, parse_archive_page]
BAD_FIXTURES = [
    "login-page.html",
    "not-found-200.html",
    "not-found-error-page.html",
    "article-truncated.html",
]
BAD_FIXTURES += ["not-ojs.html"]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda parser: parser.__name__)
@pytest.mark.parametrize("name", BAD_FIXTURES)
def test_bad_page_raises_page_error_naming_the_problem(name: str, parser: Parser) -> None:
    expected = expected_for(name)
    with pytest.raises(PageError) as caught:
        parser((FIXTURES / name).read_bytes(), expected["url"])
    assert expected["error"] == "PageError"
    assert expected["reason_contains"] in caught.value.reason
    assert caught.value.url == expected["url"]
    assert isinstance(caught.value, PermanentError)  # the crawler skips it; no retry


def test_not_ojs_reason_names_the_kind_of_page_expected() -> None:
    content = (FIXTURES / "not-ojs.html").read_bytes()
    for parser, kind in zip(PARSERS, ("article", "issue", "archive"), strict=True):
        with pytest.raises(PageError, match=f"not an OJS {kind} page: no OJS meta tags"):
            parser(content, "https://agrarian.example.net/")


@pytest.mark.parametrize(
    ("fixture", "parser", "kind"),
    [
        ("archive-ojs34-default.html", parse_article_page, "article"),
        ("issue-ojs34-default.html", parse_archive_page, "archive"),
        ("article-ojs34-title-markup.html", parse_issue_page, "issue"),
        ("article-ojs2-default.html", parse_archive_page, "archive"),
    ],
)
def test_ojs_page_of_the_wrong_kind(fixture: str, parser: Parser, kind: str) -> None:
    with pytest.raises(PageError, match=f"not an OJS {kind} page: an OJS page without"):
        parser((FIXTURES / fixture).read_bytes(), expected_for(fixture)["url"])


@pytest.mark.parametrize("content", [b"", b"  \n\t", b"\xef\xbb\xbf"])
def test_empty_body(content: bytes) -> None:
    with pytest.raises(PageError, match=r"empty page|not an HTML page"):
        parse_article_page(content, "https://jsas.example.org/index.php/jsas/article/view/1")


def test_login_url_alone_marks_a_login_page() -> None:
    # A theme without form#login: the URL OJS redirected to still tells.
    content = (FIXTURES / "archive-ojs34-past-end.html").read_bytes()
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
    content = (FIXTURES / "article-ojs34-no-dc-plugin.html").read_bytes()
    content = content.replace(b"Review: Porters of the Wagah Border", b"Error 404: Porters Not Found")
    article = parse_article_page(content, expected_for("article-ojs34-no-dc-plugin.html")["url"])
    assert article.title == "Error 404: Porters Not Found"
