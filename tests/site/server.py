"""The test OJS site: several journals on one loopback HTTP server, with mutations and fault injection."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl

from tests.site import routes
from tests.site.edits import SiteEdits
from tests.site.expected import expected_archive
from tests.site.generate import generate_journals
from tests.site.handler import Handler, HtmlRequest, Response, Server, fault_response, not_modified, truncate
from tests.site.loopback import LoopbackSite
from tests.site.model import DEFAULT_REPOSITORY_ID, SimArticle, SimJournal, now
from tests.site.oai import GRANULARITY_SECONDS
from tests.site.oai_protocol import OaiProvider, Query, TokenState
from tests.site.ojs_releases import DEFAULT_RELEASE, RELEASES

if TYPE_CHECKING:
    from harvester.model import ArchivePage

__all__ = ["OjsSite"]


class OjsSite(SiteEdits, OaiProvider, LoopbackSite):
    """Several OJS journals on one loopback HTTP server, with mutations and fault injection.

    Reads and edits of the journals come from ``SiteEdits`` (``edits``), the OAI-PMH verbs from
    ``OaiProvider`` (``oai_protocol``), the pages from ``routes``.

    OAI fault switches (plain attributes, read on each request): ``control_chars``, ``delay`` (HTML
    too), ``from_500``, ``ignore_from``, ``repeat_token``, ``empty_pages``, ``decoy_token``. Counted faults:
    :meth:`fail_next`, :meth:`truncate_next`, :meth:`expire_tokens`.

    HTML fault switches: ``login_instead`` and ``soft_404`` (sets of article ids whose page is a 302
    to the login page / a 200 "not found" theme page), ``page_gone`` (article ids whose page answers
    404 while their table of contents still lists them), ``non_ojs_path`` (a plain non-OJS site under
    that path prefix). Counted: :meth:`truncate_html_next`, :meth:`fail_html_next`.

    Galley file faults: ``disguised`` (galley ids whose download is the login page, sent with the
    galley's type, e.g. application/pdf); counted: :meth:`cut_downloads_next`.
    """

    def __init__(
        self,
        journals: list[SimJournal],
        *,
        page_size: int = 10,
        identifiers_page_size: int = 500,
        granularity: str = GRANULARITY_SECONDS,
        repository_id: str = DEFAULT_REPOSITORY_ID,
        robots_txt: str = "User-agent: *\nDisallow:\n",
        port: int = 0,
        archive_page_size: int = 4,
        archive_past_end: int | None = None,
        themed_archive: bool = False,
        release: str = DEFAULT_RELEASE,
        validators: bool = True,
        non_ojs_path: str | None = None,
    ) -> None:
        """Hold the journals; the server starts with :meth:`start` or ``with``.

        ``release``: the OJS release whose behaviour the site copies (``ojs_releases.RELEASES``).
        ``archive_page_size``: issues per archive page (OJS default 4 here, as recorded).
        ``archive_past_end``: the status of an archive page past the last one, the release's unless
        given: 200 with an empty list (up to 3.3.0-19 and 3.4.0-7) or 404 (3.3.0-20+, 3.4.0-8+, 3.5;
        pkp-lib#10596, see ``harvester.harvest.crawl._archive_page``). ``themed_archive``: archive pages in a
        theme's own markup, without OJS's pagination (``pages.archive_page``).
        ``validators``: send ETag/Last-Modified and answer conditional requests with 304; False is
        real OJS, which sends neither. ``non_ojs_path``: e.g. ``"/blog/"``, a non-OJS site.
        """
        self.journals = {j.path: j for j in journals}
        self.release = RELEASES[release]
        for number, journal in enumerate(journals, 1):
            journal.repository_id = repository_id
            journal.context_id = number
            journal.release = self.release
        self.page_size = page_size
        self.identifiers_page_size = identifiers_page_size
        self.granularity = granularity
        self.repository_id = repository_id
        self.robots_txt = robots_txt
        self.port = port
        self.archive_page_size = archive_page_size
        self.archive_past_end = (
            self.release.archive_past_end if archive_past_end is None else archive_past_end
        )
        self.themed_archive = themed_archive
        self.validators = validators
        self.non_ojs_path = non_ojs_path
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.html_requests: list[HtmlRequest] = []
        self.control_chars = False
        self.delay = 0.0
        self.from_500 = False
        self.ignore_from = False
        self.repeat_token = False
        self.empty_pages = False
        self.decoy_token = False
        self.login_instead: set[int] = set()
        self.soft_404: set[int] = set()
        self.page_gone: set[int] = set()
        self.disguised: set[int] = set()
        self._cut_downloads: list[threading.Event | None] = []
        self._fail: list[tuple[int, str | None]] = []
        self._fail_html: list[tuple[int, str | None]] = []
        self._truncate = 0
        self._truncate_html = 0
        self._truncate_kind: str | None = None
        self._tokens: dict[str, TokenState] = {}
        self._select_cache: dict[Query, tuple[int, list[SimArticle]]] = {}
        self._version = 0
        self._lock = threading.RLock()
        self._server: Server | None = None
        arts = [a for j in journals for a in j.articles]
        self.created = max((a.modified for a in arts), default=now())  # static pages' Last-Modified
        self._clock = self.created
        for art in arts:
            self._register_issue(art)

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def generate(
        cls, journals: int = 3, articles_per_journal: int = 25, seed: int = 1, **kwargs: Any
    ) -> OjsSite:
        """A deterministic, varied site; extra keyword arguments go to the constructor.

        Journal paths are ``jsas``, ``mhc``, ``clr``, then ``sim4``, ``sim5``, ...; article, galley and
        issue ids are unique across the site. Each journal of 10+ articles has one deleted record
        (``generate.generate_journals``).
        """
        return cls(generate_journals(journals, articles_per_journal, seed), **kwargs)

    # -- server lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 (``port``, 0 = any), pre-render every record and serve in a daemon thread."""
        server = self._server = Server((self.address, self.port), Handler)
        server.site = self
        for journal in self.journals.values():
            journal.base_url = self.base_url
            for art in journal.articles:
                art._cache.clear()
                self._record_bytes(art, "oai_dc")
        return self._serve()

    def journal_url(self, path: str) -> str:
        """``BASE/index.php/PATH``."""
        return f"{self.base_url}/index.php/{path}"

    def oai_url(self, path: str) -> str:
        """``BASE/index.php/PATH/oai``."""
        return f"{self.journal_url(path)}/oai"

    # -- data access and mutations --------------------------------------------------------------------

    def expected_archive(self, journal: str, page: int = 1) -> ArchivePage:
        """The ``harvester.model.ArchivePage`` the HTML parser must make of archive page ``page``."""
        with self._lock:
            issues = self.journals[journal].issues()
            return expected_archive(self.journals[journal], issues, page, self.archive_page_size)

    # -- fault injection ------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 503, retry_after: str | None = "1") -> None:
        """The next ``n`` OAI requests answer ``status`` with a small HTML body (and Retry-After)."""
        with self._lock:
            self._fail.extend([(status, retry_after)] * n)

    def truncate_next(self, n: int = 1) -> None:
        """The next ``n`` ListRecords responses are cut in the middle (still 200 OK)."""
        with self._lock:
            self._truncate += n

    def expire_tokens(self) -> None:
        """Every resumption token issued so far answers badResumptionToken."""
        with self._lock:
            self._tokens.clear()

    def truncate_html_next(self, n: int = 1, kind: str | None = None) -> None:
        """The next ``n`` HTML pages (not downloads; only of ``kind``, e.g. "article", when given)
        that would be sent whole are cut in the middle.

        The ETag sent is the whole page's, as when a proxy cuts the connection: a client must not
        keep the validators of a page it could not parse.
        """
        with self._lock:
            self._truncate_html += n
            self._truncate_kind = kind

    def fail_html_next(self, n: int = 1, status: int = 503, retry_after: str | None = "1") -> None:
        """The next ``n`` requests to the HTML side answer ``status`` (and Retry-After)."""
        with self._lock:
            self._fail_html.extend([(status, retry_after)] * n)

    def cut_downloads_next(self, n: int = 1, hold: threading.Event | None = None) -> None:
        """The next ``n`` whole galley downloads stop half-way (after a full Content-Length) and the
        connection drops; with ``hold``, the half-sent transfer stalls until ``hold`` is set."""
        with self._lock:
            self._cut_downloads.extend([hold] * n)

    # -- request handling -----------------------------------------------------------------------------

    def handle(
        self, path: str, query: str, headers: Mapping[str, str] | None = None, method: str = "GET"
    ) -> Response:
        """Answer one request (called by the HTTP handler thread); ``headers`` are the request's."""
        pairs = parse_qsl(query, keep_blank_values=True)
        args = dict(pairs)
        path, moved = self._unlocalized(path, query)
        match = re.fullmatch(r"/index\.php/([^/]+)/oai/?", path)
        kind = None
        sent = {name.lower(): value for name, value in (headers or {}).items()}
        if moved is not None:
            response, kind = moved, "locale"
        elif path == "/robots.txt":
            response = Response(200, self.robots_txt.encode(), {"Content-Type": "text/plain; charset=UTF-8"})
        elif match and match.group(1) in self.journals:
            response = self._serve_oai(self.journals[match.group(1)], pairs)
        else:
            response, kind = self._serve_html(path, args, sent)
        with self._lock:
            self.requests.append((path, args, response.status))
            if kind is not None:
                conditional = "if-none-match" in sent or "if-modified-since" in sent
                self.html_requests.append(HtmlRequest(path, args, response.status, conditional, kind, method))
        return response

    def _unlocalized(self, path: str, query: str) -> tuple[str, Response | None]:
        """3.5's locale segment: ``/index.php/J/en/REST`` is served as ``/index.php/J/REST``; a locale-less
        URL of a journal with a segment answers 302 to the same URL with it (observed, OJS 3.5.0-1: O2)."""
        match = re.fullmatch(r"/index\.php/([^/]+)(/.*)?", path)
        journal = self.journals.get(match.group(1)) if match else None
        segment = journal.locale_segment if journal else None
        if match is None or journal is None or segment is None:
            return path, None
        rest = match.group(2) or ""
        if rest == f"/{segment}" or rest.startswith(f"/{segment}/"):
            return f"/index.php/{journal.path}{rest[len(segment) + 1 :]}", None
        location = f"{journal.page_url}{rest}" + (f"?{query}" if query else "")
        headers = {"Location": location, "Content-Type": routes.PLAIN_TYPE}
        return path, Response(302, b"", headers | {"Set-Cookie": f"currentLocale={segment}; path=/"})

    def _serve_html(self, path: str, args: dict[str, str], sent: dict[str, str]) -> tuple[Response, str]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            page = routes.route(self, path, args)
            if self._fail_html:
                status, retry_after = self._fail_html.pop(0)
                return fault_response(status, retry_after), page.kind
            response = Response(page.status, page.body, {"Content-Type": page.content_type, **page.headers})
            if page.status == 200 and page.modified is not None:
                response = self._validated(response, page.modified, sent, download=page.download)
            if response.status == 200 and page.kind == "download" and self._cut_downloads:
                response.cut_at, response.hold = len(response.body) // 2, self._cut_downloads.pop(0)
            is_page = page.content_type.startswith("text/html") and not page.download
            wanted = self._truncate_kind in (None, page.kind)
            if response.status == 200 and is_page and self._truncate_html and wanted:
                self._truncate_html -= 1
                response.body = truncate(response.body)
        return response, page.kind

    def _validated(
        self, response: Response, modified: datetime, sent: dict[str, str], *, download: bool
    ) -> Response:
        """Add validators (or OJS's bare Cache-Control) and answer a matching conditional request."""
        if not self.validators:  # real OJS: no ETag, no Last-Modified (recorded quirk 11)
            response.headers["Cache-Control"] = "private" if download else "no-store"
            return response
        validators = {
            "ETag": f'"{hashlib.sha256(response.body).hexdigest()[:40]}"',
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "private" if download else "no-cache",
        }
        if not_modified(sent, validators["ETag"], modified):
            return Response(304, b"", validators)
        response.headers.update(validators)
        return response
