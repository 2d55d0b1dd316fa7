"""Mirror the galley files of a source: store → resolve → download → verify → store.

1. **Galleys**: every galley of every live article, as its current record lists it (the
   article page's links, or OAI's ``dc:relation``), read from the store in batches.
2. **Due?** A galley with a stored file is checked again on every run when the server gave
   validators (a conditional request costs a 304), else once per ``[mirror] recheck``: a
   server without validators (OJS sends none) can only be asked by downloading the file again.
   A galley never stored, refused or failed last time is tried on every run.
3. **Resolve**: the first time, the galley's view page is fetched: it is a viewer (pdf.js,
   HTML iframe, OJS 2 frame; see ``parse.html.viewer``) naming the file, or the file itself
   when the view URL redirects there.  Later runs go straight to the file URL found then,
   and back to the view page only when that URL has gone (403, 404, 410) or no longer
   gives the file (a login page, say).
4. **Download** through the polite client (robots.txt, pacing, retries), streamed into a temp
   file and hashed on the way; over ``max_file_size`` it is refused, and so is a URL or redirect
   off the journal's site (``netguard.SitePolicy``: its hosts and ``[mirror] allowed_hosts``).
5. **Verify**: the bytes must be what the galley promised (``parse.filetype``): an HTML
   login or error page served for a PDF is refused, and so is a type not in ``allowed_types``.
6. **Store**: the file moves to ``PATH/sha256/ab/cd/<sha256>`` (``files``), then the galley's
   check is written in one transaction (``store.galleys``): a new version only when the bytes
   changed.  A refused or failed galley keeps its earlier file and records the reason.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config import Settings, SourceSettings
from ..errors import (
    FileStoreError,
    HarvesterError,
    NetworkError,
    PageError,
    PermanentError,
    PermanentHTTPStatusError,
    RefusedURLError,
    ResponseTooLargeError,
    RetryLaterError,
    RobotsDisallowedError,
    StopRequested,
    TransientError,
)
from ..fetch.client import HttpClient
from ..fetch.conditional import request_headers, validators
from ..fetch.download import Download, DownloadStopped, download
from ..fetch.netguard import SitePolicy
from ..fetch.politeness import Politeness
from ..ojs.urls import galley_download_url
from ..parse.filetype import (
    file_type,
    filename_from_disposition,
    is_journal_page,
    media_type,
    refusal,
    sniff,
    type_allowed,
)
from ..parse.html.viewer import viewer_file_url
from ..store import Store
from ..store.galleys import (
    Check,
    GalleyRef,
    GalleyState,
    StoredFile,
    galley_states,
    listed_galleys,
    mark_removed,
    record_check,
    source_id_of,
)
from .files import FileStore, TempFile, files_path
from .result import MirrorResult

__all__ = ["MirrorResult", "mirror_after_harvest", "mirror_source"]

log = logging.getLogger(__name__)

_BATCH = 200  # articles read from the store at a time
_MAX_VIEWER_PAGE = 2 * 1024 * 1024  # a view page is a few KB; never parse more than this
_MAX_FAILURES_IN_A_ROW = 5  # transient failures in a row: the host is down, stop for this run
_GONE = frozenset({403, 404, 410})  # a file URL that answers this is looked for again


@dataclass
class _Run:
    """One mirror run of one source."""

    source: SourceSettings
    settings: Settings
    store: Store
    http: HttpClient
    files: FileStore
    result: MirrorResult
    stop: threading.Event
    now: datetime
    failures_in_a_row: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


# --- 1. galleys and 2. which are due ----------------------------------------------------------


def _file_present(run: _Run, state: GalleyState) -> bool:
    return bool(state.path and state.size is not None and run.files.present(Path(state.path), state.size))


def _due(run: _Run, state: GalleyState | None) -> bool:
    if state is None or state.status != "ok" or state.version == 0 or not _file_present(run, state):
        return True
    if state.etag or state.last_modified or state.checked_at is None:
        return True
    return run.now - state.checked_at >= run.settings.mirror.recheck


def _conditional(run: _Run, state: GalleyState | None) -> dict[str, str]:
    """Validators of the stored file, sent only while that file is on disk."""
    if state is None or not _file_present(run, state):
        return {}
    return request_headers(state.etag, state.last_modified)


# --- 3. resolve and 4. download ---------------------------------------------------------------


def _get(run: _Run, url: str, temp: TempFile, headers: dict[str, str] | None = None) -> Download:
    mirror = run.settings.mirror
    try:
        got = download(
            run.http,
            url,
            temp.file,
            max_bytes=mirror.max_file_size,
            headers=headers,
            timeout=mirror.timeout,
            stop=run.stop,
        )
    except OSError as exc:
        raise FileStoreError(f"{temp.path}: cannot write the download: {exc.strerror}") from None
    run.result.downloaded += got.size
    return got


def _read_page(temp: TempFile) -> bytes:
    temp.file.seek(0)
    return temp.file.read(_MAX_VIEWER_PAGE)


def _may_be_viewer(ref: GalleyRef, got: Download) -> bool:
    """An HTML answer to a view URL is a viewer unless it is the HTML galley file itself."""
    if sniff(got.head) != "html":
        return False
    return is_journal_page(got.head) or media_type(ref.mime_type) not in (
        "text/html",
        "application/xhtml+xml",
    )


def _resolve(run: _Run, ref: GalleyRef, temp: TempFile) -> Download:
    """The galley's file via its view page: a viewer names it, or the view URL redirects to it."""
    fallback = ref.download_url or galley_download_url(ref.url)
    try:
        got = _get(run, ref.url, temp)
    except (PermanentHTTPStatusError, RobotsDisallowedError):
        if not fallback or fallback == ref.url:
            raise
        return _get(run, fallback, temp)  # the view page is gone or off limits: try the file URL
    if not _may_be_viewer(ref, got):
        return got
    link = viewer_file_url(_read_page(temp), got.url)
    return got if link is None else _get(run, link, temp)


