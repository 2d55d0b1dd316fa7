"""Sniffing downloaded files: the bytes decide, not the Content-Type, nor the journal's word."""

from __future__ import annotations

import pytest

from harvester.parse.filetype import (
    file_type,
    filename_from_disposition,
    is_journal_page,
    media_type,
    refusal,
    sniff,
    type_allowed,
)
from tests.parse.test_html_article import FIXTURES
from tests.site import pages
from tests.site.ojs_site import OjsSite

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EPUB = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 16 + b"\x08\x00\x00\x00mimetypeapplication/epub+zip"
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + b"\x00" * 20 + b"[Content_Types].xml"
JATS = b'<?xml version="1.0"?>\n<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96)">\n<article/>'
HTML_GALLEY = b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>T</title></head></html>'
OJS_404 = b"<h1>404 Not Found</h1>"  # OJS's bare 404 body (recorded quirk 8)
# A login page and a pdf.js galley page as the test OJS site renders them (copies of the recorded
# 3.3.0-11 install's pages).
_JOURNAL = OjsSite.generate(journals=1, articles_per_journal=1, seed=2).journals["jsas"]
LOGIN = pages.login_page(_JOURNAL, "/index.php/jsas/article/download/1/1").encode()
VIEWER = pages.pdf_view_page(_JOURNAL.articles[0], _JOURNAL.articles[0].galleys[0][0]).encode()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PDF, "pdf"),
        (b"\r\n\r\n%PDF-1.7\n", "pdf"),  # junk before the header is allowed by the PDF spec
        (EPUB, "zip"),
        (DOCX, "zip"),
        (JATS, "xml"),
        (b"\xef\xbb\xbf  <article xmlns='http://jats.nlm.nih.gov'/>", "xml"),
        (HTML_GALLEY, "html"),
        (b"<!-- served by nginx -->\n<HTML><BODY>Forbidden</BODY></HTML>", "html"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n<html/>',
            "html",
        ),
        (OJS_404, "html"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n", "unknown"),
        (b"just some text", "unknown"),
    ],
)
def test_sniff(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


def test_login_page_is_a_journal_page_and_a_galley_file_is_not() -> None:
    assert is_journal_page(LOGIN)
    assert is_journal_page(VIEWER)
    assert is_journal_page((FIXTURES / "viewer-ojs2-pdf.html").read_bytes())
    assert not is_journal_page(HTML_GALLEY)


@pytest.mark.parametrize(
    ("declared", "served", "head", "reason"),
    [
        ("application/pdf", "application/pdf", PDF, None),
        (None, "application/octet-stream", PDF, None),
        ("application/pdf", "application/pdf", LOGIN, "login, error"),
        ("application/pdf", "application/pdf", OJS_404, "an HTML page where a PDF was promised"),
        (None, "application/pdf", OJS_404, "an HTML page where a PDF was promised"),
        ("application/pdf", "text/html", EPUB, "not a PDF as promised: the bytes are a ZIP"),
        ("application/epub+zip", None, EPUB, None),
        ("application/epub+zip", None, PDF, "not a ZIP container"),
        ("text/html", "text/html; charset=UTF-8", HTML_GALLEY, None),
        ("text/html", "text/html", VIEWER, "page of the journal"),
        ("application/xml", "text/xml", JATS, None),
        ("application/xml", "text/html", OJS_404, "an HTML page where an XML document"),
        (None, None, b"", "empty file"),
        (None, None, b"\x89PNG\r\n\x1a\n", None),  # nothing promised, nothing to hold against it
    ],
)
def test_refusal(declared: str | None, served: str | None, head: bytes, reason: str | None) -> None:
    found = refusal(declared, served, head)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found, found


@pytest.mark.parametrize(
    ("declared", "served", "head", "mime"),
    [
        ("application/pdf", "application/pdf", PDF, "application/pdf"),
        (None, "application/octet-stream", PDF, "application/pdf"),
        ("application/epub+zip", "application/octet-stream", EPUB, "application/epub+zip"),
        (None, "application/zip", EPUB, "application/epub+zip"),  # by its mimetype entry
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/octet-stream",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (None, None, DOCX, "application/zip"),
        ("text/html", "text/html; charset=UTF-8", HTML_GALLEY, "text/html"),
        ("application/xml", "text/xml;charset=utf-8", JATS, "text/xml"),
        (None, "image/png", b"\x89PNG\r\n\x1a\n", "image/png"),
        (None, "application/octet-stream", b"\x00\x01", "application/octet-stream"),
    ],
)
def test_file_type(declared: str | None, served: str | None, head: bytes, mime: str) -> None:
    assert file_type(declared, served, head) == mime


def test_media_type_and_allowed_patterns() -> None:
    assert media_type("Text/HTML; charset=UTF-8") == "text/html"
    assert media_type("") is None
    assert type_allowed("image/png", ("application/pdf", "image/*"))
    assert not type_allowed("text/html", ("application/pdf",))


@pytest.mark.parametrize(
    ("header", "name"),
    [
        # recorded quirk 12: PHP urlencode, even inside the quotes
        (
            'attachment;filename="Siddiqui-M%C3%BCller+1947+%28final%29.pdf";'
            "filename*=UTF-8''Siddiqui-M%C3%BCller+1947+%28final%29.pdf",
            "Siddiqui-Müller 1947 (final).pdf",
        ),
        (
            'attachment;filename="2-Article+Text-102-1-10-20220315.pdf"',
            "2-Article Text-102-1-10-20220315.pdf",
        ),
        ("inline; filename=paper.pdf", "paper.pdf"),
        # hostile names: only a sanitised base name is kept (issue 12)
        ('attachment; filename="../../x.pdf"', "x.pdf"),
        ('attachment; filename="/etc/cron.d/job"', "job"),
        ("attachment; filename*=UTF-8''..%5C..%5Cwin.ini", "win.ini"),
        ('attachment; filename="a%0D%0ASet-Cookie:+x.pdf"', "aSet-Cookie: x.pdf"),
        ('attachment; filename="%E2%80%AEfdp.exe"', "fdp.exe"),
        ('attachment; filename=".."', None),
        ('attachment; filename="' + "n" * 300 + '.pdf"', "n" * 251 + ".pdf"),
        ("attachment", None),
        (None, None),
    ],
)
def test_filename_from_disposition(header: str | None, name: str | None) -> None:
    assert filename_from_disposition(header) == name


def test_recorded_downloads_are_what_they_claim() -> None:
    from tests.parse.test_html_article import recorded

    site, truth, rows = recorded()
    for article in truth["articles"]:
        for galley in article["galleys"]:
            path = galley["download_url"].split("/index.php/", 1)[1]
            row = rows.get(f"/index.php/{path}")
            if row is None or row["status"] != 200:
                continue
            body = (site / row["body"]).read_bytes()
            served = row["headers"].get("Content-Type")
            assert refusal(galley["mime_type"], served, body) is None, path
            assert file_type(galley["mime_type"], served, body) == galley["mime_type"]
