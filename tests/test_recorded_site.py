"""A harvest of a recorded real OJS 3.3 site (served again on loopback) against its ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from replay import ReplaySite, samples_dir
from test_harvest import make_settings

from harvester.config import SourceSettings
from harvester.pipeline import HarvestRequest, harvest_source
from harvester.store import Store
from harvester.store.queries import current_articles


@pytest.fixture
def recorded() -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    root = samples_dir()
    site_dir = root / "sites" / "jsas_ojs3.3.0-11" if root else None
    if site_dir is None or not site_dir.is_dir():
        pytest.skip(
            "recorded OJS sites not found (../shared/samples/sites); they are not part of the repository"
        )
    truth = json.loads((Path(site_dir) / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(Path(site_dir)) as site:
        yield site, truth


def _in_locale(values: dict[str, Any], locale: str) -> Any:
    return values.get(locale) or values.get("en_US")


def test_recorded_ojs33_site_matches_its_ground_truth(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, truth = recorded
    source = SourceSettings(name="jsas", url=site.journal_url, strategy="oai")
    result = harvest_source(source, make_settings(store.url), store)
    assert (result.counts.new, result.counts.deleted) == (29, 1)
    with store.read() as conn:
        rows = {row["oai_identifier"]: row for row in current_articles(conn)}
        issues = conn.exec_driver_sql("SELECT volume, number, year, title FROM current_issues").all()
    issue_by_id = {issue["id"]: issue for issue in truth["issues"]}
    for article in truth["articles"]:
        row = rows[article["oai_identifier"]]
        assert row["deleted"] is article["unpublished"]
        if article["unpublished"]:
            continue
        locale = article["locale"]
        issue = issue_by_id[article["issue_id"]]
        assert row["title"] == _in_locale(article["full_title"], locale)  # OAI: prefix + title + subtitle
        assert row["url"] == site.rewrite(article["url"].encode()).decode()
        assert row["doi"] == (article["doi"].lower() if article["doi"] else None)
        assert row["pages"] == (article["pages"] or None)
        assert row["published"] == article["date_published"]
        assert row["section"] == article["section"]
        assert row["keywords"] == (_in_locale(article["keywords"], locale) or [])
        assert (row["volume"], row["number"], row["year"]) == (
            str(issue["volume"]),
            issue["number"],
            issue["year"],
        )
        assert [a["family"] or a["given"] for a in row["authors"]] == [
            _in_locale(a["family"], locale) or _in_locale(a["given"], locale) for a in article["authors"]
        ]
    assert len(issues) == len(truth["issues"])


def test_recorded_site_full_reharvest_writes_nothing(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, _ = recorded
    source = SourceSettings(name="jsas", url=site.journal_url, strategy="oai")
    harvest_source(source, make_settings(store.url), store)
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed, again.counts.deleted, again.counts.unchanged) == (
        0,
        0,
        0,
        30,
    )


def _versions(store: Store) -> dict[str, Any]:
    """The current record of every article by landing URL, and the version/change totals."""
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT v.record, a.oai_identifier, a.deleted FROM current_articles a JOIN article_versions v "
            "ON v.article_id = a.article_id AND v.version = a.version"
        ).all()
        totals = conn.exec_driver_sql(
            "SELECT (SELECT COUNT(*) FROM article_versions), (SELECT COUNT(*) FROM changes)"
        ).one()
    records = {}
    for row in rows:
        record = json.loads(row.record)
        # A record never seen alive (OAI's tombstone of #17) has no URL: keyed by its identifier.
        records[record.get("url") or row.oai_identifier] = (record, row.oai_identifier, row.deleted)
    return {"records": records, "totals": tuple(totals)}


def _check_page_fields(site: ReplaySite, truth: dict[str, Any], records: dict[str, Any]) -> None:
    """What only the pages show, for every published article: affiliations, ORCIDs, bios,
    galley download URLs, the issue's URL, How to Cite."""
    for article in truth["articles"]:
        if article["unpublished"]:
            continue
        record = records[site.rewrite(article["url"].encode()).decode()][0]
        locale = article["locale"]
        assert [a["affiliation"] for a in record["authors"]] == [
            _in_locale(a["affiliation"], "en_US") for a in article["authors"]
        ]
        assert [a["orcid"] for a in record["authors"]] == [
            a["orcid"].rsplit("/", 1)[-1] if a["orcid"] else None for a in article["authors"]
        ]
        assert [bool(a.get("bio")) for a in record["authors"]] == [bool(a["bio"]) for a in article["authors"]]
        assert [g["download_url"] for g in record["galleys"]] == [
            site.rewrite(g["download_url"].encode()).decode() for g in article["galleys"]
        ]
        assert (
            record["issue"]["url"]
            == site.rewrite(
                f"{truth['site']['journal_url']}/issue/view/{article['issue_id']}".encode()
            ).decode()
        )
        assert record["how_to_cite"]
        assert record["title"] == _in_locale(article["full_title"], locale)


