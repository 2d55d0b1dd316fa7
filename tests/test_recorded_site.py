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
    source = SourceSettings(name="jsas", url=site.journal_url)
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
    source = SourceSettings(name="jsas", url=site.journal_url)
    harvest_source(source, make_settings(store.url), store)
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.counts.new, again.counts.changed, again.counts.deleted, again.counts.unchanged) == (
        0,
        0,
        0,
        30,
    )
