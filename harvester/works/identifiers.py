"""Identifiers as published, made canonical and checked: DOI, ISSN, ORCID, article URL.

Aggregators find harvested identifiers dirty (resolver URLs, ``doi:`` prefixes, typed
spaces, a sentence's full stop, ISSNs without hyphens or with a wrong check digit), so every
value is read leniently into one canonical form and then checked strictly.  A value that
fails comes back with the reason instead of a value: the caller lists it
(``identifier_problems``) and never matches on it.  Check digits are python-stdnum's (ISSN:
ISO 3297 mod 11; ORCID: ISO 7064 MOD 11-2), not ours.  Pure functions: no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

from stdnum import issn as stdnum_issn
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.iso7064 import mod_11_2

__all__ = ["Checked", "canonical_url", "check_doi", "check_issn", "check_orcid"]


class Checked(NamedTuple):
    """A canonical value, or None and the reason the raw value failed."""

    value: str | None
    problem: str | None = None


_RESOLVER = re.compile(r"^(?:https?://)?(?:www\.|dx\.)?doi\.org/", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:doi:|info:doi/)", re.IGNORECASE)
# Crossref's advice for matching DOIs in the wild: "10." + a registrant code of 4-9 digits
# (sub-divisions allowed), "/", then a suffix without spaces.
_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_DOI_START = re.compile(r"10\.\d{4,9}(?:\.\d+)*/")
_TRAILING = ".,;:"


def check_doi(raw: str | None) -> Checked:
    """The bare, lower-case DOI in ``raw``: resolver URL, ``doi:`` and spaces removed, a
    sentence's closing punctuation dropped; None and why when it is not one DOI."""
    if raw and _DOI.match(raw) and raw[-1] not in _TRAILING and raw.find("10.", 3) < 0:
        return Checked(raw.lower())  # already bare, one DOI: most records (the ingest's path)
    text = (raw or "").strip()
    if not text:
        return Checked(None, "empty")
    if _RESOLVER.match(text):
        text = unquote(_RESOLVER.sub("", text, count=1))  # a DOI travels percent-encoded in a URL
    text = "".join(_PREFIX.sub("", text, count=1).split()).rstrip(_TRAILING).lower()
    if len(_DOI_START.findall(text)) > 1:
        return Checked(None, "two DOIs in one value")
    if not _DOI.match(text):
        return Checked(None, "not DOI syntax (10.NNNN/suffix)")
    return Checked(text)


@lru_cache(maxsize=4096)  # every record of a journal repeats its ISSNs
def check_issn(raw: str | None) -> Checked:
    """The ISSN in ``raw`` as "NNNN-NNNC", its check digit verified."""
    text = (raw or "").strip()
    if text.lower().startswith("issn"):
        text = text[4:].lstrip(": ")
    compact = stdnum_issn.compact(text.replace("‐", "").replace("‑", "").replace("–", ""))
    try:
        stdnum_issn.validate(compact)
    except InvalidChecksum:
        return Checked(None, "wrong check digit")
    except ValidationError:
        return Checked(None, "not an ISSN (NNNN-NNNC)")
    return Checked(stdnum_issn.format(compact).upper())


_ORCID_HOST = re.compile(r"^(?:(?:https?://)?(?:www\.)?orcid\.org/|orcid:)", re.IGNORECASE)
_SANDBOX = re.compile(r"^(?:https?://)?sandbox\.orcid\.org/", re.IGNORECASE)


def check_orcid(raw: str | None) -> Checked:
    """The ORCID iD in ``raw`` in its URL form ``https://orcid.org/0000-0000-0000-000X``,
    its ISO 7064 MOD 11-2 check digit verified.

    An iD of ORCID's sandbox is refused: an install whose ORCID plugin uses the sandbox API
    stores ``https://sandbox.orcid.org/…`` (pkp-lib 3_5_0-1 classes/orcid/OrcidManager.php
    ``ORCID_URL_SANDBOX``), an iD of a test registry that may name someone else, or no
    one, in the real one."""
    text = (raw or "").strip()
    if _SANDBOX.match(text):
        return Checked(None, "an ORCID sandbox iD (sandbox.orcid.org), not a researcher's")
    text = _ORCID_HOST.sub("", text, count=1).rstrip("/")
    digits = "".join(text.replace("-", "").split()).upper()
    if len(digits) != 16 or not digits[:15].isdigit() or not (digits[15].isdigit() or digits[15] == "X"):
        return Checked(None, "not an ORCID iD (16 digits)")
    if not mod_11_2.is_valid(digits):
        return Checked(None, "wrong check digit")
    return Checked("https://orcid.org/" + "-".join(digits[i : i + 4] for i in range(0, 16, 4)))


# A locale as OJS names it in URLs: "en", "fr_CA", "sr@latin", "zh_Hant".
_LOCALE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z]{2,4})?(?:@[a-z]+)?$")
# The pages that follow the context (and, in 3.5, the locale) in an article or issue URL.
_PAGES = frozenset({"article", "issue", "oai", "search", "about", "index"})


def canonical_url(url: str) -> str:
    """One URL per article page however the journal's links spell it.

    https (a journal moved from http is the same journal), lower-case host, no default port,
    no ``index.php`` (an install with ``restful_urls = On`` writes its URLs without it: ojs
    3_4_0-8 config.TEMPLATE.inc.php, read by pkp-lib 3_5_0-1 classes/core/PKPRequest.php
    ``isRestfulUrlsEnabled``), no trailing slash, and no OJS 3.5 locale
    segment: a journal with more than one locale puts the locale after the context path,
    ``/index.php/J/fr/article/view/7`` (pkp-lib 3_5_0-1 classes/core/PKPPageRouter.php
    ``url()``: ``$pathInfoArray[] = $this->_getLocaleForUrl(…)`` when
    ``count($contextLocales) > 1``), while a one-locale journal's URLs have none.  The
    context is the segment after ``index.php``, wherever the install lives: OJS's own
    template installs it under a path (ojs 3_5_0-1 config.TEMPLATE.inc.php ``base_url =
    "https://pkp.sfu.ca/ojs"``), so ``/ojs/index.php/J/fr/article/view/7`` has its locale
    third.  A URL without ``index.php`` is read as having no such path.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        rest = scheme
    netloc, _, tail = rest.partition("/")
    path, _, query = tail.partition("?")
    path = path.partition("#")[0]
    query = query.partition("#")[0]
    host = netloc.rpartition("@")[2].lower()
    if host.endswith((":80", ":443")):
        host = host.rpartition(":")[0]
    parts = [segment for segment in path.split("/") if segment]
    context = parts.index("index.php") if "index.php" in parts else 0  # the context's place
    segments = [segment for segment in parts if segment != "index.php"]
    locale = context + 1
    if len(segments) > locale + 1 and segments[locale + 1] in _PAGES and _LOCALE.match(segments[locale]):
        del segments[locale]
    return f"https://{host}/{'/'.join(segments)}".rstrip("/") + (f"?{query}" if query else "")
