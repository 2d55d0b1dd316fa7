"""One harvest of one source: choose the window, walk its pages, commit each with its checkpoint.

``harvest_source`` is a plain function of (source, settings, store) whose state lives in the
database, so the CLI, the daemon and any task-queue worker run the same code.  Each OAI page
is written in one transaction together with the checkpoint that points past it: a process
killed at any moment resumes after the last committed page, with nothing lost or duplicated.

The source's strategy picks the parts: OAI-PMH (``oai``), the journal's HTML pages
(``html``, see ``crawl``), both (``oai+html``: OAI first, then the pages enrich and check
it), or ``auto``: both when the OAI endpoint answers Identify, the pages alone when not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..config import Settings, SourceSettings
from ..errors import HarvesterError, NetworkError, OAIProtocolError, RetryLaterError, StopRequested
from ..fetch.client import HttpClient
from ..fetch.politeness import Politeness
from ..redact import host_of
from ..store import Store
from ..store.articles import PageCounts, RawPage
from ..store.feed import RunContext, write_changes
from ..store.journals import update_journal
from ..store.runs import (
    Checkpoint,
    HarvestState,
    SourceIds,
    complete_window,
    ensure_source,
    finish_run,
    load_checkpoint,
    load_state,
    record_page,
    save_checkpoint,
    start_run,
)
from ..store.sweeps import Sweep, listed_keys, mark_oai_sweep, reconcile
from .crawl import Crawl, crawl_journal
from .datestamps import incremental_from, parse_datestamp
from .formats import OaiFormat, enrichment_windows, main_format
from .job import HarvestRequest, HarvestResult, Interrupted, Run
from .journal import identify_facts
from .oai import OaiClient, Page, RepositoryInfo, Window

__all__ = ["HarvestRequest", "HarvestResult", "Interrupted", "harvest_source"]

log = logging.getLogger(__name__)


ProgressCallback = Callable[[Page, PageCounts], None]
FinishCallback = Callable[[HarvestResult], None]


@dataclass
class _Run(Run):
    """The run, with what its OAI part carries from page to page."""

    oai: OaiClient
    set_names: dict[str, str] = field(default_factory=dict)
    progress: ProgressCallback | None = None
    on_finish: FinishCallback | None = None
    # Per OAI window of this run: the run that started it when it was a full list that
    # reached its end, else None (see ``store.sweeps``).
    oai_sweeps: list[int | None] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _sweep_due(state: HarvestState | None, settings: Settings, now: datetime) -> bool:
    if state is None or state.last_full_sweep is None:
        return True
    return now - state.last_full_sweep >= settings.harvest.full_sweep


def _new_checkpoint(
    run: _Run, set_spec: str, request: HarvestRequest, info: RepositoryInfo, prefix: str
) -> Checkpoint:
    """The window to harvest in a format when no unfinished one is waiting."""
    base = Checkpoint(set_spec, prefix, None, None, True, "", None, 0)
    if request.kind == "backfill":
        full = request.from_ is None and request.until is None
        return replace(
            base,
            window_from=request.from_,
            window_until=request.until,
            full_sweep=full,
            sweep_run=run.result.run_id if full else None,
        )
    with run.store.read() as conn:
        state = load_state(conn, run.ids.source_id, set_spec, prefix)
    if state is None or _sweep_due(state, run.settings, _now()):
        return replace(base, sweep_run=run.result.run_id)
    overlap = run.settings.harvest.overlap
    return replace(
        base, window_from=incremental_from(state.high_water, overlap, info.granularity), full_sweep=False
    )


def _advances_high_water(checkpoint: Checkpoint, state: HarvestState | None) -> bool:
    """A finished window moves the high-water mark only if it left no gap behind it."""
    if checkpoint.window_until is not None:
        return False
    if checkpoint.window_from is None:
        return True
    return state is not None and parse_datestamp(checkpoint.window_from) <= parse_datestamp(state.high_water)


def _commit_page(run: _Run, checkpoint: Checkpoint, page: Page, fmt: OaiFormat) -> Checkpoint:
    """Write one page and its checkpoint in one transaction."""
    now = _now()
    checkpoint = replace(
        checkpoint,
        resumption_token=page.token,
        pages=checkpoint.pages + 1,
        started_response_date=checkpoint.started_response_date or page.response_date,
    )
    ctx = RunContext(run.ids.source_id, run.ids.journal_id, run.result.run_id, now)
    keep = run.settings.harvest.keep_raw and page.content
    raw = RawPage(page.url, page.content, page.packed) if keep else None
    run.result.warnings += len(page.warnings)
    with run.store.write() as conn:
        counts = fmt.ingest(conn, ctx, page.records, raw)
        if checkpoint.sweep_run is not None:
            identifiers = [record.header.identifier for record in page.records]
            mark_oai_sweep(conn, run.ids.source_id, identifiers, checkpoint.sweep_run)
        if page.last:
            state = load_state(conn, run.ids.source_id, checkpoint.set_spec, fmt.prefix)
            complete_window(
                conn, run.ids.source_id, checkpoint, now, advance=_advances_high_water(checkpoint, state)
            )
        else:
            save_checkpoint(conn, run.ids.source_id, checkpoint, now)
        record_page(conn, run.result.run_id, counts, run.http.requests_made, run.result.warnings, now)
    run.result.counts.add(counts)
    run.result.pages += 1
    return checkpoint


def _harvest_window(
    run: _Run, set_spec: str, request: HarvestRequest, info: RepositoryInfo, fmt: OaiFormat
) -> int | None:
    """Walk one window to its end; the run that started it when it was a complete full list."""
    with run.store.read() as conn:
        checkpoint = load_checkpoint(conn, run.ids.source_id, set_spec, fmt.prefix)
    resuming = checkpoint is not None and request.kind == "harvest" and checkpoint.resumption_token
    if resuming and checkpoint is not None:
        log.info("%s: resuming after page %d of an unfinished window", run.source.name, checkpoint.pages)
    else:
        checkpoint = _new_checkpoint(run, set_spec, request, info, fmt.prefix)
        checkpoint = checkpoint if fmt.sweeps else replace(checkpoint, sweep_run=None)
    window = Window(fmt.prefix, checkpoint.window_from, checkpoint.window_until, set_spec or None)
    reached_end = False
    for page in run.oai.pages(window, checkpoint.resumption_token, run.set_names, fmt.parse):
        checkpoint = _commit_page(run, checkpoint, page, fmt)
        if run.progress:
            run.progress(page, run.result.counts)
        if run.stop.is_set() and not page.last:
            raise Interrupted(
                f"{run.source.name}: stopped after page {checkpoint.pages}; the next run resumes there"
            )
        # A window that a quirk ended (repeated token, empty pages) still has a token: partial.
        reached_end = page.last and page.token is None
    return checkpoint.sweep_run if reached_end and checkpoint.full_sweep else None


def _harvest_oai(run: _Run, request: HarvestRequest) -> bool:
    """The OAI-PMH part of a run, as the source's strategy asks; whether to crawl the pages too."""
    strategy = run.source.strategy
    if strategy == "html":
        return True
    try:
        info = run.oai.identify()
    except HarvesterError as exc:
        # An unreachable host, or one that asks us to wait, would fail the pages the same way.
        host_down = isinstance(exc, (NetworkError, RetryLaterError)) and _same_host(run.source)
        if strategy != "auto" or host_down:
            raise
        log.warning(
            "%s: OAI-PMH does not answer (%s); reading the journal's pages only", run.source.name, exc
        )
        return True
    journal = identify_facts(info)
    if journal is not None:
        ctx = RunContext(run.ids.source_id, run.ids.journal_id, run.result.run_id, _now())
        with run.store.write() as conn:
            write_changes(conn, update_journal(conn, ctx, journal))
    run.set_names = _set_names(run.oai, run.source)
    main = main_format(run.source.metadata_prefix)
    for set_spec in run.source.sets or ("",):
        run.oai_sweeps.append(_harvest_window(run, set_spec, request, info, main))
    if strategy == "oai":  # no page shows the references: JATS records may (``formats``)
        walk = lambda set_spec, fmt: _harvest_window(run, set_spec, request, info, fmt)  # noqa: E731
        run.result.warnings += enrichment_windows(run.oai, run.source.name, run.source.sets or ("",), walk)
    return strategy != "oai"