# --- 5. verify and 6. store -------------------------------------------------------------------


def _verified(run: _Run, ref: GalleyRef, state: GalleyState | None, got: Download, temp: TempFile) -> Check:
    """Refuse what is not the promised file; keep the rest (once per distinct content)."""
    if got.not_modified and state is not None and state.sha256:
        sent = validators(got.headers)
        return Check("ok", got.url, validators=sent if any(sent) else None)
    if got.sha256 is None:
        return Check("failed", None, f"{got.url}: unexpected answer HTTP {got.status}")
    served = got.headers.get("Content-Type")
    reason = refusal(ref.mime_type, served, got.head)
    mime = file_type(ref.mime_type, served, got.head)
    if reason is None and not type_allowed(mime, run.settings.mirror.allowed_types):
        reason = f"{mime} is not one of [mirror] allowed_types"
    if reason is not None:
        return Check("refused", None, f"{got.url}: {reason}")  # file_url: only where a file was
    path = run.files.place(temp, got.sha256, got.size)
    name = filename_from_disposition(got.headers.get("Content-Disposition"))
    stored = StoredFile(got.sha256, got.size, mime, str(path), name)
    return Check("ok", got.url, stored=stored, validators=validators(got.headers))


def _at_known_url(run: _Run, ref: GalleyRef, state: GalleyState | None, temp: TempFile) -> Check | None:
    """The check at the URL the file was found at before (conditional); None when there is no
    such URL, or it has gone (403, 404, 410) or no longer gives the file: look again."""
    if state is None or not state.file_url:
        return None
    try:
        got = _get(run, state.file_url, temp, _conditional(run, state))
    except PermanentHTTPStatusError as exc:
        if exc.status not in _GONE:
            raise
        log.info(
            "%s: %s answers HTTP %d; looking for the file again", run.source.name, state.file_url, exc.status
        )
        return None
    check = _verified(run, ref, state, got, temp)
    return None if check.status == "refused" else check


