"""What a downloaded file is, from its first bytes: pure functions, no I/O.

A server's Content-Type is a claim, and so is the MIME type a journal declares for a galley;
the bytes decide.  OJS answers a download it will not serve (restricted galley, expired
session, missing file) with its login page or an error page, often still as
``application/pdf`` from a proxy or a plugin, so every file is sniffed before it is kept:

- PDF: ``%PDF-`` within the first 1024 bytes (the PDF spec tolerates junk before it);
- ZIP containers (EPUB, DOCX, ODT): ``PK\\x03\\x04``; EPUB by its ``mimetype`` entry;
- HTML: a doctype, ``<html>``, or a leading HTML element (OJS's 404 body is a bare ``<h1>``);
- XML (JATS): an XML declaration or a leading element that is not HTML.
"""

from __future__ import annotations

import re
import unicodedata
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import unquote_plus

__all__ = [
    "HEAD_BYTES",
    "Kind",
    "file_type",
    "filename_from_disposition",
    "is_journal_page",
    "media_type",
    "refusal",
    "safe_filename",
    "sniff",
    "type_allowed",
]

Kind = Literal["pdf", "zip", "html", "xml", "empty", "unknown"]

#: Bytes a caller should keep from the start of a file for these checks.
HEAD_BYTES = 64 * 1024

_PDF_WINDOW = 1024
_MAX_NAME = 255  # characters of a file name kept (the end, so the extension stays)
_EPUB_MARK = b"mimetypeapplication/epub+zip"  # the first, stored entry of every EPUB, at offset 30
_HTML_TAGS = frozenset(
    b"html head body title meta link script style div p h1 h2 h3 h4 h5 h6 table br a span ul "
    b"form iframe center pre b i strong em noscript header main nav section".split()
)
_LEADING_TAG = re.compile(rb"<([A-Za-z][A-Za-z0-9]*)")
# Markers of a page of the journal itself (login, error or viewer page): the generator tag
# of OJS 2 and 3, the 3.x theme's page classes, and the login forms of both.
_JOURNAL_PAGE = re.compile(
    rb"""<meta[^>]+content=["']Open Journal Systems|pkp_structure_page|class=["'][^"']*pkp_page_"""
    rb"""|<form[^>]+id=["'](?:login|signinForm)["']""",
    re.IGNORECASE,
)
_NAMES: dict[str, str] = {
    "pdf": "a PDF",
    "zip": "a ZIP container (EPUB, Word, OpenDocument)",
    "html": "an HTML document",
    "xml": "an XML document",
    "empty": "nothing",
    "unknown": "an unrecognised format",
}


def _text_start(head: bytes) -> bytes:
    """The start of a text body: byte order mark, whitespace and comments skipped, lower-cased."""
    text = head[:_PDF_WINDOW].removeprefix(b"\xef\xbb\xbf").lstrip()
    while text.startswith(b"<!--") and b"-->" in text:
        text = text.split(b"-->", 1)[1].lstrip()
    return text.lower()


def _markup_kind(head: bytes) -> Kind:
    """HTML, XML or neither, for a body that is not binary."""
    text = _text_start(head)
    if text.startswith(b"<?xml"):
        return "html" if b"<html" in text or b"<!doctype html" in text else "xml"
    if text.startswith(b"<!doctype"):
        return "html" if text.startswith(b"<!doctype html") else "xml"
    match = _LEADING_TAG.match(text)
    if match is None:
        return "unknown"
    return "html" if match.group(1) in _HTML_TAGS else "xml"


def sniff(head: bytes) -> Kind:
    """The kind of file whose first bytes are ``head`` (at least the first 1024 of them)."""
    if not head:
        return "empty"
    if b"%PDF-" in head[:_PDF_WINDOW]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return _markup_kind(head)


def is_journal_page(head: bytes) -> bool:
    """Whether an HTML body is a page of an OJS journal (login, error, viewer), not a file."""
    return _JOURNAL_PAGE.search(head) is not None


