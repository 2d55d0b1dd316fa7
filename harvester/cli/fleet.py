"""``harvester sources`` (list, import, enable, disable) and ``harvester worker``.

Thin click commands over ``fleet.registry``, ``fleet.importer`` and ``fleet.runner``.  Listing
reads the registry after the TOML is synced into it, so what it shows is what ``harvest
--all``, ``run`` and the workers work on.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ConfigError, NotFoundError
from ..redact import mask
from .app import App, main

if TYPE_CHECKING:
    from sqlalchemy import Row

    from ..config import SourceSettings


def _summary_line(source: SourceSettings, info: dict[str, Any]) -> str:
    state = "enabled" if source.enabled else "disabled"
    fields = (source.name, state, source.strategy, source.schedule, mask(source.url))
    line = "\t".join(fields) + f"\t{info.get('articles', 0)} articles"
    if not info.get("status"):
        return line + "\tnever harvested"
    line += (
        f"\tlast run {info['started_at']:%Y-%m-%d %H:%M} {info['status']}: {info['new']} new, "
        f"{info['changed']} changed, {info['deleted']} deleted"
    )
    return line + (f" ({mask(info['error'])})" if info.get("error") else "")


def _as_json(source: SourceSettings, row: Row[Any] | None, info: dict[str, Any]) -> str:
    started = info.get("started_at")
    return json.dumps(
        {
            "name": source.name, "enabled": source.enabled, "origin": row.origin if row else "config",
            "url": mask(source.url), "oai_url": mask(source.endpoint), "sets": list(source.sets),
            "strategy": source.strategy, "schedule": source.schedule, "host": row.host if row else None,
            "details": json.loads(row.details) if row is not None and row.details else {},
            "articles": info.get("articles", 0), "last_status": info.get("status"),
            "last_run": started.isoformat() if started else None,
        },
        ensure_ascii=False,
    )  # fmt: skip


def _wanted(source: SourceSettings, row: Row[Any] | None, options: dict[str, Any]) -> bool:
    origin = row.origin if row is not None else "config"
    text = options["match"]
    return (
        (options["state"] is None or source.enabled == (options["state"] == "enabled"))
        and (options["origin"] is None or origin == options["origin"])
        and (options["host"] is None or (row is not None and row.host == options["host"].lower()))
        and (not text or text.lower() in source.name.lower() or text.lower() in source.url.lower())
    )


@main.group(name="sources", invoke_without_command=True)
@click.option("--enabled", "state", flag_value="enabled", help="Only enabled sources.")
@click.option("--disabled", "state", flag_value="disabled", help="Only disabled sources.")
@click.option("--origin", type=click.Choice(["config", "import"]), help="Only from the TOML, or imported.")
@click.option("--host", metavar="HOST", help="Only the journals on this host (host or host:port).")
@click.option("--match", metavar="TEXT", help="Only names or URLs containing TEXT.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N sources.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_context
def sources_group(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
    """The sources (config and imported) with their last run; subcommands change them."""
    if ctx.invoked_subcommand is not None:
        return
    from ..fleet.registry import load_registry
    from ..store.queries import source_summaries

    app: App = ctx.obj
    settings, rows = load_registry(app.settings())
    with app.store(settings).read() as conn:
        summaries = source_summaries(conn)
    shown = 0
    for source in settings.sources:
        row = rows.get(source.name)
        if not _wanted(source, row, options):
            continue
        info = summaries.get(source.name, {})
        click.echo(_as_json(source, row, info) if as_json else _summary_line(source, info))
        shown += 1
        if options["limit"] and shown >= options["limit"]:
            break


@sources_group.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "urls"]), help="Default: by extension.")
@click.option("--no-check", is_flag=True, help="Do not ask each OAI endpoint (Identify) before importing.")
@click.option("--schedule", default="6h", show_default=True, help="Schedule of the journals imported.")
@click.option(
    "--strategy", type=click.Choice(["auto", "oai", "html", "oai+html"]), default="auto", show_default=True
)
@click.option("--disabled", is_flag=True, help="Import the journals disabled.")
@click.pass_obj
def import_command(
    app: App, file: Path, fmt: str | None, no_check: bool, schedule: str, strategy: str, disabled: bool
) -> None:
    """Import journals from a PKP beacon CSV, JSON lines or a list of URLs (idempotent)."""
    from ..fleet.importer import import_list
    from ..fleet.lists import detect_format
    from ..fleet.registry import registry_settings

    where = "stdin" if str(file) == "-" else str(file)
    try:
        text = sys.stdin.read() if where == "stdin" else file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    settings = registry_settings(app.settings())
    defaults = {"schedule": schedule, "strategy": strategy, "enabled": not disabled}
    store = app.store(settings)
    report = import_list(
        text, fmt or detect_format(where, text), settings, store, check=not no_check, defaults=defaults
    )
    store.close()
    for line, reason in report.rejected:
        click.echo(f"harvester: {where}:{line}: rejected: {mask(reason)}", err=True)
    click.echo(f"{where}: {report.summary()}")
    if report.rejected:
        sys.exit(1)


def _set_enabled(app: App, name: str, enabled: bool) -> None:
    from ..fleet.registry import registry_settings, set_enabled

    settings = registry_settings(app.settings())
    with app.store(settings).write() as conn:
        found = set_enabled(conn, name, enabled, datetime.now(UTC))
    if not found:
        raise NotFoundError(f"unknown source {name!r} (see harvester sources)")
    click.echo(f"{name}: {'enabled' if enabled else 'disabled'}")


@sources_group.command()
@click.argument("name")
@click.pass_obj
def enable(app: App, name: str) -> None:
    """Enable a source: the scheduler and --all take it again."""
    _set_enabled(app, name, True)


@sources_group.command()
@click.argument("name")
@click.pass_obj
def disable(app: App, name: str) -> None:
    """Disable a source (its data stays)."""
    _set_enabled(app, name, False)


@main.command(name="worker")
@click.option(
    "--concurrency", type=click.IntRange(min=1), metavar="N", help="Jobs at once (default: [fleet] slots)."
)
@click.pass_obj
def worker_command(app: App, concurrency: int | None) -> None:
    """Work the fleet's job queue (PostgreSQL store) until SIGTERM."""
    from ..fleet.runner import run_worker

    run_worker(app.settings(), concurrency=concurrency, schedule=False, reload=app.settings)
