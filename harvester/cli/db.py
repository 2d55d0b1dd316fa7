"""``harvester db``: database maintenance."""

from __future__ import annotations

import click

from .app import App, main


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.pass_obj
def upgrade(app: App) -> None:
    """Create the schema or apply pending migrations."""
    from ..store import Store

    settings = app.settings()
    Store(settings.database.url, auto_migrate=False).migrate()
    click.echo(f"database at the newest schema: {settings.database.url}")
