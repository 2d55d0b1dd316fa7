"""Serve a recorded real OJS site (``shared/samples/sites/<name>/``) again from a loopback server.

Each request is matched on method, path and query (query parameters compared order-insensitively,
after percent-decoding). The recorded status, headers and body bytes are sent back; in text bodies
(text/*, xml, html, json) and ``Location`` headers the recorded origin from ``site.json`` is rewritten
to this server's origin, including the JSON-escaped form (``http:\\/\\/127.0.0.1:8089``) pdf.js pages use.
Anything unrecorded gets OJS's 404 body ``<h1>404 Not Found</h1>``, except, on a 3.5 site whose URLs carry
a locale segment, an unrecorded locale-less journal URL: OJS 3.5 answers every such URL with a 302 to the
same path and query with the primary locale inserted (observed, OJS 3.5.0-1, shared/OJS.md §16 O2; lib:
classes/core/PKPPageRouter.php from 3_5_0-0), and so does the replay.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.site.loopback import LoopbackSite

NOT_FOUND_BODY = b"<h1>404 Not Found</h1>"
_TEXT_MARKERS = ("text/", "xml", "html", "json")


def samples_dir() -> Path | None:
    """``<repo>/../shared/samples`` if it exists, else None (tests then skip)."""
    path = Path(__file__).resolve().parents[3] / "shared" / "samples"
    return path if path.is_dir() else None


def recorded_site_dir(site: str) -> Path:
    """``shared/samples/sites/<site>``; the calling test skips only when the samples are absent as a
    whole: a recording missing from present samples (renamed, deleted) fails, never hides a test."""
    root = samples_dir()
    if root is None:
        pytest.skip("../shared/samples not found (it is not part of the repository)")
    site_dir = root / "sites" / site
    if not site_dir.is_dir():
        raise FileNotFoundError(f"recorded OJS site {site} missing from {root / 'sites'}")
    return site_dir


def recorded_response(site: str, path: str, query: str = "") -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body OJS sent for one recorded GET of ``shared/samples/sites/<site>``;
    a skip when the samples are absent."""
    site_dir = recorded_site_dir(site)
    for line in (site_dir / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if (row["method"], row["path"], row["query"]) == ("GET", path, query):
            return row["status"], row["headers"], (site_dir / row["body"]).read_bytes()
    raise AssertionError(f"{site}: GET {path}?{query} not recorded")


def _query_key(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


@dataclass(frozen=True)
class _Recording:
    status: int
    headers: dict[str, str]
    body_path: Path

    def is_text(self) -> bool:
        content_type = self.headers.get("Content-Type", "").lower()
        return any(marker in content_type for marker in _TEXT_MARKERS)


class ReplaySite(LoopbackSite):
    """A recorded site served from 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, site_dir: Path) -> None:
        """Load ``site.json`` and ``index.jsonl``; the server starts with :meth:`start` or ``with``."""
        self.site_dir = Path(site_dir)
        meta = json.loads((self.site_dir / "site.json").read_text(encoding="utf-8"))
        self.origin: str = meta["origin"].rstrip("/")
        self.journal_path: str = meta["journal_path"]
        self.ojs_version: str = meta.get("ojs_version", "")
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self._index: dict[tuple[str, str, tuple[tuple[str, str], ...]], _Recording] = {}
        with (self.site_dir / "index.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    self._add(json.loads(line))
        # The locales of the URLs: every segment with an OAI endpoint under it (/index.php/J/es/oai).
        endpoint = re.compile(rf"/index\.php/{re.escape(self.journal_path)}/([^/]+)/oai")
        self._locales = {m.group(1) for key in self._index if (m := endpoint.fullmatch(key[1]))}
        self.url_locale = self._url_locale()
        self._lock = threading.Lock()
        self._server: _ReplayServer | None = None

    def _add(self, row: dict[str, Any]) -> None:
        key = (row["method"].upper(), row["path"], _query_key(row["query"]))
        recording = _Recording(int(row["status"]), dict(row["headers"]), self.site_dir / row["body"])
        self._index.setdefault(key, recording)  # first recording wins

    def _url_locale(self) -> str | None:
        """The primary locale a 3.5 site inserts into locale-less URLs (from the recorded 302 of the
        journal's own URL, ``/index.php/J`` -> ``/index.php/J/en``), or None (3.3, 3.4: no segment)."""
        home = self._index.get(("GET", f"/index.php/{self.journal_path}", ()))
        location = home.headers.get("Location", "") if home and home.status == 302 else ""
        segment = location.rsplit("/", 1)[-1]
        return segment if segment in self._locales else None

    def _locale_redirect(self, path: str, query: str) -> tuple[int, dict[str, str], bytes] | None:
        """OJS 3.5's 302 for an unrecorded locale-less URL of the journal (see the module docstring)."""
        prefix = f"/index.php/{self.journal_path}/"
        if self.url_locale is None or not path.startswith(prefix):
            return None
        rest = path[len(prefix) :]
        if rest.split("/", 1)[0] in self._locales:
            return None  # already has a segment: unrecorded, so a 404
        location = f"{self.base_url}{prefix}{self.url_locale}/{rest}" + (f"?{query}" if query else "")
        headers = {"Location": location, "Content-Type": "text/html; charset=utf-8"}
        return 302, headers | {"Set-Cookie": f"currentLocale={self.url_locale}; path=/"}, b""

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free loopback port and serve in a daemon thread."""
        server = self._server = _ReplayServer((self.address, 0), _ReplayHandler)
        server.site = self
        return self._serve()

    @property
    def journal_url(self) -> str:
        """``BASE/index.php/JOURNAL_PATH``."""
        return f"{self.base_url}/index.php/{self.journal_path}"

    @property
    def oai_url(self) -> str:
        """``BASE/index.php/JOURNAL_PATH/oai``."""
        return f"{self.journal_url}/oai"

    # -- answering ------------------------------------------------------------------------------------

    def rewrite(self, data: bytes) -> bytes:
        """Replace the recorded origin (plain and JSON-escaped) with this server's origin."""
        new = self.base_url
        data = data.replace(self.origin.encode(), new.encode())
        return data.replace(self.origin.replace("/", "\\/").encode(), new.replace("/", "\\/").encode())

    def answer(self, method: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request; logs ``(path, query dict, status)`` in ``requests``."""
        parts = urlsplit(raw_path)
        recording = self._index.get((method.upper(), parts.path, _query_key(parts.query)))
        redirect = self._locale_redirect(parts.path, parts.query) if recording is None else None
        if redirect is not None:
            status, headers, body = redirect
        elif recording is None:
            status, headers, body = 404, {"Content-Type": "text/html; charset=UTF-8"}, NOT_FOUND_BODY
        else:
            status, headers = recording.status, dict(recording.headers)
            body = recording.body_path.read_bytes()
            if recording.is_text():
                body = self.rewrite(body)
            if "Location" in headers:
                headers["Location"] = self.rewrite(headers["Location"].encode()).decode()
        with self._lock:
            self.requests.append((parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), status))
        return status, headers, body


class _ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    site: ReplaySite


class _ReplayHandler(BaseHTTPRequestHandler):
    server: _ReplayServer

    def do_GET(self) -> None:
        """Serve a GET from the recording."""
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD with the recorded GET's status and headers."""
        self._reply(send_body=False)

    def _reply(self, *, send_body: bool) -> None:
        status, headers, body = self.server.site.answer("GET", self.path)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; ``ReplaySite.requests`` is the log."""
