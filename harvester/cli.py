"""The ``harvester`` command: thin click commands over library functions.

Every library error surfaces as one line on stderr and a non-zero exit (2 for bad
configuration, 1 otherwise); ``-v`` adds the traceback.  Each command imports the stages it
runs when it runs: ``harvester --help`` and ``harvester status --help`` load click and
nothing of SQLAlchemy, Sickle, lxml or pydantic.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .errors import ConfigError, HarvesterError, NotFoundError, PageError
from .logs import LogFormat, setup_logging
from .redact import mask

if TYPE_CHECKING:
    from .config import Settings, SourceSettings
    from .http import Politeness
    from .pipeline import HarvestRequest, HarvestResult
    from .store import Store

__all__ = ["main"]

log = logging.getLogger("harvester")


@dataclass
class _App:
    config_path: str | None
    database_url: str | None
    verbosity: int

    def settings(self) -> Settings:
        from .config import load_settings

        return load_settings(self.config_path, database_url=self.database_url)

    def registry(self) -> Settings:
        """The settings with every source of the ``sources`` table, the TOML synced into it."""
        from .fleet.registry import registry_settings

        return registry_settings(self.settings())

    def store(self, settings: Settings) -> Store:
        from .store import Store

        return Store(settings.database.url)


def _error(message: str) -> None:
    """One error line on stderr, its secrets masked."""
    click.echo(f"harvester: error: {mask(message)}", err=True)


def _fail(message: str, code: int) -> NoReturn:
    _error(message)
    sys.exit(code)


class _Group(click.Group):
    """Turns library errors into one clean line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HarvesterError as exc:
            app = ctx.obj if isinstance(ctx.obj, _App) else None
            if app and app.verbosity > 0:
                click.echo(mask(traceback.format_exc()), err=True, nl=False)
            _fail(str(exc), 2 if isinstance(exc, ConfigError) else 1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file (default: $HARVESTER_CONFIG, ./config/harvester.toml, "
    "/etc/ojs-harvester/harvester.toml).",
)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Database URL (overrides $HARVESTER_DATABASE_URL and the config).",
)
@click.option("-v", "--verbose", count=True, help="More log output; tracebacks on errors.")
@click.option("-q", "--quiet", count=True, help="Less log output.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="HARVESTER_LOG_FORMAT",
    show_default=True,
    help="Log lines on stderr as text, or as one JSON object each (for log shippers).",
)
@click.version_option(__version__, prog_name="ojs-harvester")
@click.pass_context
def main(
    ctx: click.Context,
    config_path: str | None,
    database_url: str | None,
    verbose: int,
    quiet: int,
    log_format: LogFormat,
) -> None:
    """Keep a complete, versioned mirror of OJS journals."""
    ctx.obj = _App(config_path, database_url, verbose - quiet)
    setup_logging(verbose - quiet, log_format)
    sys.excepthook = _masked_traceback  # an unexpected error's traceback, passwords masked


