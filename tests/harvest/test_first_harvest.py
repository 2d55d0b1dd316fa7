"""One version per article on a first ``oai+html`` harvest (issue 10, item 4).

The OAI part writes each article's version 1; the crawl of the same run completes it in
place (same number, one feed entry moved to a higher ``seq``).  Checked end to end on the
test OJS site, on SQLite and PostgreSQL: the totals, what a change-feed poller sees, a run
killed between the two parts, and a re-harvest that writes nothing.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.store import Store
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite

JOURNAL = "jsas"


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=1, articles_per_journal=12, seed=5, archive_page_size=2)


def _source(site: OjsSite) -> SourceSettings:
    return SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy="oai+html")


def _feed(store: Store, after: int = 0) -> list[tuple[int, str, int, int, str]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT seq, entity, entity_id, version, op FROM changes WHERE seq > {after} ORDER BY seq"
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _scalar(store: Store, sql: str) -> Any:
    with store.read() as conn:
        return conn.execute(text(sql)).scalar_one()


def _live(site: OjsSite) -> int:
    return sum(not a.deleted for a in site.articles(JOURNAL))


def test_first_harvest_writes_one_version_and_one_entry_per_article(site: OjsSite, store: Store) -> None:
    result = harvest_source(_source(site), make_settings(store.url), store)
    articles = len(site.articles(JOURNAL))
    assert (result.status, result.counts.new + result.counts.deleted, result.counts.changed) == (
        "ok",
        articles,
        0,
    )
    assert _scalar(store, "SELECT COUNT(*) FROM article_versions") == articles
    assert _scalar(store, "SELECT MAX(version) FROM current_articles") == 1
    issues = _scalar(store, "SELECT COUNT(*) FROM current_issues")
    assert _scalar(store, "SELECT COUNT(*) FROM issue_history") == issues
    assert _scalar(store, "SELECT COUNT(*) FROM journal_history") == 1
    feed = _feed(store)
    assert len(feed) == articles + issues + 1  # and the journal's one version
    assert len({(entity, entity_id) for _, entity, entity_id, _, _ in feed}) == len(feed)
    assert all(op in ("create", "delete") for *_, op in feed)
    # The single version holds the merge: what only the page shows is there.
    assert _scalar(store, "SELECT COUNT(*) FROM article_versions WHERE record LIKE '%how_to_cite%'") == _live(
        site
    )
    again = harvest_source(_source(site), make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed, again.counts.deleted) == (0, 0, 0)
    assert len(_feed(store)) == len(feed)


def test_a_poller_between_the_parts_sees_each_amended_version_again_later(
    site: OjsSite, store: Store
) -> None:
    """What a poller polling ``seq > N`` sees when it polls while the crawl runs."""
    polled: list[list[tuple[int, str, int, int, str]]] = []

    def progress(page: Any, counts: Any) -> None:
        if page.last:  # the OAI part is committed; the crawl has not started
            polled.append(_feed(store))

    harvest_source(_source(site), make_settings(store.url), store, progress=progress)
    early = polled[0]
    later = _feed(store, after=early[-1][0])
    final = _feed(store)
    # Nothing polled early is lost: every (entity, id, version) is still in the final feed,
    # and every one the crawl amended comes again above the poller's mark.
    key = {(e, i, v) for _, e, i, v, _ in early}
    assert key <= {(e, i, v) for _, e, i, v, _ in final}
    amended = {(e, i, v) for _, e, i, v, _ in later}
    live_articles = {(e, i, v) for _, e, i, v, op in early if e == "article" and op == "create"}
    assert live_articles <= amended
    assert all(seq > early[-1][0] for seq, *_ in later)


def test_a_run_killed_between_the_parts_keeps_the_oai_version_and_the_next_run_merges(
    site: OjsSite, store: Store
) -> None:
    stop = threading.Event()

    def progress(page: Any, counts: Any) -> None:
        if page.last:
            stop.set()  # the crawl stops after its first committed page

    first = harvest_source(_source(site), make_settings(store.url), store, stop=stop, progress=progress)
    assert first.status == "interrupted"
    articles = len(site.articles(JOURNAL))
    assert _scalar(store, "SELECT COUNT(*) FROM article_versions") == articles
    assert _scalar(store, "SELECT COUNT(*) FROM article_versions WHERE record LIKE '%how_to_cite%'") == 0
    second = harvest_source(_source(site), make_settings(store.url), store)
    assert (second.status, second.counts.changed) == ("ok", _live(site))
    # Another run: the pages make version 2, the OAI version 1 stays as it was.
    assert _scalar(store, "SELECT COUNT(*) FROM article_versions") == articles + _live(site)
    assert _scalar(store, "SELECT COUNT(*) FROM current_articles WHERE version = 2") == _live(site)
