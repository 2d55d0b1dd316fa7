"""The ``harvester`` group, what every command shares (settings, the store, one error line
per failure), and the loop over sources that harvest, backfill and mirror run."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .. import __version__
from ..errors import ConfigError, HarvesterError, NotFoundError
from ..logs import LogFormat, setup_logging
from ..redact import mask

if TYPE_CHECKING:
    from ..config import Settings, SourceSettings
    from ..fetch.politeness import Politeness
    from ..store import Store

__all__ = ["App", "each_source", "echo_error", "fail", "main", "resolve_sources"]


@dataclass
class App:
    config_path: str | None
    database_url: str | None
    verbosity: int

    def settings(self) -> Settings:
        from ..config import load_settings

        return load_settings(self.config_path, database_url=self.database_url)

    def registry(self) -> Settings:
        """The settings with every source of the ``sources`` table, the TOML synced into it."""
        from ..fleet.registry import registry_settings

        return registry_settings(self.settings())

    def store(self, settings: Settings) -> Store:
        from ..store import Store

        return Store(settings.database.url)


def echo_error(message: str) -> None:
    """One error line on stderr, its secrets masked."""
    click.echo(f"harvester: error: {mask(message)}", err=True)


def fail(message: str, code: int) -> NoReturn:
    echo_error(message)
    sys.exit(code)


class _Group(click.Group):
    """Turns library errors into one clean line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HarvesterError as exc:
            app = ctx.obj if isinstance(ctx.obj, App) else None
            if app and app.verbosity > 0:
                click.echo(mask(traceback.format_exc()), err=True, nl=False)
            fail(str(exc), 2 if isinstance(exc, ConfigError) else 1)


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
    ctx.obj = App(config_path, database_url, verbose - quiet)
    setup_logging(verbose - quiet, log_format)
    sys.excepthook = _masked_traceback  # an unexpected error's traceback, passwords masked


def _masked_traceback(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(mask("".join(traceback.format_exception(kind, error, tb))))


def resolve_sources(settings: Settings, names: tuple[str, ...], all_sources: bool) -> list[SourceSettings]:
    from ..config import source_from_url

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


def each_source(
    app: App,
    settings: Settings,
    sources: list[SourceSettings],
    work: Callable[[SourceSettings, Store, Politeness, threading.Event], str],
    failed_as: str = "",
) -> None:
    """``work`` for each source in turn, its summary line echoed, until a stop (SIGTERM: the
    exchanges in flight are cut too); a failed source is one error line (``failed_as`` after
    its name) and the exit code 1, the others still run."""
    from ..fetch.politeness import Politeness
    from ..fleet.hostlock import host_lock
    from ..signals import stop_requested

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
                echo_error(f"{source.name}: {failed_as}{exc}")
    store.close()
    if failed:
        sys.exit(1)