def _masked_traceback(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(mask("".join(traceback.format_exception(kind, error, tb))))


def _resolve_sources(settings: Settings, names: tuple[str, ...], all_sources: bool) -> list[SourceSettings]:
    from .config import source_from_url

    if all_sources:
        return [source for source in settings.sources if source.enabled]
    if not names:
        raise ConfigError("name one or more sources (or journal URLs), or use --all")
    chosen = []
    for name in names:
        source = settings.source(name)
        if source is None and name.startswith(("http://", "https://")):
            source = source_from_url(name)
        if source is None:
            known = ", ".join(s.name for s in settings.sources) or "none configured"
            raise NotFoundError(f"unknown source {name!r} (known: {known}); a journal URL works too")
        chosen.append(source)
    return chosen


def _each_source(
    app: _App,
    settings: Settings,
    sources: list[SourceSettings],
    work: Callable[[SourceSettings, Store, Politeness, threading.Event], str],
    failed_as: str = "",
) -> None:
    """``work`` for each source in turn, its summary line echoed, until a stop (SIGTERM: the
    exchanges in flight are cut too); a failed source is one error line (``failed_as`` after
    its name) and the exit code 1, the others still run."""
    from .fleet.hostlock import host_lock
    from .http import Politeness
    from .signals import stop_requested

    store = app.store(settings)
    politeness = Politeness(settings.http, stop=threading.Event())
    failed = 0
    with stop_requested(stop=politeness.stop) as stop:
        for source in sources:
            if stop.is_set():
                break
            try:
                with host_lock(settings, source, politeness):
                    click.echo(work(source, store, politeness, stop))
            except HarvesterError as exc:
                failed += 1
                _error(f"{source.name}: {failed_as}{exc}")
    store.close()
    if failed:
        sys.exit(1)


def _run_all(app: _App, names: tuple[str, ...], all_sources: bool, request: HarvestRequest) -> None:
    from .pipeline import harvest_source
    from .progress import progress_reporter

    settings = app.registry()

    def harvest(source: SourceSettings, store: Store, politeness: Politeness, stop: threading.Event) -> str:
        with progress_reporter(source.name) as progress:
            result = harvest_source(
                source, settings, store, request, politeness=politeness, stop=stop, progress=progress
            )
        return _result_line(result)

    _each_source(app, settings, _resolve_sources(settings, names, all_sources), harvest)


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
def harvest(app: _App, sources: tuple[str, ...], all_sources: bool) -> None:
    """Harvest sources incrementally now (names from the config, or journal URLs)."""
    from .pipeline import HarvestRequest

    _run_all(app, sources, all_sources, HarvestRequest())


@main.command()
@click.argument("source")
@click.option("--from", "from_", metavar="DATE", help="Only records changed since DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only records changed until DATE (YYYY-MM-DD).")
@click.pass_obj
def backfill(app: _App, source: str, from_: str | None, until: str | None) -> None:
    """Re-harvest a source fully, or a date range of it."""
    from .pipeline import HarvestRequest

    for value in (from_, until):
        if value and not _is_date(value):
            raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
    _run_all(app, (source,), False, HarvestRequest("backfill", from_, until))


def _is_date(value: str) -> bool:
    from .oai import parse_datestamp

    try:
        parse_datestamp(value)
    except HarvesterError:
        return False
    return True


@main.command()
@click.pass_obj
def run(app: _App) -> None:
    """Run the daemon: harvest every enabled source on its schedule (SIGHUP reloads the config)."""
    from .fleet.registry import is_fleet
    from .service import run_daemon

    settings = app.registry()
    if is_fleet(settings):  # PostgreSQL: the scheduler of the fleet, and a worker
        from .fleet.runner import run_worker

        run_worker(app.settings(), schedule=True, reload=app.settings)
        return
    run_daemon(settings, app.store(settings), app.registry)


@main.command()
@click.option(
    "--failures",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    metavar="N",
    help="A source whose last N runs all failed is failing.",
)
@click.pass_obj
def status(app: _App, failures: int) -> None:
    """Each source's last run, result, next due time and last error; exit 1 if any is failing."""
    from datetime import UTC, datetime

    from .status import describe, source_statuses

    settings = app.registry()
    now = datetime.now(UTC)
    statuses = source_statuses(settings, app.store(settings), failures, now)
    for entry in statuses:
        for line in describe(entry, failures, now):
            click.echo(mask(line))  # errors recorded before secrets were masked, too
    from .fleet.queue_status import queue_lines

    for line in queue_lines(settings, now):
        click.echo(line)
    failing = [entry.source.name for entry in statuses if entry.failing]
    if failing:
        click.echo(f"failing: {', '.join(failing)}")
        sys.exit(1)


def _as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _diff(old: dict[str, Any], new: dict[str, Any]) -> Iterator[str]:
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before != after:
            yield f"    {key}: {_as_json(before)} -> {_as_json(after)}"


@main.command()
@click.argument("article")
@click.pass_obj
def history(app: _App, article: str) -> None:
    """Versions of one article (by id, DOI, OAI identifier or URL) and what changed."""
    from .store.queries import article_versions, find_article

    settings = app.settings()
    with app.store(settings).read() as conn:
        article_id = find_article(conn, article)
        versions = article_versions(conn, article_id)
    previous: dict[str, Any] = {}
    for version in versions:
        state = " (deleted)" if version["deleted"] else ""
        if version["withdrawn_at"] is not None:
            state = f" (withdrawn: {version['withdrawn_evidence']})"
        click.echo(
            f"article {article_id} version {version['version']}{state} "
            f"at {version['fetched_at']:%Y-%m-%d %H:%M:%S} "
            f"(run {version['run_id']}, {version['content_hash'][:12]})"
        )
        for line in _diff(previous, version["record"]) if previous else ():
            click.echo(line)
        previous = version["record"]


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "csl-json", "bibtex", "ris"]),
    default="jsonl",
    show_default=True,
    help="jsonl and csv: every row; csl-json, bibtex, ris: citations of the live articles.",
)
@click.option(
    "--since", type=int, default=0, metavar="SEQ", help="Only articles changed after change-feed SEQ."
)
@click.option("--source", metavar="NAME", help="Only this source.")
@click.option("--galleys", is_flag=True, help="Add each article's galleys and their mirrored files.")
@click.pass_obj
def export(app: _App, fmt: str, since: int, source: str | None, galleys: bool) -> None:
    """Current articles to stdout."""
    import csv

    from .citations import FORMATS, write_citations
    from .store.queries import current_articles, current_galleys

    settings = app.settings()
    with app.store(settings).read() as conn:
        rows = current_articles(conn, since=since, source=source)
        if fmt in FORMATS:
            write_citations(fmt, rows, click.echo)
            return
        if galleys:
            files = current_galleys(conn, source=source)
            rows = ({**row, "galleys": files.get(row["article_id"], [])} for row in rows)
        if fmt == "jsonl":
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
            return
        writer: Any = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(sys.stdout, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                    for k, v in row.items()
                }
            )


