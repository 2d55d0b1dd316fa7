"""``harvester works``: look at one work, and override the clustering by hand.

Thin commands over ``store.work_overrides``: each opens one transaction, calls one function
and prints what it did; a refused override is one error line (exit 1) from the CLI's group.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from .app import App, main


def _article_id(conn: Any, reference: str) -> int:
    from ..store.queries import find_article

    return find_article(conn, reference)


@main.group()
def works() -> None:
    """Works: the same article from several sources as one record."""


@works.command()
@click.argument("work_id", type=int)
@click.pass_obj
def show(app: App, work_id: int) -> None:
    """A work's best values and its articles, with the rule that put each one there."""
    from ..store.work_overrides import show_work

    settings = app.settings()
    with app.store(settings).read() as conn:
        work = show_work(conn, work_id)
    state = "live" if any(m["live"] for m in work["members"]) else "not live"
    click.echo(f"work {work_id} version {work['version']} ({state}): {work['title']!r}")
    click.echo(f"  doi {work['doi']}, {work['year']}, first author {work['first_author']}")
    for m in work["members"]:
        how = m["evidence"] or m["rule"]
        live = "live" if m["live"] else "withdrawn"
        click.echo(f"  article {m['article_id']} [{m['source']}, {live}] {m['title']!r}: {how}")


@works.command()
@click.argument("article")
@click.pass_obj
def split(app: App, article: str) -> None:
    """Take ARTICLE (id, DOI, OAI identifier or URL) out of its work, for good."""
    from ..store.work_overrides import split_article

    settings = app.settings()
    with app.store(settings).write() as conn:
        article_id = _article_id(conn, article)
        split_article(conn, article_id, datetime.now(UTC))
    click.echo(f"article {article_id} is a work of its own")


@works.command()
@click.argument("article")
@click.argument("other")
@click.pass_obj
def merge(app: App, article: str, other: str) -> None:
    """Make ARTICLE and OTHER (of different sources) one work, for good."""
    from ..store.work_overrides import merge_articles

    settings = app.settings()
    with app.store(settings).write() as conn:
        first, second = _article_id(conn, article), _article_id(conn, other)
        merge_articles(conn, first, second, datetime.now(UTC))
    click.echo(f"articles {first} and {second} are one work")
