"""``harvester status`` and ``history``: what the store knows, for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..redact import mask
from .app import App, main


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
def status(app: App, failures: int) -> None:
    """Each source's last run, result, next due time and last error; exit 1 if any is failing."""
    from datetime import UTC, datetime

    from ..daemon.status import describe, source_statuses
    from ..fleet.queue_status import queue_lines

    settings = app.registry()
    now = datetime.now(UTC)
    statuses = source_statuses(settings, app.store(settings), failures, now)
    for entry in statuses:
        for line in describe(entry, failures, now):
            click.echo(mask(line))  # errors recorded before secrets were masked, too
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
def history(app: App, article: str) -> None:
    """Versions of one article (by id, DOI, OAI identifier or URL) and what changed."""
    from ..store.queries import article_versions, find_article

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
