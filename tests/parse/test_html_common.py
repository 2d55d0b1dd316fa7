"""Unit tests of what the page parsers share: OJS URL helpers, meta tags, text extraction,
dates, decoding and the hardened parser."""

from __future__ import annotations

import codecs
from urllib.parse import urlsplit

import pytest

from harvester.model import Author
from harvester.ojs.urls import (
    absolute_url,
    article_id,
    article_url,
    galley_download_url,
    galley_view_url,
    issue_id,
    issue_url,
    parse_ojs_url,
    split_url,
)
from harvester.parse.html.authors import split_name
from harvester.parse.html.common import find, full_date, inner_text, load_page, paragraphs, parse_page
from harvester.parse.issue_label import IssueLabel, parse_issue_label

BASE = "https://jsas.example.org/index.php/jsas"
QUERY = "https://jsas.example.org/index.php?journal=jsas"


@pytest.mark.parametrize(
    ("url", "landing", "submission"),
    [
        (f"{BASE}/article/view/12", f"{BASE}/article/view/12", 12),
        (f"{BASE}/article/view/12/13", f"{BASE}/article/view/12", 12),
        (f"{BASE}/article/download/12/13/99?inline=1", f"{BASE}/article/view/12", 12),
        (f"{BASE}/article/viewFile/57/88", f"{BASE}/article/view/57", 57),  # OJS 2
        (f"{BASE}/article/viewArticle/57", f"{BASE}/article/view/57", 57),  # OJS 2
        (f"{BASE}/article/view/porters-of-wagah", f"{BASE}/article/view/porters-of-wagah", None),
        (f"{BASE}/article/view/12/version/40", f"{BASE}/article/view/12", 12),  # 3.2+ versions
        (
            f"{QUERY}&page=article&op=view&path%5B%5D=12&path%5B%5D=13",
            f"{QUERY}&page=article&op=view&path%5B%5D=12",
            12,
        ),
        (f"{BASE}/issue/view/3", None, None),
        (f"{BASE}/article/search", None, None),
        ("https://agrarian.example.net/2024/01/call-for-papers/", None, None),
        (None, None, None),
    ],
)
def test_article_url_and_id(url: str | None, landing: str | None, submission: int | None) -> None:
    assert (article_url(url), article_id(url)) == (landing, submission)


@pytest.mark.parametrize(
    ("url", "view", "download"),
    [
        (f"{BASE}/article/view/12/13", f"{BASE}/article/view/12/13", f"{BASE}/article/download/12/13"),
        (f"{BASE}/article/download/12/13", f"{BASE}/article/view/12/13", f"{BASE}/article/download/12/13"),
        (  # 3.4 HTML galley and pdf.js pages link the file itself: /FILE is kept
            f"{BASE}/article/download/12/13/99?inline=1",
            f"{BASE}/article/view/12/13",
            f"{BASE}/article/download/12/13/99",
        ),
        (f"{BASE}/article/viewFile/57/88", f"{BASE}/article/view/57/88", f"{BASE}/article/download/57/88"),
        (f"{BASE}/article/view/12", None, None),
        (f"{BASE}/article/view/12/version/40", None, None),
        (
            f"{QUERY}&page=article&op=view&path[]=12&path[]=13",
            f"{QUERY}&page=article&op=view&path%5B%5D=12&path%5B%5D=13",
            f"{QUERY}&page=article&op=download&path%5B%5D=12&path%5B%5D=13",
        ),
    ],
)
def test_galley_urls(url: str, view: str | None, download: str | None) -> None:
    assert (galley_view_url(url), galley_download_url(url)) == (view, download)


@pytest.mark.parametrize(
    ("url", "toc", "number"),
    [
        (f"{BASE}/issue/view/6", f"{BASE}/issue/view/6", 6),
        (f"{BASE}/issue/view/6/showToc", f"{BASE}/issue/view/6", 6),  # OJS 2's cover page link
        (f"{BASE}/issue/view/special-2023", f"{BASE}/issue/view/special-2023", None),
        (f"{QUERY}&page=issue&op=view&path%5B%5D=6", f"{QUERY}&page=issue&op=view&path%5B%5D=6", 6),
        (f"{BASE}/issue/current", None, None),
        (f"{BASE}/issue/archive/2", None, None),
        (f"{BASE}/article/view/6", None, None),
    ],
)
def test_issue_url_and_id(url: str, toc: str | None, number: int | None) -> None:
    assert (issue_url(url), issue_id(url)) == (toc, number)


