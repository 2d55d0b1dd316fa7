"""End to end: the pipeline over real HTTP against the OJS-shaped server, into a real store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection

from harvester.config import DatabaseSettings, HarvestSettings, HttpSettings, Settings, SourceSettings
from harvester.errors import BrokenResponseError, RetryLaterError
from harvester.harvest.pipeline import HarvestRequest, HarvestResult, harvest_source
from harvester.store import Store
from harvester.store.queries import current_articles
from tests.site.ojs_site import GRANULARITY_DAYS, OjsSite

COMPARED = (
    "oai_identifier", "doi", "url", "title", "authors", "abstract", "keywords", "section", "pages",
    "language", "published", "journal_title", "issn", "volume", "number", "year", "issue_title", "deleted",
)  # fmt: skip


def make_settings(db_url: str, **harvest: Any) -> Settings:
    """Fast, still polite settings for a loopback server."""
    return Settings(
        database=DatabaseSettings(url=db_url),
        http=HttpSettings(
            requests_per_second=500, backoff=0.01, max_retries=2, max_retry_after=5, timeout=10
        ),
        harvest=HarvestSettings(**harvest),
    )


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=3, articles_per_journal=25, seed=7, page_size=10)


def source_for(site: OjsSite, journal: str, **options: Any) -> SourceSettings:
    """An OAI-PMH-only source (the HTML crawl has its own tests)."""
    return SourceSettings(name=journal, url=site.journal_url(journal), **({"strategy": "oai"} | options))


def harvest(site: OjsSite, store: Store, journal: str, **kwargs: Any) -> HarvestResult:
    return harvest_source(source_for(site, journal), make_settings(store.url), store, **kwargs)


def rows_by_identifier(store: Store, journal: str | None = None) -> dict[str, dict[str, Any]]:
    with store.read() as conn:
        return {row["oai_identifier"]: row for row in current_articles(conn, source=journal)}


def assert_matches_site(store: Store, site: OjsSite, journal: str) -> None:
    rows = rows_by_identifier(store, journal)
    expected = {art.oai_identifier(): art.expected() for art in site.articles(journal)}
    assert set(rows) == set(expected)
    for identifier, want in expected.items():
        got = rows[identifier]
        keys = ("oai_identifier", "deleted") if want["deleted"] else COMPARED
        assert {k: got[k] for k in keys} == {k: want[k] for k in keys}, identifier


def count(store: Store, sql: str) -> int:
    with store.read() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


def totals(store: Store) -> tuple[int, int]:
    return count(store, "SELECT COUNT(*) FROM article_versions"), count(store, "SELECT COUNT(*) FROM changes")


def oai_queries(site: OjsSite) -> list[dict[str, str]]:
    return [
        query
        for path, query, _ in site.requests
        if path.endswith("/oai") and query.get("verb") == "ListRecords"
    ]


def test_full_harvest_of_several_journals_on_one_host_matches_field_for_field(
    site: OjsSite, store: Store
) -> None:
    for journal in site.journals:
        result = harvest(site, store, journal)
        assert result.status == "ok"
        assert result.counts.new + result.counts.deleted == len(site.articles(journal))
    for journal in site.journals:
        assert_matches_site(store, site, journal)
    issues = count(store, "SELECT COUNT(*) FROM current_issues")
    want_issues = {(a.journal, a.volume, a.number, a.year) for a in site.articles() if not a.deleted}
    assert issues == len(want_issues)


def test_reharvest_of_unchanged_data_writes_no_version(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    before = totals(store)
    again = harvest(site, store, "jsas")
    assert again.counts.new == again.counts.changed == again.counts.deleted == 0
    full = harvest(site, store, "jsas", request=HarvestRequest("backfill"))
    assert full.counts.unchanged == len(site.articles("jsas"))
    assert totals(store) == before


def test_incremental_harvest_asks_from_the_high_water_mark(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    site.requests.clear()
    harvest(site, store, "jsas")
    first = oai_queries(site)[0]
    assert "from" in first
    assert first["from"].endswith("Z")


def test_day_granularity_is_respected(store: Store) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=5, seed=2, granularity=GRANULARITY_DAYS) as site:
        harvest(site, store, "jsas")
        site.requests.clear()
        harvest(site, store, "jsas")
        assert len(oai_queries(site)[0]["from"]) == 10


def test_edit_gives_exactly_one_new_version_and_one_change(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    target = next(a for a in site.articles("jsas") if not a.deleted)
    site.edit("jsas", target.id, title="A Corrected Title: Partition Revisited")
    versions, changes = totals(store)
    result = harvest(site, store, "jsas")
    assert (result.counts.changed, result.counts.new) == (1, 0)
    assert totals(store) == (versions + 1, changes + 1)
    row = rows_by_identifier(store)[target.oai_identifier()]
    assert (row["title"], row["version"]) == ("A Corrected Title: Partition Revisited", 2)
    with store.read() as conn:
        last = conn.exec_driver_sql(
            "SELECT entity, entity_id, version, op FROM changes ORDER BY seq DESC"
        ).first()
    assert tuple(last) == ("article", row["article_id"], 2, "update")


def test_deletion_gives_a_tombstone(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    target = next(a for a in site.articles("jsas") if not a.deleted)
    site.delete("jsas", target.id)
    result = harvest(site, store, "jsas")
    assert result.counts.deleted == 1
    row = rows_by_identifier(store)[target.oai_identifier()]
    assert row["deleted"] is True
    assert row["title"] == target.expected()["title"]  # the last known content stays readable


def test_503_with_retry_after_is_waited_out(site: OjsSite, store: Store) -> None:
    site.fail_next(2, status=503, retry_after="1")
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert_matches_site(store, site, "jsas")
    assert [s for _, _, s in site.requests].count(503) == 2


def test_retry_after_beyond_the_cap_ends_the_run_and_keeps_the_data(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    before = totals(store)
    site.fail_next(1, status=503, retry_after="3600")
    with pytest.raises(RetryLaterError):
        harvest(site, store, "jsas")
    assert totals(store) == before
    assert count(store, "SELECT COUNT(*) FROM runs WHERE status = 'failed'") == 1
    assert_matches_site(store, site, "jsas")


def _after_first_page(action: Any) -> Any:
    done = []

    def progress(page: Any, counts: Any) -> None:
        if not done:
            done.append(True)
            action()

    return progress


def test_truncated_pages_fail_the_run_and_the_next_run_resumes(site: OjsSite, store: Store) -> None:
    site.page_size = 2  # pages are requested up to two ahead of the one stored: make more
    with pytest.raises(BrokenResponseError, match="broken XML"):
        harvest(site, store, "jsas", progress=_after_first_page(lambda: site.truncate_next(2)))
    assert count(store, "SELECT COUNT(*) FROM checkpoints") == 1
    site.requests.clear()
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert "resumptionToken" in oai_queries(site)[0]  # resumed, not restarted
    assert_matches_site(store, site, "jsas")
    assert count(store, "SELECT COUNT(*) FROM article_versions") == len(site.articles("jsas"))


def test_a_single_truncated_page_is_fetched_again(site: OjsSite, store: Store) -> None:
    site.truncate_next(1)
    assert harvest(site, store, "jsas").status == "ok"
    assert_matches_site(store, site, "jsas")


def test_control_characters_and_invalid_utf8_are_repaired_and_counted(site: OjsSite, store: Store) -> None:
    target = next(a for a in site.articles("jsas") if not a.deleted and a.abstract)
    site.edit("jsas", target.id, control_chars=True)
    result = harvest(site, store, "jsas")
    assert result.warnings >= 1
    row = rows_by_identifier(store)[target.oai_identifier()]
    assert row["title"] == target.expected()["title"]
    # The invalid byte becomes U+FFFD: visible, never silently guessed.
    assert row["abstract"] == target.expected()["abstract"] + "\ufffd"


def test_bad_resumption_token_restarts_the_window(site: OjsSite, store: Store) -> None:
    site.page_size = 2  # pages are requested up to two ahead of the one stored: make more
    result = harvest(site, store, "jsas", progress=_after_first_page(site.expire_tokens))
    assert result.status == "ok"
    first_pages = [query for query in oai_queries(site) if "metadataPrefix" in query]
    assert len(first_pages) == 2  # restarted once
    assert_matches_site(store, site, "jsas")
    assert count(store, "SELECT COUNT(*) FROM article_versions") == len(site.articles("jsas"))


def test_a_token_misread_from_the_raw_page_is_never_followed(site: OjsSite, store: Store) -> None:
    # The next page is requested with the token read off the raw bytes while a page is parsed
    # (``oai._Lookahead``); a token element in a comment misleads that guess, once per window.
    site.decoy_token = True
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert_matches_site(store, site, "jsas")
    tokens = [query.get("resumptionToken") for query in oai_queries(site)]
    assert tokens.count("decoy") == 1  # the guess went out, its answer (an error) unused
    followed = [token for token in tokens if token not in (None, "decoy")]
    assert len(followed) == len(set(followed)) == 2  # each of the other two pages once


def test_repeated_token_ends_the_window_with_a_warning(
    site: OjsSite, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    site.repeat_token = True
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert "repeated" in caplog.text
    assert len(oai_queries(site)) == 2


def test_runs_of_empty_pages_end_the_window(
    site: OjsSite, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    site.empty_pages = True
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert "without records" in caplog.text
    # The first page, then three empty ones; the next page is requested while the third
    # empty one is read (``oai._Lookahead``), a request the ending run may not wait for.
    assert len(oai_queries(site)) in (4, 5)


def test_http_500_on_from_falls_back_to_a_full_sweep(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    site.edit("jsas", 1, title="Edited While From Is Broken")
    site.from_500 = True
    result = harvest(site, store, "jsas")
    assert result.status == "ok"
    assert result.counts.changed == 1
    assert result.counts.unchanged == len(site.articles("jsas")) - 1


def test_sets_restrict_the_harvest(site: OjsSite, store: Store) -> None:
    source = source_for(site, "jsas", sets=("jsas:BR",))
    harvest_source(source, make_settings(store.url), store)
    rows = rows_by_identifier(store)
    want = {a.oai_identifier() for a in site.articles("jsas") if a.section_abbrev == "BR"}
    assert set(rows) == want
    assert {r["section"] for r in rows.values() if not r["deleted"]} == {"Book Reviews"}


def test_ranged_backfill_leaves_the_high_water_mark_alone(site: OjsSite, store: Store) -> None:
    harvest(site, store, "jsas")
    with store.read() as conn:
        mark = _high_water(conn)
    harvest(site, store, "jsas", request=HarvestRequest("backfill", "2024-02-01", "2024-03-01"))
    with store.read() as conn:
        assert _high_water(conn) == mark


def _high_water(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SELECT high_water FROM harvest_state").scalar_one())
