"""The quirks of OAI-PMH servers met in the wild, and what the harvester does about each.

The quirk policy of DESIGN.md §3 lives here and nowhere else; ``oai`` applies it.  Each
function names the quirk it handles: broken bytes repaired, responses cut off mid-stream
fetched again, looping lists ended, expired tokens retried then restarted, OJS's HTTP 500 on
``from`` harvested as a full sweep.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lxml import etree

from ..errors import BadResumptionToken, BrokenResponseError, HarvesterError, TransientHTTPStatusError

__all__ = [
    "MAX_RESTARTS",
    "SeenKeys",
    "WindowState",
    "after_bad_token",
    "fetch_twice",
    "is_from_failure",
    "list_should_end",
    "parse_strict",
    "repair_payload",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# Hardened and strict: no entity expansion, no network, no DTD, and no silent recovery.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, recover=False, huge_tree=False
)


class SeenKeys:
    """The keys (record identifiers) a paged list has brought, in fixed memory: a Bloom filter
    of 2**26 bits (8 MiB), three places per key, derived from the key's own ``hash``
    (one process's filter: the string hash's per-process salt does no harm).

    An exact set costs about 140 bytes a record, so a window of millions of records would hold
    hundreds of MB only to notice a looping server.  The filter errs one way only: a key never
    seen may be taken for seen, which at most makes a page look stale.  For a page of records
    all new to look stale every one of its keys must err (each below 1 in 1,500 up to 2
    million keys), and a list ends only after several stale pages in a row."""

    _MASK = (1 << 26) - 1

    def __init__(self) -> None:
        self._bits = bytearray((self._MASK + 1) // 8)

    def add(self, keys: Iterable[str]) -> bool:
        """Add the keys; whether any of them was new."""
        bits, mask, new = self._bits, self._MASK, False
        for key in keys:
            h = hash(key)
            first, step = h & mask, (h >> 32) | 1  # double hashing (Kirsch and Mitzenmacher)
            for place in (first, (first + step) & mask, (first + 2 * step) & mask):
                byte, bit = place >> 3, 1 << (place & 7)
                if not bits[byte] & bit:
                    bits[byte] |= bit
                    new = True
        return new


@dataclass
class WindowState:
    """What a paged list has brought so far, for the guards that end a looping list."""

    seen_tokens: set[str] = field(default_factory=set)  # one a page: kept exactly
    seen_keys: SeenKeys = field(default_factory=SeenKeys)  # record identifiers (or whole items)
    stale_run: int = 0  # pages in a row that brought nothing new
    pages: int = 0
    max_pages: int | None = None  # far more than completeListSize implies
    retried_token: str | None = None  # a bad token already tried a second time
    restarts: int = 0

    def restart(self) -> None:
        self.seen_tokens.clear()
        self.seen_keys = SeenKeys()
        self.stale_run = self.pages = 0
        self.max_pages = None


# XML 1.0 forbids C0 controls other than tab/LF/CR (and U+FFFE/U+FFFF).  OJS copies pasted
# text (Word, PDF) into records unfiltered, so real endpoints emit them raw and as character
# references; a strict parser rejects the whole page for one stray \x0b.
_ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ILLEGAL_REFS = re.compile(
    r"&#(?:x0*(?:[0-8bcef]|1[0-9a-f])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));", re.IGNORECASE
)


def repair_payload(content: bytes) -> tuple[bytes, tuple[str, ...]]:
    """Make a response parseable without changing any well-formed content; say what was done.

    Quirk: invalid UTF-8 (Latin-1 text stored in a UTF-8 database by old OJS upgrades) is
    replaced by U+FFFD; XML-illegal control characters are removed.
    """
    repairs: list[str] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("utf-8", errors="replace")
        repairs.append("invalid UTF-8 replaced")
    text, raw = _ILLEGAL_CHARS.subn("", text)
    text, refs = _ILLEGAL_REFS.subn("", text)
    if raw or refs:
        repairs.append(f"{raw + refs} XML-illegal control character(s) removed")
    return (text.encode("utf-8"), tuple(repairs)) if repairs else (content, ())


#: Restarts of one window after bad tokens before the run fails (it resumes at the checkpoint).
MAX_RESTARTS = 3


def after_bad_token(
    state: WindowState, error: BadResumptionToken, token: str | None, where: str
) -> str | None:
    """The token to fetch after ``badResumptionToken``.  Quirk: tokens expire (OJS: ~24 h) or
    vanish on a server restart.  The same token is tried once more (a restarting server may
    answer it again); then, records being idempotent in the store, the window restarts from
    its first page, at most ``MAX_RESTARTS`` times; after that the error fails the run."""
    if token is not None and state.retried_token != token:
        log.warning("%s: %s; trying the same token once more", where, error)
        state.retried_token = token
        return token
    if token is None or state.restarts >= MAX_RESTARTS:
        raise error
    state.restarts += 1
    log.warning(
        "%s: %s; restarting the window from its first page (restart %d of %d)",
        where,
        error,
        state.restarts,
        MAX_RESTARTS,
    )
    state.restart()
    return None


def list_should_end(
    state: WindowState, token: str | None, keys: set[str], size: int | None, max_stale: int, where: str
) -> bool:
    """Whether a paged list ends after a page with ``token`` and these item ``keys``.

    Quirk: looping servers would page forever: a token that repeats; fresh tokens over the
    same records, or over no records (a run of ``max_stale`` pages bringing nothing new); far
    more pages than ``completeListSize`` (``size``) implies.  The list ends with a warning.
    A page arrived, so a token retried after ``badResumptionToken`` has answered.
    """
    state.retried_token = None
    if token is None:
        return True
    state.pages += 1
    if token in state.seen_tokens:
        log.warning("%s: resumption token %r repeated; ending the list here", where, token)
        return True
    state.seen_tokens.add(token)
    state.stale_run = 0 if state.seen_keys.add(keys) else state.stale_run + 1
    if state.stale_run >= max_stale:
        log.warning(
            "%s: %d pages in a row without records new to it; ending the list here", where, state.stale_run
        )
        return True
    if state.max_pages is None and size and keys:
        state.max_pages = 2 * math.ceil(size / len(keys)) + 2
    if state.max_pages is not None and state.pages >= state.max_pages:
        log.warning(
            "%s: %d pages, far more than completeListSize %d implies; ending the list here",
            where,
            state.pages,
            size,
        )
        return True
    return False


def fetch_twice(fetch: Callable[[], _T]) -> _T:
    """Quirk: a response cut off mid-stream (proxies, PHP time limits on big pages) usually
    arrives whole the second time; one broken twice fails the run, resumably."""
    try:
        return fetch()
    except BrokenResponseError as exc:
        log.warning("%s; fetching it once more", exc)
        return fetch()


def parse_strict(content: bytes, where: str) -> tuple[bytes, Any, tuple[str, ...]]:
    """Parse strictly; only a page that fails is repaired (see ``repair_payload``) and parsed
    again, so well-formed pages cost one parse.  Returns the bytes parsed, the tree and the
    repairs made (for the caller to log: this may run in a helper process)."""
    try:
        return content, etree.fromstring(content, _PARSER), ()
    except etree.XMLSyntaxError as exc:
        error = exc
    repaired, repairs = repair_payload(content)
    if not repairs:
        raise BrokenResponseError(f"{where}: broken XML: {error}") from None
    try:
        return repaired, etree.fromstring(repaired, _PARSER), repairs
    except etree.XMLSyntaxError as exc:
        raise BrokenResponseError(f"{where}: broken XML even after repair: {exc}") from None


def is_from_failure(error: HarvesterError, window_from: str | None, token: str | None) -> bool:
    """Quirk: OJS 3.4.0-4 on PostgreSQL answers every ListRecords with ``from`` by HTTP 500
    with an empty body; such a window is harvested as a full sweep instead."""
    return (
        isinstance(error, TransientHTTPStatusError)
        and error.status == 500
        and window_from is not None
        and token is None
    )
