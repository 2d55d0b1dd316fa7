"""Lists of journals as people have them, read into rows: a PKP beacon CSV, JSON lines, URLs.

Pure: text in, one ``Entry`` per data line out (a journal, a URL still to discover, or the
reason the line is unusable).  Nothing here touches the network or the database; a bad line
never stops the lines after it.

A beacon row names an OAI endpoint and a set.  OJS serves every journal of an install at the
site-wide endpoint ``…/index.php/index/oai`` with the journal's path as its set spec
(pkp/ojs 3_4_0-8 ``classes/oai/ojs/OAIDAO.php`` ``setSpec``: ``$journal->getPath()``, and
``PATH:SECTION`` for sections); the journal's pages are at ``…/index.php/PATH`` beside the
site's ``index`` context.  A journal's own endpoint is ``…/index.php/PATH/oai``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from ..ojs.urls import SITE_CONTEXT, journal_base
from ..redact import mask
from .registry import Journal

__all__ = ["Entry", "detect_format", "journal_from_fields", "read_entries", "source_name"]

#: Beacon columns kept as what the import learnt; every other column (``admin_email`` and
#: the like: personal data) is dropped unread.
DETAIL_COLUMNS = ("context_name", "issn", "version", "application", "country", "set_spec")
#: JSON-lines keys a line may set besides the beacon's.
_SOURCE_KEYS = ("name", "url", "strategy", "schedule", "enabled", "mirror_galleys")
_SITE_ENDPOINT = re.compile(rf"/index\.php/{SITE_CONTEXT}/oai/?$")
_JOURNAL_ENDPOINT = re.compile(r"/oai/?$")


@dataclass(frozen=True)
class Entry:
    """One data line of a list: exactly one of ``journal``, ``url`` (to discover) or ``error``."""

    line: int
    journal: Journal | None = None
    url: str | None = None
    error: str | None = None


def detect_format(name: str, text: str) -> str:
    """``csv``, ``jsonl`` or ``urls``: by the file's extension, else by its first line."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in ("csv", "jsonl", "ndjson"):
        return "jsonl" if suffix == "ndjson" else suffix
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    return "csv" if "oai_url" in first.split(",") else "urls"


def source_name(journal_url: str) -> str:
    """A name unique per journal: host (and port) and the journal's path, like a one-off URL's."""
    parts = urlsplit(journal_url)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc
    if parts.query.startswith("journal="):
        tail = parts.query.split("=", 1)[1].split("&", 1)[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parts.netloc}-{tail}").strip("-._")


def _from_endpoint(endpoint: str, set_spec: str) -> tuple[str, tuple[str, ...]]:
    """The journal base URL and sets a (endpoint, set spec) pair names."""
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"oai_url {endpoint!r} is not an http(s) URL")
    if _SITE_ENDPOINT.search(endpoint):
        if not set_spec:
            raise ValueError("a site-wide endpoint (…/index.php/index/oai) needs a set_spec")
        journal = set_spec.split(":", 1)[0]
        return journal_base(_JOURNAL_ENDPOINT.sub("", endpoint), journal), (set_spec,)
    if not _JOURNAL_ENDPOINT.search(endpoint):
        raise ValueError(f"oai_url {endpoint!r} is not an OJS endpoint (…/index.php/JOURNAL/oai)")
    return _JOURNAL_ENDPOINT.sub("", endpoint), ((set_spec,) if ":" in set_spec else ())


def journal_from_fields(fields: Mapping[str, Any], defaults: Mapping[str, Any]) -> Journal:
    """A journal from a beacon row or a JSON line; ValueError says what is wrong with it."""
    application = str(fields.get("application") or "ojs").lower()
    if application != "ojs":
        raise ValueError(f"not an OJS journal (application {application!r})")
    endpoint = str(fields.get("oai_url") or "").strip()
    set_spec = str(fields.get("set_spec") or "").strip()
    url = str(fields.get("url") or "").strip()
    if endpoint:
        derived, sets = _from_endpoint(endpoint, set_spec)
        url = url or derived
    elif url:
        sets = (set_spec,) if set_spec else ()
    else:
        raise ValueError("no oai_url (nor url)")
    if mask(url) != url or mask(endpoint) != endpoint:
        raise ValueError("the URL carries a password or token: configure this journal in the TOML")
    given = {key: fields[key] for key in _SOURCE_KEYS if fields.get(key) not in (None, "")}
    values = {**defaults, **given}
    details = {key: str(fields[key]) for key in DETAIL_COLUMNS if fields.get(key) not in (None, "")}
    journal = Journal(
        name=str(values.get("name") or source_name(url)), url=url.rstrip("/"),
        oai_url=endpoint.rstrip("/") or None, sets=sets,
        strategy=str(values.get("strategy", "auto")), schedule=str(values.get("schedule", "6h")),
        enabled=bool(values.get("enabled", True)), mirror_galleys=bool(values.get("mirror_galleys", False)),
        details=details,
    )  # fmt: skip
    try:
        journal.settings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ValueError(f"{problem['loc'][0]}: {problem['msg'].removeprefix('Value error, ')}") from None
    return journal


def _entry(line: int, fields: Mapping[str, Any], defaults: Mapping[str, Any]) -> Entry:
    try:
        return Entry(line, journal=journal_from_fields(fields, defaults))
    except ValueError as exc:
        return Entry(line, error=str(exc))


def _csv_entries(text: str, defaults: Mapping[str, Any]) -> Iterator[Entry]:
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    if "oai_url" not in header:
        yield Entry(1, error="no oai_url column in the header (a PKP beacon CSV has one)")
        return
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Entry(line, error=f"broken row: {len(row)} fields where the header has {len(header)}")
            continue
        yield _entry(line, dict(zip(header, row, strict=True)), defaults)


def _jsonl_entries(text: str, defaults: Mapping[str, Any]) -> Iterator[Entry]:
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            fields = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Entry(line, error=f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(fields, dict):
            yield Entry(line, error="not a JSON object")
            continue
        yield _entry(line, fields, defaults)


def _url_entries(text: str) -> Iterator[Entry]:
    for line, raw in enumerate(text.splitlines(), 1):
        url = raw.strip()
        if not url or url.startswith("#"):
            continue
        if url.startswith(("http://", "https://")) and " " not in url:
            yield Entry(line, url=url)
        else:
            yield Entry(line, error=f"{url[:80]!r} is not an http(s) URL")


def read_entries(text: str, fmt: str, defaults: Mapping[str, Any]) -> Iterator[Entry]:
    """Every data line of ``text`` in format ``fmt`` (``csv``, ``jsonl``, ``urls``)."""
    if fmt == "csv":
        return _csv_entries(text, defaults)
    if fmt == "jsonl":
        return _jsonl_entries(text, defaults)
    return _url_entries(text)