def test_parse_ojs_url_and_absolute_url() -> None:
    route = parse_ojs_url(f"{BASE}/issue/archive/2")
    assert route is not None
    assert (route.root, route.page, route.op, route.args) == (BASE, "issue", "archive", ("2",))
    # OJS 3.3 wraps the site-name href in tabs and newlines; fragments are dropped.
    assert (
        absolute_url("\t\t\thttps://x.example/index.php/j/index\n\t", BASE)
        == "https://x.example/index.php/j/index"
    )
    assert absolute_url("../issue/view/3#x", f"{BASE}/article/view") == f"{BASE}/issue/view/3"
    assert absolute_url("mailto:editor@example.org", BASE) is None
    assert absolute_url("  ", BASE) is None


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/article/view/12/34",
        f"{QUERY}&page=article&op=view&path[]=12",
        "http://a.example", "http://a.example?x=1#f?g", "http://a.example/p?#", "http://a.example/p?",
        "https://a.example:8080/x y/z?q= 1", "http://[::1]/x", "http://a]b/", "http://[::1",
        "HTTP://a.example/", "http:///x", "http://a.example/é", "http://a.example/\tx", "https:/a.example/c",
        "http://a.example#x/y?z", "http://a.example/[x]?[y]", "ftp://a.example/b",
    ],
)  # fmt: skip
def test_urls_split_as_urlsplit_splits_them(url: str) -> None:
    """split_url splits plain URLs itself, the rest with urlsplit: both agree."""
    try:
        parts = urlsplit(url)
    except ValueError:
        with pytest.raises(ValueError, match="IPv6"):
            split_url(url)
        return
    assert split_url(url) == (parts.scheme, parts.netloc, parts.path, parts.query)


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://x.example/a/b?c=1&d=2", "https://x.example/a/b?c=1&d=2"),  # as it is
        ("https://x.example/a/../b", "https://x.example/a/../b"),  # urljoin keeps an absolute URL's path
        ("https://x.example/a#top", "https://x.example/a"),
        ("https://x.example/a?", "https://x.example/a"),  # an empty query is dropped
        ("https://x.example/a\tb", "https://x.example/ab"),  # tabs inside are removed (WHATWG)
        ("http:///a", None),  # no host
        ("/index.php/j/issue/view/3", "https://x.example/index.php/j/issue/view/3"),
    ],
)
def test_absolute_url_keeps_plain_urls_and_normalises_the_rest(href: str, expected: str | None) -> None:
    assert absolute_url(href, "https://x.example/index.php/j/article/view/1") == expected


@pytest.mark.parametrize(
    ("name", "author"),
    [
        ("Ayesha Siddiqui", Author("Ayesha Siddiqui", "Ayesha", "Siddiqui")),
        ("Muhammad Iqbal Khan", Author("Muhammad Iqbal Khan", "Muhammad Iqbal", "Khan")),
        ("Nazeer", Author("Nazeer", "Nazeer", None)),  # mononym: given name only
        ("Hale, Thomas J.", Author("Thomas J. Hale", "Thomas J.", "Hale")),  # "Family, Given"
    ],
)
def test_split_name(name: str, author: Author) -> None:
    assert split_name(name) == author


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022/03/10", "2022-03-10"),
        ("2022-3-5", "2022-03-05"),
        ("Published 2022-03-10 — Updated on 2022-05-01", "2022-03-10"),
        ("30/06/2009", "2009-06-30"),  # OJS 2.3's citation_date
        ("2022", None),  # year only: not a full date
        ("March 10, 2022", None),
        ("2022/02/30", None),
        (None, None),
    ],
)
def test_full_date(text: str | None, expected: str | None) -> None:
    assert full_date(text) == expected


def _page(body: str, url: str = f"{BASE}/article/view/1") -> object:
    return load_page(body.encode("utf-8"), url)


def test_paragraphs_and_inner_text() -> None:
    page = load_page(
        b"<html><body><section class='item abstract'><h2 class='label'>Abstract</h2>"
        b"<p>One <em>two</em>\n three.<br>Four&nbsp;five.</p><p> </p><ul><li>six</li></ul>"
        b"<span class='pkp_screen_reader'>hidden</span><script>var x;</script></section></body></html>",
        BASE,
    )
    block = find(page.root, "//section")
    assert paragraphs(block) == "One two three.\n\nFour five.\n\nsix"
    assert inner_text(block) == "Abstract One two three. Four five. six"
    assert paragraphs(None) is None
    leaf = find(page.root, "//li")  # no children: its own text
    assert leaf is not None and inner_text(leaf) == "six"
    leaf.text = " \t "
    assert inner_text(leaf) is None


def test_meta_tags_keep_order_language_and_raw_content() -> None:
    page = load_page(
        b'<html lang="en-US"><head>'
        b'<meta name="DC.Description" xml:lang="fr_CA" content="A &amp;amp; B"/>'
        b'<meta name="dc.format" content=""/><meta name="DC.Format" content="text/html"/>'
        b'<meta name="citation_author" lang="en" content="  X Y "/>'
        b"</head><body></body></html>",
        BASE,
    )
    assert page.lang == "en-US"
    (description,) = page.meta.all("DC.Description")
    assert (description.lang, description.content) == ("fr-CA", "A &amp; B")  # lxml decoded once
    assert page.meta.text("DC.Description") == "A & B"  # clean_text decodes OJS's second escape
    assert [meta.content for meta in page.meta.all("DC.Format")] == ["", "text/html"]  # names fold case
    assert page.meta.values("DC.Format") == ["text/html"]
    assert page.meta.first("citation_author") == "X Y"
    assert page.meta.has_prefix("citation_") and not page.meta.has_prefix("prism.")


