"""The ``dc:identifier`` values of an ``oai_dc`` record: its landing page and its DOI, checked.

OJS writes the article view URL first, then each stored pub-id (a bare DOI): 3_4_0-8
plugins/metadata/dc11/filter/Dc11SchemaArticleAdapter.php, lines 161 and 221.  Other journals
put a resolver URL or a ``doi:`` form there.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from harvester.works.identifiers import check_doi

__all__ = ["RecordIds", "is_http", "read_identifiers"]

_HTTP = ("http://", "https://")
_DOI_HOSTS = re.compile(r"^https?://(?:www\.|dx\.)?doi\.org/", re.IGNORECASE)


def is_http(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (scheme compared case-insensitively)."""
    return text.startswith(_HTTP) or text[:8].lower().startswith(_HTTP)


class RecordIds(NamedTuple):
    """The landing page, the canonical DOI (and as published), and what could not be taken."""

    url: str | None
    doi: str | None
    doi_published: str | None  # as written, when it is not the canonical form already
    problems: tuple[tuple[str, str, str], ...]


def _is_doi_shaped(value: str) -> bool:
    """Whether a ``dc:identifier`` claims to be a DOI: bare ``10.…``, ``doi:`` or a resolver URL."""
    lowered = value[:9].lower()
    prefixed = value.startswith("10.") or lowered.startswith(("doi:", "info:doi/"))
    return prefixed or bool(_DOI_HOSTS.match(value))


def read_identifiers(identifiers: list[str]) -> RecordIds:
    """The landing page (first http(s) identifier not at a DOI resolver) and the DOI.

    OJS writes the article view URL first, then each stored pub-id (a bare DOI); other
    journals put a resolver URL or a ``doi:`` form there, all of which ``check_doi`` reads.
    A DOI-shaped value that is no DOI, and a second, different DOI, are kept as problems
    (issue 17: listed in ``identifier_problems``, the first DOI kept).  URLs are only
    stripped: decoding entities could corrupt a query string.
    """
    url = doi = published = None
    problems: list[tuple[str, str, str]] = []
    for raw in identifiers:
        value = raw.strip()
        if _is_doi_shaped(value):
            checked = check_doi(value)
            if checked.value is None:
                problems.append(("doi", value, checked.problem or "not a DOI"))
            elif doi is None:
                doi, published = checked.value, (value if value != checked.value else None)
            elif checked.value != doi:
                problems.append(("doi", value, f"a second DOI in the record: {doi} is kept"))
        elif url is None and is_http(value):
            url = value
    return RecordIds(url, doi, published, tuple(problems))