def _check(run: _Run, ref: GalleyRef, state: GalleyState | None, temp: TempFile) -> Check:
    """Resolve, download and verify one galley; failures become a refused or failed check."""
    try:
        check = _at_known_url(run, ref, state, temp)
        if check is None:
            check = _verified(run, ref, state, _resolve(run, ref, temp), temp)
    except RetryLaterError:
        raise  # the host wants a long pause: stop asking it anything this run
    except (RobotsDisallowedError, ResponseTooLargeError, PageError, RefusedURLError) as exc:
        check = Check("refused", None, str(exc))
    except PermanentError as exc:
        check = Check("failed", None, str(exc))
    except TransientError as exc:
        run.failures_in_a_row += 1
        if run.failures_in_a_row >= _MAX_FAILURES_IN_A_ROW:
            raise NetworkError(f"{_MAX_FAILURES_IN_A_ROW} galleys in a row failed, the last: {exc}") from exc
        return Check("failed", None, str(exc))
    run.failures_in_a_row = 0
    return check


def _count(result: MirrorResult, ref: GalleyRef, outcome: str, check: Check) -> None:
    setattr(result, outcome, getattr(result, outcome) + 1)  # new, changed, unchanged, refused, failed
    if outcome in ("new", "changed", "unchanged"):
        return
    line = f"{ref.url}: {outcome}: {check.reason}"
    result.problems.append(line)
    log.warning("%s: galley %s", result.source, line)


def _mirror_galley(run: _Run, ref: GalleyRef, state: GalleyState | None) -> None:
    """One galley, start to end; its check committed after its file is in place."""
    run.result.galleys += 1
    if not _due(run, state):
        run.result.not_due += 1
        return
    with run.files.temp() as temp:
        check = _check(run, ref, state, temp)
        with run.store.write() as conn:
            outcome = record_check(conn, ref, check, _now())
    _count(run.result, ref, outcome, check)


def _walk(run: _Run, source_id: int) -> None:
    """The source's live articles ``_BATCH`` at a time, by id: each batch's galleys with what
    the mirror knows of them, read in a short transaction, then mirrored; then those of its
    id range that no record lists any more are marked removed.  Nothing is held but one
    batch, whatever the size of the source."""
    after = 0
    while True:
        with run.store.read() as conn:
            batch = listed_galleys(conn, source_id, after, _BATCH)
            last = batch[-1][0] if len(batch) == _BATCH else None  # None: this batch to the end
            states = galley_states(conn, source_id, after, last)
        listed = []
        for ref in (ref for _, refs in batch for ref in refs):
            listed.append(ref.key)
            if run.stop.is_set():
                run.result.status = "interrupted"
                return
            _mirror_galley(run, ref, states.get(ref.key))
        with run.store.write() as conn:
            run.result.removed += mark_removed(conn, source_id, listed, _now(), after, last)
        if last is None:
            return
        after = last


def mirror_source(
    source: SourceSettings,
    settings: Settings,
    store: Store,
    *,
    politeness: Politeness | None = None,
    stop: threading.Event | None = None,
) -> MirrorResult:
    """Mirror the galley files of one harvested source now (see the module docstring).

    Raises ``FileStoreError`` when the files directory cannot be written, and the network error
    that made the run give up (a long Retry-After, a host down for several galleys in a row).
    """
    result = MirrorResult(source.name)
    with store.read() as conn:
        source_id = source_id_of(conn, source.name)
    if source_id is None:
        log.warning("%s: never harvested, so no galleys to mirror yet", source.name)
        return result
    files = FileStore(files_path(settings))
    files.clean_temp()
    site = SitePolicy.of((source.url, source.endpoint), settings.mirror.allowed_hosts)
    with HttpClient(settings.http, politeness, site=site) as http:
        run = _Run(source, settings, store, http, files, result, stop or threading.Event(), _now())
        try:
            _walk(run, source_id)
        except (DownloadStopped, StopRequested):
            result.status = "interrupted"
        finally:
            result.requests = http.requests_made
    log.info("%s", result.summary())
    return result


def mirror_after_harvest(
    source: SourceSettings, settings: Settings, store: Store, *, politeness: Politeness, stop: threading.Event
) -> None:
    """The daemon's step after a source's harvest: mirror its galleys when ``mirror_galleys``."""
    if not source.mirror_galleys or stop.is_set():
        return
    try:
        mirror_source(source, settings, store, politeness=politeness, stop=stop)
    except HarvesterError as exc:
        log.error("%s: mirror failed: %s", source.name, exc)  # noqa: TRY400