def media_type(value: str | None) -> str | None:
    """``"text/html; charset=UTF-8"`` → ``"text/html"``; None for an absent or empty value."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


_ZIP_TYPES = ("application/zip", "application/x-zip-compressed")
_ZIP_FAMILIES = ("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_XML_TYPES = ("application/xml", "text/xml")


def _promised_kind(mime: str | None) -> Kind | None:
    """The kind of bytes a MIME type promises, when it promises one we can check."""
    kind: Kind | None = None
    if mime == "application/pdf":
        kind = "pdf"
    elif mime is None:
        kind = None
    elif mime in _ZIP_TYPES or mime.endswith("+zip") or mime.startswith(_ZIP_FAMILIES):
        kind = "zip"
    elif mime in _HTML_TYPES:
        kind = "html"
    elif mime in _XML_TYPES or mime.endswith("+xml"):
        kind = "xml"
    return kind


def refusal(declared: str | None, served: str | None, head: bytes) -> str | None:
    """Why a body is not the file a galley promised, or None when it may be kept.

    ``declared`` is the MIME type the journal gives the galley, ``served`` the response's
    Content-Type; the journal's word counts first (a server may call anything a PDF).
    """
    kind = sniff(head)
    if kind == "empty":
        return "empty file"
    if kind == "html" and is_journal_page(head):
        return "a page of the journal (login, error or viewer page) instead of the file"
    promised = _promised_kind(media_type(declared)) or _promised_kind(media_type(served))
    if promised is None or promised == kind:
        return None
    if kind == "html":
        return f"an HTML page where {_NAMES[promised]} was promised (a login or error page?)"
    return f"not {_NAMES[promised]} as promised: the bytes are {_NAMES[kind]}"


def file_type(declared: str | None, served: str | None, head: bytes) -> str:
    """The MIME type to record for a kept file: a claim the bytes agree with, else the sniffed
    type, else the server's or the journal's word, else ``application/octet-stream``."""
    kind = sniff(head)
    if kind == "zip" and head[30 : 30 + len(_EPUB_MARK)] == _EPUB_MARK:
        return "application/epub+zip"
    claims = [mime for mime in (media_type(served), media_type(declared)) if mime]
    agreeing = [mime for mime in claims if _promised_kind(mime) == kind]
    if agreeing and kind != "unknown":
        return agreeing[0]
    sniffed = {
        "pdf": "application/pdf",
        "zip": "application/zip",
        "html": "text/html",
        "xml": "application/xml",
    }
    if kind in sniffed:
        return sniffed[kind]
    useful = [mime for mime in claims if mime != "application/octet-stream"]
    return useful[0] if useful else "application/octet-stream"


def type_allowed(mime: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``mime`` matches one of ``patterns`` (exact types, or ``"image/*"``)."""
    return any(fnmatchcase(mime, pattern.lower()) for pattern in patterns)


def filename_from_disposition(value: str | None) -> str | None:
    """The file name a Content-Disposition header gives, ``filename*`` first, made safe
    (``safe_filename``): a server's name is a label to show, never a path.

    Quirk (OJS 3.3 and 3.4, recorded quirk 12): OJS PHP-``urlencode``s the name in both
    parameters, even inside the quotes of ``filename=``: ``+`` for a space, ``%C3%BC`` for ü.
    A ``+`` a server meant literally would have been sent as ``%2B``, so ``+`` is a space.
    """
    if not value:
        return None
    extended = re.search(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", value, re.IGNORECASE)
    if extended:
        charset = extended.group(1) or "utf-8"
        try:
            return safe_filename(unquote_plus(extended.group(2).strip(), encoding=charset, errors="replace"))
        except LookupError:
            return safe_filename(unquote_plus(extended.group(2).strip()))
    plain = re.search(r'filename\s*=\s*(?:"([^"]*)"|([^;]+))', value, re.IGNORECASE)
    if plain:
        name = plain.group(1) if plain.group(1) is not None else plain.group(2).strip()
        return safe_filename(unquote_plus(name))
    return None


def safe_filename(name: str) -> str | None:
    """``name``'s last path segment (either slash), without control or format characters
    (CR/LF, NUL, bidi overrides), trimmed to ``_MAX_NAME`` characters; None when nothing
    usable is left (``..``, an empty name)."""
    base = re.split(r"[/\\]", name)[-1]
    cleaned = "".join(char for char in base if unicodedata.category(char) not in ("Cc", "Cf")).strip()
    if cleaned in ("", ".", ".."):
        return None
    return cleaned[-_MAX_NAME:]
