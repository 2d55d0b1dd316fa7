"""The HTML crawl end to end: a local OJS-shaped site over real HTTP, a real store.

Checked: every article and issue stored field for field as its page shows it; a second crawl
costs conditional requests only and writes nothing; edits are found (recent issues every
run, older ones on the revisit cycle); bad pages are skipped with a warning and lose nothing;
OAI and pages merge into one row per article.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from typing import Any

import pytest
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.errors import NetworkError, PageError
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.parse.merge import merge_records
from harvester.store import Store
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite

JOURNAL = "jsas"


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=2, articles_per_journal=14, seed=3, archive_page_size=2)


def _source(site: OjsSite, strategy: str = "html") -> SourceSettings:
    return SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy=strategy)  # type: ignore[arg-type]


def _records(store: Store) -> dict[str, dict[str, Any]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT v.record, a.oai_identifier FROM current_articles a JOIN article_versions v "
            "ON v.article_id = a.article_id AND v.version = a.version WHERE a.deleted = FALSE"
        ).all()
    return {
        json.loads(row.record)["url"]: json.loads(row.record) | {"_oai": row.oai_identifier} for row in rows
    }


def _totals(store: Store) -> tuple[int, int, int]:
    with store.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.exec_driver_sql(
                "SELECT (SELECT COUNT(*) FROM article_versions), (SELECT COUNT(*) FROM changes), "
                "(SELECT COUNT(*) FROM issue_history)"
            ).one()
        )


def _live(site: OjsSite) -> list[Any]:
    return [article for article in site.articles(JOURNAL) if not article.deleted]


def _crawl(site: OjsSite, store: Store, kind: str = "harvest", **harvest: Any) -> Any:
    return harvest_source(_source(site), make_settings(store.url, **harvest), store, HarvestRequest(kind))


def test_crawl_stores_every_article_and_issue_field_for_field(site: OjsSite, store: Store) -> None:
    result = _crawl(site, store)
    live = _live(site)
    assert (result.status, result.counts.new, result.warnings) == ("ok", len(live), 0)
    records = _records(store)
    for article in live:
        stored = dict(records[article.url()])
        assert stored.pop("_oai") is None
        assert stored == article.expected_html(), article.id
    with store.read() as conn:
        issues = {row.url: row for row in conn.exec_driver_sql("SELECT * FROM current_issues")}
    assert len(issues) == len(site.issues(JOURNAL))
    for issue in site.issues(JOURNAL):
        row, expected = issues[issue.url()], issue.expected()["issue"]
        assert (row.volume, row.number, row.year, row.title) == (
            expected["volume"],
            expected["number"],
            expected["year"],
            expected["title"],
        )
        assert (row.ojs_id, row.published, row.cover_url) == (issue.id, issue.published, issue.cover_url())
        assert row.articles == len(issue.articles)


def _archive_requests(site: OjsSite) -> list[tuple[str, int]]:
    return [(r.path.rsplit("/issue/", 1)[1], r.status) for r in site.html_requests if r.kind == "archive"]


@pytest.mark.parametrize("past_end", [200, 404])
def test_the_archive_ends_at_the_last_pages_own_signal(past_end: int, store: Store) -> None:
    # 3 archive pages of 2 issues (5 issues): the last page links no next one, so the walk
    # asks for nothing past it, whichever way the release answers there.
    with OjsSite.generate(journals=1, articles_per_journal=14, seed=3, archive_page_size=2,
                          archive_past_end=past_end) as site:  # fmt: skip
        result = _crawl(site, store)
        issues = site.issues(JOURNAL)
        assert (result.status, result.warnings, result.counts.new) == ("ok", 0, len(_live(site)))
        pages = math.ceil(len(issues) / 2)
        later = [(f"archive/{number}", 200) for number in range(2, pages + 1)]
        assert _archive_requests(site) == [("archive", 200), *later]
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM current_issues").scalar() == len(issues)


@pytest.mark.parametrize("past_end", [200, 404])
def test_a_theme_without_ojs_pagination_is_read_until_past_the_end(past_end: int, store: Store) -> None:
    # A theme's own archive markup says nothing of a next page: the walk reads the next
    # number until a page lists nothing new (200, older releases) or is a 404 (current ones).
    with OjsSite.generate(journals=1, articles_per_journal=14, seed=3, archive_page_size=2,
                          archive_past_end=past_end, themed_archive=True) as site:  # fmt: skip
        result = _crawl(site, store)
        pages = math.ceil(len(site.issues(JOURNAL)) / 2)
        assert (result.status, result.warnings, result.counts.new) == ("ok", 0, len(_live(site)))
        assert _archive_requests(site)[-1] == (f"archive/{pages + 1}", past_end)
        assert len(_archive_requests(site)) == pages + 1
        again = _crawl(site, store)  # and on every later run
        assert (again.status, again.counts.new, again.counts.changed) == ("ok", 0, 0)


def test_an_archive_that_404s_on_its_first_page_fails_with_the_clear_error(store: Store) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=3, archive_past_end=404) as site:
        source = SourceSettings(name="gone", url=f"{site.base_url}/index.php/gone", strategy="html")
        with pytest.raises(PageError, match=r"/gone/issue/archive: no OJS issue archive here \(HTTP 404\)"):
            harvest_source(source, make_settings(store.url), store)
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT status FROM runs").scalar() == "failed"


def test_second_crawl_costs_only_conditional_requests_and_writes_nothing(site: OjsSite, store: Store) -> None:
    _crawl(site, store)
    before = _totals(store)
    site.html_requests.clear()
    again = _crawl(site, store, "backfill")  # every page, not only the recent ones
    assert (again.counts.new, again.counts.changed) == (0, 0)
    assert _totals(store) == before
    pages = [r for r in site.html_requests if r.kind in ("archive", "issue", "article")]
    assert len(pages) > len(_live(site))
    assert {(r.conditional, r.status) for r in pages} == {(True, 304)}


def test_edits_are_found_recent_issues_each_run_older_ones_on_revisit(site: OjsSite, store: Store) -> None:
    _crawl(site, store, recent_issues=1)
    newest, *older = site.issues(JOURNAL)
    recent_article, old_article = newest.articles[0], older[-1].articles[0]
    site.edit(JOURNAL, recent_article.id, title="A corrected title")
    site.edit(JOURNAL, old_article.id, title="An old article, corrected")
    _crawl(site, store, recent_issues=1)
    records = _records(store)
    assert records[recent_article.url()]["title"] == "A corrected title"
    assert records[old_article.url()]["title"] != "An old article, corrected"  # not due yet
    _crawl(site, store, recent_issues=1, revisit="0s")  # everything due: found
    assert _records(store)[old_article.url()]["title"] == "An old article, corrected"


def test_bad_pages_are_skipped_with_a_warning_and_nothing_is_lost(
    site: OjsSite, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _crawl(site, store)
    before, stored = _totals(store), _records(store)
    login, soft, fine = (article.id for article in _live(site)[:3])
    site.login_instead.add(login)
    site.soft_404.add(soft)
    for article_id in (login, soft, fine):
        site.edit(JOURNAL, article_id, title="Changed meanwhile")
    with caplog.at_level(logging.WARNING, logger="harvester"):
        result = _crawl(site, store, "backfill")
    assert (result.status, result.warnings, result.counts.changed) == ("ok", 2, 1)
    messages = [record.getMessage() for record in caplog.records]
    assert any("login" in message and f"/article/view/{login}" in message for message in messages)
    assert any("not found" in message.lower() and f"/article/view/{soft}" in message for message in messages)
    records = _records(store)
    for article_id in (login, soft):
        url = site.article(JOURNAL, article_id).url()
        assert records[url] == stored[url]  # the stored article is untouched
    assert records[site.article(JOURNAL, fine).url()]["title"] == "Changed meanwhile"
    assert _totals(store)[0] == before[0] + 1


def test_truncated_page_is_skipped_then_read_next_run(site: OjsSite, store: Store) -> None:
    _crawl(site, store)
    target = _live(site)[0]
    site.edit(JOURNAL, target.id, title="Edited before a bad transfer")
    site.truncate_html_next(1, kind="article")  # the changed article page arrives cut short
    cut = _crawl(site, store, "backfill")
    assert (cut.status, cut.warnings, cut.counts.changed) == ("ok", 1, 0)
    assert _records(store)[target.url()]["title"] != "Edited before a bad transfer"
    _crawl(site, store, "backfill")
    assert _records(store)[target.url()]["title"] == "Edited before a bad transfer"


def test_a_non_ojs_site_fails_the_run_with_one_clear_error(store: Store) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=3, non_ojs_path="/blog/") as site:
        source = SourceSettings(name="blog", url=f"{site.base_url}/blog", strategy="html")
        with pytest.raises(PageError, match=r"/blog/issue/archive: no OJS issue archive here \(HTTP 404\)"):
            harvest_source(source, make_settings(store.url), store)


def test_robots_disallowed_article_pages_are_skipped_and_reported(store: Store) -> None:
    robots = "User-agent: *\nDisallow: /index.php/jsas/article/\n"
    with OjsSite.generate(journals=1, articles_per_journal=4, robots_txt=robots) as site:
        result = _crawl(site, store)
        assert result.status == "ok" and result.counts.new == 0
        assert result.warnings == len(_live(site))
        assert not any(r.kind == "article" for r in site.html_requests)


def test_stop_request_commits_the_page_in_hand_and_the_next_run_goes_on(site: OjsSite, store: Store) -> None:
    stop = threading.Event()
    stop.set()  # stop after the first page
    first = harvest_source(_source(site), make_settings(store.url), store, stop=stop)
    assert first.status == "interrupted" and first.pages == 1
    rest = _crawl(site, store)
    assert rest.status == "ok" and rest.counts.new == len(_live(site))


def test_oai_and_pages_merge_into_one_row_per_article(site: OjsSite, store: Store) -> None:
    result = harvest_source(_source(site, "auto"), make_settings(store.url), store)
    live = _live(site)
    assert (result.status, result.counts.new) == ("ok", len(live))
    records = _records(store)
    assert len(records) == len(live)
    for article in live:
        stored = dict(records[article.url()])
        assert stored.pop("_oai") == article.oai_identifier()
        assert stored["how_to_cite"] == article.expected_html()["how_to_cite"]
        assert [a.get("affiliation") for a in stored["authors"]] == [a.affiliation for a in article.authors]
    before = _totals(store)
    again = harvest_source(_source(site, "auto"), make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed) == (0, 0)
    assert _totals(store) == before


def test_auto_reads_the_pages_alone_when_oai_does_not_answer(site: OjsSite, store: Store) -> None:
    source = _source(site, "auto").model_copy(update={"oai_url": f"{site.base_url}/no-oai-here"})
    result = harvest_source(source, make_settings(store.url), store)
    assert (result.status, result.counts.new) == ("ok", len(_live(site)))
    assert all(record["_oai"] is None for record in _records(store).values())


def test_merged_record_follows_the_documented_precedence(site: OjsSite, store: Store) -> None:
    harvest_source(_source(site, "oai+html"), make_settings(store.url), store)
    article = _live(site)[0]
    stored = dict(_records(store)[article.url()])
    stored.pop("_oai")
    with store.read() as conn:
        oai = conn.execute(
            text(
                "SELECT s.record FROM article_sources s JOIN articles a ON a.id = s.article_id "
                "WHERE s.origin = 'oai' AND a.url = :url"
            ),
            {"url": article.url()},
        ).scalar_one()
    assert stored == merge_records(json.loads(oai), article.expected_html())


def test_auto_does_not_read_pages_of_a_host_that_is_down(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=2) as site:
        url = site.journal_url(JOURNAL)  # the server stops when the block ends
    source = SourceSettings(name=JOURNAL, url=url)
    with caplog.at_level(logging.WARNING, logger="harvester"), pytest.raises(NetworkError):
        harvest_source(source, make_settings(store.url), store)
    assert not any("pages only" in record.getMessage() for record in caplog.records)
