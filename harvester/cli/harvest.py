"""``harvester harvest``, ``backfill``, ``run`` (the daemon) and ``discover``."""

from __future__ import annotations

import gc
import threading
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError, HarvesterError, PageError
from .app import App, each_source, main, resolve_sources

if TYPE_CHECKING:
    from ..config import SourceSettings
    from ..fetch.politeness import Politeness
    from ..harvest.pipeline import HarvestRequest, HarvestResult
    from ..store import Store


def _run_all(app: App, names: tuple[str, ...], all_sources: bool, request: HarvestRequest) -> None:
    from ..harvest.pipeline import harvest_source
    from .progress import progress_reporter

    settings = app.registry()
    # A one-off command: what start-up built (modules, schema, settings, the store's engine)
    # lives until it exits.  Frozen, the collector stops re-scanning it at every page of
    # records it allocates (measured: a tenth of the ingest's CPU).  And a page of records is
    # thousands of objects that die with the page: collected every 10,000 allocations rather
    # than 700, fewer of them outlive a collection into the older generations, which cost
    # most to scan (measured on a 20,000-record backfill: 0.27 s of collection, now 0.08 s).
    # Not in the daemon, where objects of one run that are frozen would never be collected.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)

    def harvest(source: SourceSettings, store: Store, politeness: Politeness, stop: threading.Event) -> str:
        with progress_reporter(source.name) as progress:
            result = harvest_source(
                source, settings, store, request, politeness=politeness, stop=stop, progress=progress
            )
        return _result_line(result)

    each_source(app, settings, resolve_sources(settings, names, all_sources), harvest)


def _result_line(result: HarvestResult) -> str:
    counts = result.counts
    return (
        f"{result.source}: {result.status}: {counts.new} new, {counts.changed} changed, "
        f"{counts.unchanged} unchanged, {counts.deleted} deleted "
        f"({result.pages} pages, {result.requests} requests)"
    )


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Every enabled source in the config.")
@click.pass_obj
def harvest(app: App, sources: tuple[str, ...], all_sources: bool) -> None:
    """Harvest sources incrementally now (names from the config, or journal URLs)."""
    from ..harvest.pipeline import HarvestRequest

    _run_all(app, sources, all_sources, HarvestRequest())


@main.command()
@click.argument("source")
@click.option("--from", "from_", metavar="DATE", help="Only records changed since DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only records changed until DATE (YYYY-MM-DD).")
@click.pass_obj
def backfill(app: App, source: str, from_: str | None, until: str | None) -> None:
    """Re-harvest a source fully, or a date range of it."""
    from ..harvest.pipeline import HarvestRequest

    for value in (from_, until):
        if value and not _is_date(value):
            raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
    _run_all(app, (source,), False, HarvestRequest("backfill", from_, until))


def _is_date(value: str) -> bool:
    from ..harvest.datestamps import parse_datestamp

    try:
        parse_datestamp(value)
    except HarvesterError:
        return False
    return True


@main.command()
@click.pass_obj
def run(app: App) -> None:
    """Run the daemon: harvest every enabled source on its schedule (SIGHUP reloads the config)."""
    from ..daemon.service import run_daemon
    from ..fleet.registry import is_fleet

    settings = app.registry()
    if is_fleet(settings):  # PostgreSQL: the scheduler of the fleet, and a worker
        from ..fleet.runner import run_worker

        run_worker(app.settings(), schedule=True, reload=app.settings)
        return
    run_daemon(settings, app.store(settings), app.registry)


@main.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_obj
def discover(app: App, url: str, as_json: bool) -> None:
    """Find the OJS journal(s) behind any URL of a site and print [[sources]] blocks for them."""
    from ..fetch.client import HttpClient
    from ..fetch.politeness import Politeness
    from ..harvest.discover import discover as find_journals
    from ..harvest.discover import not_ojs_reason
    from ..harvest.discover_report import format_discovery

    settings = app.settings()
    with HttpClient(settings.http, Politeness(settings.http)) as http:
        found = find_journals(url, http)
    click.echo(found.to_json() if as_json else format_discovery(found))
    reason = not_ojs_reason(found)
    if reason:
        raise PageError(url, reason)
