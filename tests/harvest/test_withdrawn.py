"""Vanished articles (issue 10, item 8): withdrawn only after a complete sweep, live again on return.

End to end on the test OJS site over real HTTP, on SQLite and PostgreSQL, in the strategies
``oai``, ``html``, ``oai+html`` and ``auto``: a submission deleted outright (no tombstone) or unpublished
(its page 404, off its table of contents) is withdrawn by a complete sweep — a full OAI list
that reached its end, a crawl that read every table of contents — and by nothing less.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.errors import HarvesterError
from harvester.harvest.job import HarvestRequest, HarvestResult
from harvester.harvest.pipeline import harvest_source
from harvester.store import Store
from tests.cli.test_cli import harvester
from tests.harvest.test_harvest import make_settings
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite, SimArticle

JOURNAL = "jsas"
STRATEGIES = ["oai", "html", "oai+html", "auto"]
EVIDENCE = {
    "oai": "absent from the full OAI list of ",
    "html": "absent from every table of contents (2 issues) of ",
    "oai+html": "absent from the full OAI list and from every table of contents (2 issues) of ",
    "auto": "absent from the full OAI list and from every table of contents (2 issues) of ",
}


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=1, articles_per_journal=12, seed=11, archive_page_size=2)


def _run(site: OjsSite, store: Store, strategy: str, kind: str = "harvest", **options: Any) -> HarvestResult:
    source = SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy=strategy)  # type: ignore[arg-type]
    settings = make_settings(store.url, **options.pop("harvest", {}))
    return harvest_source(source, settings, store, HarvestRequest(kind), **options)  # type: ignore[arg-type]


def _target(site: OjsSite) -> SimArticle:
    return [a for a in site.articles(JOURNAL) if not a.deleted][3]


def _row(store: Store, art: SimArticle) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.execute(text("SELECT * FROM current_articles WHERE url = :url"), {"url": art.url()}).one()
    return dict(row._mapping)


def _query(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(sql), params).all())


def _withdrawn(store: Store) -> int:
    return len(_query(store, "SELECT article_id FROM current_articles WHERE withdrawn_at IS NOT NULL"))


def _last_change(store: Store, article_id: int) -> tuple[int, str]:
    rows = _query(
        store,
        "SELECT version, op FROM changes WHERE entity = 'article' AND entity_id = :id ORDER BY seq",
        id=article_id,
    )
    return rows[-1].version, rows[-1].op


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_article_deleted_outright_is_withdrawn_by_a_complete_sweep_and_returns(
    site: OjsSite, store: Store, strategy: str
) -> None:
    assert _run(site, store, strategy).status == "ok"
    target = _target(site)
    before = _row(store, target)
    site.remove(JOURNAL, target.id)
    assert _run(site, store, strategy, "backfill").status == "ok"
    row = _row(store, target)
    assert (row["deleted"], row["version"]) == (False, before["version"] + 1)
    assert row["withdrawn_at"] is not None
    assert row["withdrawn_evidence"].startswith(EVIDENCE[strategy])
    assert row["title"] == before["title"]  # the last known content stays readable
    assert _withdrawn(store) == 1
    assert _last_change(store, row["article_id"]) == (row["version"], "withdraw")
    versions = _query(
        store,
        "SELECT content_hash, withdrawn_at FROM article_versions WHERE article_id = :id ORDER BY version",
        id=row["article_id"],
    )
    assert versions[-1].content_hash == versions[-2].content_hash and versions[-1].withdrawn_at is not None
    # Seen again: live again, in a new version; a second complete sweep changes nothing more.
    site.restore(target)
    assert _run(site, store, strategy, "backfill").status == "ok"
    back = _row(store, target)
    assert (back["withdrawn_at"], back["withdrawn_evidence"], back["deleted"]) == (None, None, False)
    assert back["version"] == row["version"] + 1
    assert _last_change(store, row["article_id"]) == (back["version"], "update")
    assert _withdrawn(store) == 0
    again = _run(site, store, strategy, "backfill")
    assert (again.counts.new, again.counts.changed, again.counts.deleted) == (0, 0, 0)
    assert _row(store, target)["version"] == back["version"]


def test_an_unpublished_article_is_withdrawn_by_a_complete_crawl_and_returns(
    site: OjsSite, store: Store
) -> None:
    _run(site, store, "html")
    target = _target(site)
    site.unpublish(JOURNAL, target.id)  # 3.2+: its page answers 404, its issue drops it
    _run(site, store, "html", "backfill")
    row = _row(store, target)
    assert row["withdrawn_evidence"].startswith(EVIDENCE["html"]) and not row["deleted"]
    site.edit(JOURNAL, target.id, deleted=False)  # published again
    _run(site, store, "html")
    assert _row(store, target)["withdrawn_at"] is None


def test_an_oai_tombstone_is_still_a_deletion_not_a_withdrawal(site: OjsSite, store: Store) -> None:
    _run(site, store, "oai+html")
    target = _target(site)
    site.unpublish(JOURNAL, target.id)
    _run(site, store, "oai+html", "backfill")
    row = _row(store, target)
    assert (row["deleted"], row["withdrawn_at"]) == (True, None)
    assert _withdrawn(store) == 0


def test_an_incremental_oai_window_withdraws_nothing(site: OjsSite, store: Store) -> None:
    _run(site, store, "oai")
    site.remove(JOURNAL, _target(site).id)
    result = _run(site, store, "oai")  # a from= window: not the full list
    assert result.status == "ok"
    assert _withdrawn(store) == 0


def test_a_crawl_that_skips_tables_of_contents_withdraws_nothing(site: OjsSite, store: Store) -> None:
    _run(site, store, "html", harvest={"recent_issues": 0})
    site.remove(JOURNAL, _target(site).id)
    # recent_issues 0 and revisit 7 days: this run reads no table of contents again.
    assert _run(site, store, "html", harvest={"recent_issues": 0}).status == "ok"
    assert _withdrawn(store) == 0
    # A table of contents that cannot be read (cut off mid-page) is skipped: not complete either.
    site.truncate_html_next(1, kind="issue")
    skipped = _run(site, store, "html", "backfill")
    # Two warnings: the cut page, and the removed article its remembered list still names.
    assert (skipped.status, skipped.warnings) == ("ok", 2)
    assert _withdrawn(store) == 0
    _run(site, store, "html", "backfill")  # every table of contents read: now it is withdrawn
    assert _withdrawn(store) == 1


def test_a_listed_article_whose_page_is_gone_is_logged_and_kept(
    site: OjsSite, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _run(site, store, "html")
    target = _target(site)
    before = _row(store, target)
    site.page_gone.add(target.id)  # 404, while its table of contents still lists it
    site.edit(JOURNAL, target.id, title="Changed So The Page Is Fetched Again")
    with caplog.at_level(logging.WARNING, logger="harvester"):
        result = _run(site, store, "html", "backfill")
    assert (result.status, result.warnings) == ("ok", 1)
    assert f"{target.url()} is listed by a table of contents but answers HTTP 404" in caplog.text
    assert _row(store, target) == before
    assert _withdrawn(store) == 0


def test_an_oai_list_broken_by_a_5xx_withdraws_nothing(site: OjsSite, store: Store) -> None:
    site.page_size = 3  # several pages: the next one is fetched while a page is stored
    _run(site, store, "oai")
    site.remove(JOURNAL, _target(site).id)

    def fail_after_first_page(page: Any, counts: Any) -> None:
        site.fail_next(10, status=500, retry_after=None)

    with pytest.raises(HarvesterError):
        _run(site, store, "oai", "backfill", progress=fail_after_first_page)
    assert _withdrawn(store) == 0


def test_an_interrupted_full_list_withdraws_only_once_resumed_to_its_end(site: OjsSite, store: Store) -> None:
    _run(site, store, "oai")
    target = _target(site)
    site.remove(JOURNAL, target.id)
    stop = threading.Event()
    first = _run(site, store, "oai", "backfill", stop=stop, progress=lambda page, counts: stop.set())
    assert first.status == "interrupted"
    assert _withdrawn(store) == 0
    # The next run resumes the same full list from its checkpoint (its first pages' marks
    # kept) and reaches the end: now the article is absent from a complete list.
    resumed = _run(site, store, "oai")
    assert resumed.status == "ok"
    assert _withdrawn(store) == 1
    assert _row(store, target)["withdrawn_at"] is not None


def test_history_shows_the_withdrawal(site: OjsSite, store: Store, tmp_path: Path) -> None:
    _run(site, store, "oai")
    target = _target(site)
    site.remove(JOURNAL, target.id)
    _run(site, store, "oai", "backfill")
    config = write_config(tmp_path, {JOURNAL: site.journal_url(JOURNAL)})
    done = harvester("history", target.url(), config=config, db=store.url)
    assert done.returncode == 0, done.stderr
    assert "version 2 (withdrawn: absent from the full OAI list of " in done.stdout