def test_declared_charset_and_xml_declaration() -> None:
    latin = '<html lang="de"><head><meta charset="iso-8859-1"></head><body><p>Müller</p></body></html>'
    page = load_page(latin.encode("latin-1"), BASE)
    assert inner_text(find(page.root, "//p")) == "Müller"
    xhtml = '<?xml version="1.0" encoding="UTF-8"?>\n<html><body><p>Côté</p></body></html>'
    page = load_page(xhtml.encode("utf-8"), BASE)
    assert inner_text(find(page.root, "//p")) == "Côté"


def test_utf8_pages_read_alike_as_bytes_or_text() -> None:
    """UTF-8 pages go to libxml2 as bytes, others as text: both give the same text."""
    late = f"<html><head><!-- {'x' * 5000} --><meta charset='iso-8859-1'></head><body><p>Müller €</p>"
    page = load_page(f"{late}</body></html>".encode(), BASE)  # declared past the first 4 KB: UTF-8
    assert inner_text(find(page.root, "//p")) == "Müller €"
    broken = b"<html><body><p>M\xfcller \xc3\xa9</p></body></html>"  # a Latin-1 byte in UTF-8
    assert inner_text(find(load_page(broken, BASE).root, "//p")) == "M\ufffdller é"
    declared = parse_page(b"<html><body><p>M\xfcller</p></body></html>", BASE, charset="latin-1")
    assert inner_text(find(declared.root, "//p")) == "Müller"
    bom = codecs.BOM_UTF8 + "<html><body><p>Côté</p></body></html>".encode()
    assert inner_text(find(load_page(bom, BASE).root, "//p")) == "Côté"
    unknown = '<html><head><meta charset="rot13"></head><body><p>Côté</p></body></html>'
    assert inner_text(find(load_page(unknown.encode(), BASE).root, "//p")) == "Côté"
    declared_late = '\n <?xml version="1.0" encoding="UTF-8"?>\n<html><body><p>Côté</p></body></html>'
    assert inner_text(find(load_page(declared_late.encode(), BASE).root, "//p")) == "Côté"


def test_parser_expands_no_entities_and_loads_nothing() -> None:
    body = (
        '<!DOCTYPE html [<!ENTITY x "EXPANDED"><!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        "<html><body><h1>a &x; &ext; b</h1></body></html>"
    )
    page = load_page(body.encode(), BASE)
    text = inner_text(find(page.root, "//h1")) or ""
    assert "EXPANDED" not in text and "root:" not in text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Vol. 1 No. 1 (2022): Partition and Memory", IssueLabel("1", "1", 2022, "Partition and Memory")),
        ("Vol 12, No 2 (2014): Water and the Commons", IssueLabel("12", "2", 2014, "Water and the Commons")),
        ("No. 4 (2021)", IssueLabel(None, "4", 2021, None)),
        (
            "Volume 25, Number 10 - 5 October 2020",
            IssueLabel(None, None, None, "Volume 25, Number 10 - 5 October 2020"),
        ),
        ("", IssueLabel(None, None, None, None)),
    ],
)
def test_issue_label_is_shared_with_oai_dc(text: str, label: IssueLabel) -> None:
    assert parse_issue_label(text) == label


def test_class_index_answers_below_an_element_by_document_position() -> None:
    page = parse_page(
        b'<html><body><div class="a b a" id="x"><p class="b"><span class="a">t</span></p></div>'
        b'<p class="a">u</p></body></html>',
        "https://h.example.org/",
    )
    index = page.index
    outer, inner = index.select("a", tag="div")[0], index.select("b", tag="p")[0]
    body = page.root.find("body")
    assert [element.tag for element in index.select("a")] == ["div", "span", "p"]  # "a" twice: once
    assert [element.tag for element in index.select("b", "a")] == ["div"]
    assert [element.tag for element in index.select("a", within=outer)] == ["span"]
    assert [element.tag for element in index.select("a", within=inner)] == ["span"]
    assert [element.tag for element in index.select("a", within=body)] == ["div", "span", "p"]  # not indexed
    assert index.with_id("x") == [outer]
    assert index.with_id("x", within=inner) == []


def test_class_index_below_ends_where_the_subtree_ends() -> None:
    page = parse_page(
        b'<html><body><div class="a"><ul class="a"><li class="a">1</li></ul></div>'
        b'<section><div class="b"><p class="a">2</p></div></section></body></html>',
        "https://h.example.org/",
    )
    index = page.index
    div, ul = index.select("a", tag="div")[0], index.select("a", tag="ul")[0]
    last = index.select("b")[0]  # no node follows its subtree: the span runs to the page's end
    section = page.root.find("body/section")  # not indexed: found in the walk's list
    assert [element.tag for element in index.select("a", within=ul)] == ["li"]
    assert [element.tag for element in index.select("a", within=div)] == ["ul", "li"]
    assert [element.tag for element in index.select("a", within=last)] == ["p"]
    assert [element.tag for element in index.select("a", within=section)] == ["p"]
    assert index.select("a", within=index.select("a", tag="li")[0]) == []