def _sweep(run: _Run, crawl: Crawl | None, now: datetime) -> Sweep:
    """What this run's sweeps saw, and whether every one its strategy ran was complete."""
    oai_complete = bool(run.oai_sweeps) and None not in run.oai_sweeps
    oai_run = min(s for s in run.oai_sweeps if s is not None) if oai_complete else None
    parts = ["the full OAI list"] if oai_run is not None else []
    if crawl is not None:
        parts.append(f"every table of contents ({crawl.tocs} issues)")
    complete = (oai_complete or not run.oai_sweeps) and (crawl is None or crawl.complete)
    return Sweep(
        oai_run=oai_run,
        listed=listed_keys(run.ids.source_id, crawl.listed) if crawl is not None else None,
        complete=complete and bool(parts),
        evidence=f"absent from {' and from '.join(parts)} of {now:%Y-%m-%d}",
    )


def _reconcile(run: _Run, crawl: Crawl | None) -> None:
    """After a finished run: withdraw what its complete sweeps no longer show, bring back what
    returned (``store.sweeps``)."""
    now = _now()
    sweep = _sweep(run, crawl, now)
    ctx = RunContext(run.ids.source_id, run.ids.journal_id, run.result.run_id, now)
    with run.store.write() as conn:
        withdrawn, returned = reconcile(conn, ctx, sweep)
    if withdrawn or returned:
        log.info(
            "%s: %d article(s) withdrawn (%s), %d withdrawn article(s) live again",
            run.source.name,
            withdrawn,
            sweep.evidence,
            returned,
        )


