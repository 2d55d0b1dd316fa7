"""``harvester mirror`` and ``verify-files``: galley files on disk."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError
from .app import App, each_source, fail, main, resolve_sources

if TYPE_CHECKING:
    from ..config import SourceSettings
    from ..fetch.politeness import Politeness
    from ..store import Store


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Every enabled source, mirror_galleys or not.")
@click.pass_obj
def mirror(app: App, sources: tuple[str, ...], all_sources: bool) -> None:
    """Download the galley files of harvested sources now (default: those with mirror_galleys)."""
    from ..mirror.galleys import mirror_source

    settings = app.registry()
    if sources or all_sources:
        chosen = resolve_sources(settings, sources, all_sources)
    else:
        chosen = [source for source in settings.sources if source.enabled and source.mirror_galleys]
        if not chosen:
            raise ConfigError("no enabled source has mirror_galleys = true; name the sources to mirror")

    def mirror_one(
        source: SourceSettings, store: Store, politeness: Politeness, stop: threading.Event
    ) -> str:
        return mirror_source(source, settings, store, politeness=politeness, stop=stop).summary()

    each_source(app, settings, chosen, mirror_one, failed_as="mirror stopped: ")


@main.command(name="verify-files")
@click.option(
    "--repair", is_flag=True, help="Move corrupt files aside so the next mirror fetches them again."
)
@click.pass_obj
def verify_files_command(app: App, repair: bool) -> None:
    """Re-hash every mirrored galley file; exit 1 if any is missing or corrupt."""
    from ..mirror.verify import verify_files

    settings = app.settings()
    report = verify_files(app.store(settings), repair=repair)
    for bad in report.bad:
        click.echo(bad.describe())
    click.echo(report.summary())
    if report.bad:
        fail(f"{len(report.bad)} of {report.checked} stored files are missing or corrupt", 1)
