"""Progress of a long harvest: a bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..harvest.oai import Page
from ..harvest.pipeline import ProgressCallback
from ..store.articles import PageCounts

__all__ = ["progress_reporter"]

log = logging.getLogger(__name__)


def _log_lines(name: str) -> ProgressCallback:
    seen = 0

    def report(page: Page, counts: PageCounts) -> None:
        nonlocal seen
        seen += len(page.records)
        total = f"/{page.complete_list_size}" if page.complete_list_size else ""
        log.info(
            "%s: %d%s records (%d new, %d changed, %d deleted)",
            name,
            seen,
            total,
            counts.new,
            counts.changed,
            counts.deleted,
        )

    return report


@contextmanager
def progress_reporter(name: str) -> Iterator[ProgressCallback]:
    """A page callback: a rich progress bar when stderr is a terminal, else one log line a page."""
    if not sys.stderr.isatty():
        yield _log_lines(name)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(name, total=None)

        def report(page: Page, counts: PageCounts) -> None:
            bar.update(task, advance=len(page.records), total=page.complete_list_size)
            bar.update(
                task,
                description=f"{name}: {counts.new} new, {counts.changed} changed, {counts.deleted} deleted",
            )

        yield report