def _same_host(source: SourceSettings) -> bool:
    return urlsplit(source.endpoint).netloc == urlsplit(source.url).netloc


def _set_names(oai: OaiClient, source: SourceSettings) -> dict[str, str]:
    """Set names give the section titles; a repository without sets still harvests."""
    try:
        return oai.list_sets()
    except OAIProtocolError as exc:
        log.warning("%s: ListSets failed (%s); sections will be unnamed", source.name, exc)
        return {}


def _finish(run: _Run, status: str, error: str | None) -> HarvestResult:
    result = run.result
    result.status, result.error, result.requests = status, error, run.http.requests_made
    result.status_counts = run.http.status_counts
    with run.store.write() as conn:
        finish_run(
            conn,
            result.run_id,
            status,
            _now(),
            requests=result.requests,
            errors=int(error is not None),
            error=error,
        )
    counts = result.counts
    host = host_of(run.source.endpoint)
    log.info(
        "%s (%s): %s: %d new, %d changed, %d unchanged, %d deleted; %d pages, %d requests%s",
        run.source.name,
        host,
        status,
        counts.new,
        counts.changed,
        counts.unchanged,
        counts.deleted,
        result.pages,
        result.requests,
        f"; {error}" if error else "",
        extra={"source": run.source.name, "host": host, "status": status, "counts": asdict(counts)},
    )
    if run.on_finish:
        run.on_finish(result)
    return result


def _start(
    source: SourceSettings, settings: Settings, store: Store, request: HarvestRequest
) -> tuple[SourceIds, int]:
    now = _now()
    with store.write() as conn:
        ids = ensure_source(conn, source, now)
        run_id = start_run(conn, ids.source_id, request.kind, now, (request.from_, request.until))
    return ids, run_id


def harvest_source(
    source: SourceSettings,
    settings: Settings,
    store: Store,
    request: HarvestRequest | None = None,
    *,
    politeness: Politeness | None = None,
    stop: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    on_finish: FinishCallback | None = None,
) -> HarvestResult:
    """Harvest one source now and record the run; raises the error that ended a failed run.

    ``on_finish`` receives the result of every recorded run, a failed one too."""
    request = request or HarvestRequest()
    ids, run_id = _start(source, settings, store, request)
    with HttpClient(settings.http, politeness) as http:
        run = _Run(
            source,
            settings,
            store,
            ids,
            http,
            HarvestResult(source.name, run_id),
            stop or threading.Event(),
            request,
            oai=OaiClient(
                source.endpoint,
                http,
                max_empty_pages=settings.harvest.max_empty_pages,
                pack_pages=settings.harvest.keep_raw,
            ),
            progress=progress,
            on_finish=on_finish,
        )
        try:
            crawl = None
            if _harvest_oai(run, request):
                crawl = Crawl(run)
                crawl_journal(crawl)
            _reconcile(run, crawl)
        except (Interrupted, StopRequested) as exc:
            return _finish(run, "interrupted", str(exc))
        except HarvesterError as exc:
            _finish(run, "failed", str(exc))
            raise
        except BaseException:
            _finish(run, "interrupted", "stopped by a signal or an unexpected error")
            raise
        return _finish(run, "ok", None)