@main.command()
@click.option("--host", metavar="ADDRESS", help="Listen on this address (default: [serve] host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Listen on this port (default: [serve] port, 8380)."
)
@click.pass_obj
def serve(app: _App, host: str | None, port: int | None) -> None:
    """Serve the store over OAI-PMH 2.0 at /oai (read-only) until interrupted."""
    try:
        from .serve import serve as serve_forever
    except ImportError as exc:
        raise ConfigError(
            f"harvester serve needs the serve extra: pip install 'ojs-harvester[serve]' ({exc})"
        ) from exc
    settings = app.settings()
    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    serving = settings.serve.model_copy(update=overrides)
    serve_forever(serving, app.store(settings), ready=lambda url: click.echo(f"serving OAI-PMH at {url}"))


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Every enabled source, mirror_galleys or not.")
@click.pass_obj
def mirror(app: _App, sources: tuple[str, ...], all_sources: bool) -> None:
    """Download the galley files of harvested sources now (default: those with mirror_galleys)."""
    from .mirror import mirror_source

    settings = app.registry()
    if sources or all_sources:
        chosen = _resolve_sources(settings, sources, all_sources)
    else:
        chosen = [source for source in settings.sources if source.enabled and source.mirror_galleys]
        if not chosen:
            raise ConfigError("no enabled source has mirror_galleys = true; name the sources to mirror")

    def mirror_one(
        source: SourceSettings, store: Store, politeness: Politeness, stop: threading.Event
    ) -> str:
        return mirror_source(source, settings, store, politeness=politeness, stop=stop).summary()

    _each_source(app, settings, chosen, mirror_one, failed_as="mirror stopped: ")


@main.command(name="verify-files")
@click.option(
    "--repair", is_flag=True, help="Move corrupt files aside so the next mirror fetches them again."
)
@click.pass_obj
def verify_files_command(app: _App, repair: bool) -> None:
    """Re-hash every mirrored galley file; exit 1 if any is missing or corrupt."""
    from .verify import verify_files

    settings = app.settings()
    report = verify_files(app.store(settings), repair=repair)
    for bad in report.bad:
        click.echo(bad.describe())
    click.echo(report.summary())
    if report.bad:
        _fail(f"{len(report.bad)} of {report.checked} stored files are missing or corrupt", 1)


@main.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_obj
def discover(app: _App, url: str, as_json: bool) -> None:
    """Find the OJS journal(s) behind any URL of a site and print [[sources]] blocks for them."""
    from .discover import discover as find_journals
    from .discover import format_discovery, not_ojs_reason
    from .http import HttpClient, Politeness

    settings = app.settings()
    with HttpClient(settings.http, Politeness(settings.http)) as http:
        found = find_journals(url, http)
    click.echo(found.to_json() if as_json else format_discovery(found))
    reason = not_ojs_reason(found)
    if reason:
        raise PageError(url, reason)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.pass_obj
def upgrade(app: _App) -> None:
    """Create the schema or apply pending migrations."""
    from .store import Store

    settings = app.settings()
    Store(settings.database.url, auto_migrate=False).migrate()
    click.echo(f"database at the newest schema: {settings.database.url}")


def _register_fleet() -> None:
    from .fleet.commands import sources_group, worker_command

    main.add_command(sources_group)
    main.add_command(worker_command)


_register_fleet()
