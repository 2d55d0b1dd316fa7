"""Reading a ListRecords response into records, on a second core for long windows.

A backfill spends about as much CPU turning XML into records as storing them, and in one
process the two share one interpreter lock.  So a long window hands the reading of its pages
to a helper process (``helper.HelperProcess``, started on first use and kept for later
windows) while this process stores the page before: two cores work at once.  A short window
(an incremental harvest of a few pages) is read in the fetching thread, as starting the
helper costs more than it saves.

``read_page`` is the whole of that work, a pure function of the response's bytes, so a page
read by the helper is the page read here.  It logs nothing (a helper's log would be lost):
what it repaired or skipped comes back as ``warnings`` for the caller to log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BrokenResponseError, oai_error_for_code
from ..model import OaiRecord
from .oai_quirks import parse_strict

__all__ = ["OAI_NS", "PageData", "check_response", "read_page", "sniff_token", "token_of"]

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"


@dataclass(frozen=True)
class PageData:
    """What one ListRecords response says."""

    records: list[OaiRecord]
    token: str | None  # the token for the next page; None on the last page
    complete_list_size: int | None
    response_date: str | None
    repaired: bytes | None  # the bytes parsed, when a repair changed them
    warnings: tuple[str, ...]  # repairs made and records skipped, each one line


def check_response(tree: Any, where: str) -> None:
    """Raise what an OAI-PMH response that is not a result says: not OAI-PMH at all, or an
    ``<error>`` (as its ``OAIProtocolError``, carrying the response date)."""
    if tree.tag != f"{OAI_NS}OAI-PMH":
        raise BrokenResponseError(f"{where}: not an OAI-PMH response (root element {tree.tag!r})")
    error = tree.find(f"{OAI_NS}error")
    if error is not None:
        oai_error = oai_error_for_code(error.get("code", "unknown"), (error.text or "").strip())
        oai_error.response_date = (tree.findtext(f"{OAI_NS}responseDate") or "").strip() or None
        raise oai_error


def read_page(
    content: bytes,
    where: str,
    set_names: Mapping[str, str],
    parse: Callable[[Any, Mapping[str, str]], OaiRecord],
) -> PageData:
    """The records, token and size of one ListRecords response; ``parse`` reads one record of
    the window's format.  Raises ``BrokenResponseError`` or the response's OAI-PMH error."""
    parsed, tree, repairs = parse_strict(content, where)
    check_response(tree, where)
    records: list[OaiRecord] = []
    warnings = [f"{where}: {repair}" for repair in repairs]
    for element in tree.iterfind(f"{OAI_NS}ListRecords/{OAI_NS}record"):
        try:
            records.append(parse(element, set_names))
        except BrokenResponseError as exc:
            warnings.append(f"{where}: record skipped: {exc}")
    token, size = token_of(tree.find(f"{OAI_NS}ListRecords/{OAI_NS}resumptionToken"))
    return PageData(
        records=records,
        token=token,
        complete_list_size=size,
        response_date=(tree.findtext(f"{OAI_NS}responseDate") or "").strip() or None,
        repaired=parsed if repairs else None,
        warnings=tuple(warnings),
    )


def token_of(element: Any) -> tuple[str | None, int | None]:
    """A ``<resumptionToken>``'s token (None: the last page) and ``completeListSize``."""
    if element is None:
        return None, None
    size = element.get("completeListSize", "").strip()
    return (element.text or "").strip() or None, int(size) if size.isdigit() else None


# A plain token element: no entity, no CDATA, no comment inside (those are left to the parse).
_TOKEN = re.compile(rb"<(?:[\w.-]+:)?resumptionToken\b[^>]*>([^<&]*)</(?:[\w.-]+:)?resumptionToken\s*>")


def sniff_token(content: bytes) -> str | None:
    """The next page's token as the raw bytes show it, without parsing them: a guess that
    lets the next request go out early (the parsed ``token_of`` decides).  None when the
    page has no plain token element near its end, as the last page."""
    found = _TOKEN.findall(content, max(0, len(content) - 4096))
    try:
        token = found[-1].decode("utf-8").strip() if found else ""  # the token follows the records
    except UnicodeDecodeError:
        return None
    return token or None
