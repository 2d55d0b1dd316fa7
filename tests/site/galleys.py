"""The bytes of the test site's galley files (PDF, HTML, EPUB) and their download names."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from tests.site.escaping import hsc, stored

if TYPE_CHECKING:
    from tests.site.model import SimArticle

__all__ = ["LABELS", "file_name", "galley_file_bytes", "pdf_bytes"]

LABELS = {"application/pdf": "PDF", "text/html": "HTML", "application/epub+zip": "EPUB"}  # galley labels


def pdf_bytes(art: SimArticle, galley_id: int) -> bytes:
    """A small, valid, deterministic PDF: depends on the journal, ids and ``file_revision`` only."""
    lines = [f"{art.journal} article {art.id}", f"galley {galley_id} revision {art.file_revision}"]
    stream = "BT /F1 14 Tf 72 720 Td 16 TL\n" + "".join(f"({line}) Tj T*\n" for line in lines) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}endstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode()
    table = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{len(out)}\n%%EOF\n"
    return out + f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n{table}{trailer}".encode()


def _html_galley_bytes(art: SimArticle) -> bytes:
    paragraphs = "".join(f"<p>{stored(p)}</p>\n" for p in art.paragraphs)
    names = hsc(", ".join(a.name for a in art.authors))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n\n<meta charset="utf-8">\n'
        f"<title>{hsc(art.full_title)}</title>\n"
        f'</head>\n<body>\n<h1>{hsc(art.full_title)}</h1>\n<p class="authors">{names}</p>\n{paragraphs}'
        f"<p>Seed {art.journal}-{art.id}-{art.file_revision}.</p>\n</body>\n</html>\n"
    ).encode()


def file_name(art: SimArticle, galley_id: int, mime: str) -> str:
    """The galley file's name: OJS's generated one, or an author-chosen one for each journal's first."""
    journal = art.owner
    ext = {"application/pdf": "pdf", "text/html": "html", "application/epub+zip": "epub"}.get(mime, "bin")
    if journal and journal.articles and journal.articles[0] is art and art.galleys[0][0] == galley_id:
        names = "-".join(a.family or a.given for a in art.authors[:2])
        return f"{names} {art.year} (final).{ext}"  # like the recorded "Siddiqui-Müller 1947 (final).pdf"
    return f"{art.id}-Article Text-{art.file_id(galley_id)}-1-10-{art.published.replace('-', '')}.{ext}"


def galley_file_bytes(art: SimArticle, galley_id: int, mime: str) -> bytes:
    """The bytes a galley's download serves (padded to ``art.file_size`` when that is larger)."""
    if mime == "text/html":
        return _html_galley_bytes(art)
    if mime == "application/pdf":
        body = pdf_bytes(art, galley_id)
    else:
        body = b"PK\x03\x04" + hashlib.sha256(f"{art.journal}/{art.id}/{galley_id}".encode()).digest()
    if art.file_size > len(body):  # large files for the mirror's tests and benchmark
        body += b"\n%" + b"0" * (art.file_size - len(body) - 2)
    return body
