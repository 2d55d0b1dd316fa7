"""The OAI-PMH metadata formats a harvest walks windows in, and how each is read and written.

Every source's articles come from ``oai_dc``: its windows create, change and delete them, and
their complete lists are the sweeps that withdraw vanished articles (``store.sweeps``).  A
source harvested over OAI alone (strategy ``oai``, so no article page shows the references)
walks a second window in ``jats`` when the repository lists that format (OJS from 3.5.0-0:
``parse.jats``); its records only enrich the stored articles with their references
(``store.enrich``).  Each format's window has its own checkpoint and high-water mark
(``store.runs``), so either resumes and advances on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import CannotDisseminateFormat, HTTPStatusError, OAIProtocolError
from ..model import OaiRecord
from ..parse.jats import JATS_PREFIX, parse_jats_record
from ..parse.oai_dc import parse_stored_record
from ..store.articles import PageCounts, RawPage
from ..store.enrich import enrich_references
from ..store.feed import RunContext
from ..store.ingest import ingest_records
from .oai import OaiClient, RecordParser

__all__ = ["JATS", "OaiFormat", "enrichment_windows", "main_format"]

log = logging.getLogger(__name__)

# (connection, run context, a page's records, its raw body) -> what the page did to the store.
PageIngest = Callable[[Any, RunContext, Sequence[OaiRecord], RawPage | None], PageCounts]


@dataclass(frozen=True)
class OaiFormat:
    """A metadata format a window is walked in."""

    prefix: str
    parse: RecordParser
    ingest: PageIngest
    sweeps: bool  # its complete lists are sweeps (``store.sweeps``): the articles' own format only


def main_format(prefix: str) -> OaiFormat:
    """The format the articles are harvested in (the source's ``metadata_prefix``, oai_dc)."""
    return OaiFormat(prefix, parse_stored_record, ingest_records, sweeps=True)


JATS = OaiFormat(JATS_PREFIX, parse_jats_record, enrich_references, sweeps=False)


def _offered(oai: OaiClient, source: str) -> list[str]:
    """The repository's formats; none when it cannot list them (the run goes on without)."""
    try:
        return oai.list_metadata_formats()
    except (OAIProtocolError, HTTPStatusError) as exc:
        log.warning("%s: ListMetadataFormats failed (%s); no JATS references this run", source, exc)
        return []


def enrichment_windows(
    oai: OaiClient, source: str, sets: Iterable[str], walk: Callable[[str, OaiFormat], object]
) -> int:
    """Walk the ``jats`` window of each set (``walk(set_spec, JATS)``) when the repository
    offers the format; the number of warnings.

    oaiJats answers ``cannotDisseminateFormat`` for a whole request when a record has no JATS
    it may show (subscription content, or no XML file and no template: pkp/oaiJats
    ``OAIMetadataFormat_JATS::toXml`` at 5a2a66c, pinned by ojs 3_5_0-1).  Such a window is
    left where it stopped, its checkpoint kept, with a warning: the references are an
    enrichment, and the articles are already stored.
    """
    if JATS_PREFIX not in _offered(oai, source):
        return 0
    warnings = 0
    for set_spec in sets:
        try:
            walk(set_spec, JATS)
        except CannotDisseminateFormat as exc:
            log.warning(
                "%s: the JATS window%s stopped: %s", source, f" of set {set_spec}" * bool(set_spec), exc
            )
            warnings += 1
    return warnings