def test_recorded_site_html_crawl_matches_its_ground_truth(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, truth = recorded
    source = SourceSettings(name="jsas", url=site.journal_url, strategy="html")
    result = harvest_source(source, make_settings(store.url), store)
    assert (result.status, result.counts.new, result.warnings) == ("ok", 29, 0)
    seen = _versions(store)
    assert len(seen["records"]) == 29 and all(oai is None for _, oai, _ in seen["records"].values())
    _check_page_fields(site, truth, seen["records"])
    with store.read() as conn:
        issues = conn.exec_driver_sql("SELECT volume, number, year, published, url FROM current_issues").all()
    assert sorted((i.volume, i.number, i.year, i.published) for i in issues) == sorted(
        (str(i["volume"]), i["number"], i["year"], i["date_published"]) for i in truth["issues"]
    )
    # A second run (no validators on this server: same bodies) parses and writes nothing.
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed) == (0, 0)
    assert _versions(store)["totals"] == seen["totals"]


def test_recorded_site_oai_and_pages_merge_into_one_article_each(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, truth = recorded
    source = SourceSettings(name="jsas", url=site.journal_url)  # auto: OAI answers, so both
    first = harvest_source(source, make_settings(store.url), store)
    assert (first.status, first.counts.new, first.counts.deleted, first.counts.changed) == ("ok", 29, 1, 0)
    seen = _versions(store)
    assert len(seen["records"]) == 30  # 29 live articles and #17's tombstone, each one row
    # One version and one feed entry per article and per issue: the pages complete the
    # versions OAI wrote in the same run (before: 59 versions, 71 entries).
    assert seen["totals"] == (30, 36)
    with store.read() as conn:
        per_entity = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM changes GROUP BY entity, entity_id HAVING COUNT(*) > 1"
        ).all()
    assert per_entity == []
    assert all(
        oai and oai.startswith("oai:ojs.pkp.sfu.ca:article/") for _, oai, _ in seen["records"].values()
    )
    _check_page_fields(site, truth, seen["records"])
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed, again.counts.deleted) == (0, 0, 0)
    assert _versions(store)["totals"] == seen["totals"]


@pytest.mark.parametrize("strategy", ["html", "oai"])
def test_recorded_site_galley_files_match_their_ground_truth(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store, tmp_path: Path, strategy: str
) -> None:
    """Galleys from the article pages (html) or from OAI's dc:relation view URLs only (oai):
    either way every file is found through its viewer and stored with the site's bytes."""
    from harvester.config import MirrorSettings
    from harvester.mirror import mirror_source

    site, truth = recorded
    source = SourceSettings(name="jsas", url=site.journal_url, strategy=strategy)  # type: ignore[arg-type]
    settings = make_settings(store.url).model_copy(update={"mirror": MirrorSettings(path=str(tmp_path))})
    assert harvest_source(source, settings, store).status == "ok"
    result = mirror_source(source, settings, store)
    wanted = {
        site.rewrite(galley["view_url"].encode()).decode(): galley.get("served_sha256") or galley["sha256"]
        for article in truth["articles"]
        if not article["unpublished"]
        for galley in article["galleys"]
    }  # an HTML galley is served rewritten by its plugin (quirk 13): its served bytes count
    assert (result.new, result.refused, result.failed) == (len(wanted), 0, 0)
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT source_url, sha256, path, status FROM current_galleys").all()
    assert {row.source_url: row.sha256 for row in rows} == wanted
    assert all(row.status == "ok" and Path(row.path).is_file() for row in rows)
    again = mirror_source(source, settings, store)  # no validators here: nothing is due yet
    assert (again.not_due, again.requests) == (len(wanted), 0)
