"""``harvester export`` and ``harvester serve``: the store's records for other tools."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import ConfigError
from .app import App, main


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
@click.option("--works", "works_only", is_flag=True, help="One JSON line per work instead (current_works).")
@click.pass_obj
def export(app: App, fmt: str, since: int, source: str | None, galleys: bool, works_only: bool) -> None:
    """Current articles (or works) to stdout."""
    import csv

    from ..serve.citations import FORMATS, write_citations
    from ..store.queries import current_articles, current_galleys, with_galleys
    from ..store.work_overrides import current_works

    settings = app.settings()
    with app.store(settings).read() as conn:
        if works_only:
            for work in current_works(conn, source=source):
                click.echo(json.dumps(work, ensure_ascii=False))
            return
        rows = current_articles(conn, since=since, source=source)
        if fmt in FORMATS:
            write_citations(fmt, rows, click.echo)
            return
        if galleys:
            rows = with_galleys(rows, current_galleys(conn, source=source))
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
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the store over OAI-PMH 2.0 at /oai (read-only) until interrupted."""
    try:
        from ..serve import serve as serve_forever
    except ImportError as exc:
        raise ConfigError(
            f"harvester serve needs the serve extra: pip install 'ojs-harvester[serve]' ({exc})"
        ) from exc
    settings = app.settings()
    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    serving = settings.serve.model_copy(update=overrides)
    serve_forever(serving, app.store(settings), ready=lambda url: click.echo(f"serving OAI-PMH at {url}"))
