"""Harvests of the recorded real OJS sites (3.3.0-11 and 3.5.0-1, served again on loopback) in every
strategy, against their ground truth (``truth.json``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.config import SourceSettings
from harvester.harvest.pipeline import HarvestRequest, harvest_source
from harvester.ojs.locales import locale_tag
from harvester.store import Store
from harvester.store.queries import current_articles
from tests.harvest.test_harvest import make_settings
from tests.site.replay import ReplaySite, recorded_site_dir


@pytest.fixture
def recorded() -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    site_dir = recorded_site_dir("jsas_ojs3.3.0-11")
    truth = json.loads((Path(site_dir) / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(Path(site_dir)) as site:
        yield site, truth


def _in_locale(values: dict[str, Any], locale: str) -> Any:
    return values.get(locale) or values.get("en_US")


SITES = ["jsas_ojs3.3.0-11", "ajpa_ojs3.5.0-1"]
STRATEGIES = ["auto", "oai", "html", "oai+html"]


@pytest.fixture(params=SITES)
def any_recorded(request: pytest.FixtureRequest) -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    """Each recorded real site (3.3.0-11 and 3.5.0-1), served again, with its truth.json."""
    site_dir = recorded_site_dir(request.param)
    truth = json.loads((site_dir / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(site_dir) as site:
        yield site, truth


def _plain(values: dict[str, str]) -> dict[str, str]:
    """truth.json's full titles per locale as every surface gives them: tags out (3.5 #312's <i>)."""
    return _keyed({locale: re.sub(r"<[^>]+>", "", value) for locale, value in values.items()})


def _keyed(values: dict[str, Any]) -> dict[str, Any]:
    return {tag: value for locale, value in values.items() if value and (tag := locale_tag(locale))}


def _languages(values: dict[str, Any]) -> dict[str, Any]:
    """Per-language values keyed by the bare language: 3.3 pages tag the other locales' meta tags with
    two letters (``DC.Title.Alternative xml:lang="fr"``), so a page alone cannot tell fr from fr-CA."""
    return {key.split("-")[0]: value for key, value in values.items()}


def _page_keywords(truth: dict[str, Any], article: dict[str, Any]) -> dict[str, Any]:
    """Keywords per language that the article page carries: ``DC.Subject`` has the UI locale only up
    to 3.3 and every locale from 3.4 (plugins/generic/dublinCoreMeta/DublinCoreMetaPlugin at
    3_3_0-11 vs 3_4_0-4; shared/OJS.md section 4). The UI locale is the journal's primary here."""
    if truth["site"]["ojs_version"].startswith("3.3"):
        primary = next(iter(truth["journal"]["name"]))
        return _keyed({primary: article["keywords"].get(primary)})
    return _keyed(article["keywords"])


def _no_locale(url: str) -> str:
    """A 3.5 URL without its locale segment (pages link ``/J/en/article/...``, OAI ``/J/article/...``:
    shared/OJS.md section 16, O4): one article, one galley, whichever surface named it (Q10)."""
    return re.sub(r"/[a-z]{2,3}(?:_[A-Z]{2})?/article/", "/article/", url)


def _author_names(article: dict[str, Any], *, split: bool) -> list[tuple[str, str | None]]:
    """(given, family) in the submission's locale; ``split``: as a page shows it, "Given Family"
    split at the last space (pages carry no separate family name: ``citation_author`` and
    ``span.name`` are the full name in every release)."""
    names = []
    for person in article["authors"]:
        given, family = (
            _in_locale(person["given"], article["locale"]),
            _in_locale(person["family"], article["locale"]),
        )
        if split and family:
            given, _, family = f"{given} {family}".rpartition(" ")
        names.append((given, family or None))
    return names


def _current_records(store: Store) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every current article's view row and stored record, by URL (a tombstone never seen alive: by
    its OAI identifier)."""
    with store.read() as conn:
        rows = list(current_articles(conn))
        records = {
            row.article_id: json.loads(row.record)
            for row in conn.exec_driver_sql(
                "SELECT a.article_id, v.record FROM current_articles a JOIN article_versions v "
                "ON v.article_id = a.article_id AND v.version = a.version"
            )
        }
    return {row["url"] or row["oai_identifier"]: (row, records[row["article_id"]]) for row in rows}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_recorded_site_in_every_strategy_matches_its_ground_truth(
    any_recorded: tuple[ReplaySite, dict[str, Any]], store: Store, strategy: str
) -> None:
    """Both recorded releases, each strategy, against truth.json: titles and keywords per language,
    authors, ORCIDs, DOIs, pages, issue, galleys; the unpublished article is OAI's tombstone (a crawl
    never sees it); one version per article; a second run writes nothing."""
    site, truth = any_recorded
    source = SourceSettings(name="recorded", url=site.journal_url, strategy=strategy)  # type: ignore[arg-type]
    result = harvest_source(source, make_settings(store.url), store)
    oai, pages = strategy != "html", strategy != "oai"
    live = [a for a in truth["articles"] if not a["unpublished"]]
    gone = [a for a in truth["articles"] if a["unpublished"]]
    assert (result.status, result.counts.new, result.warnings) == ("ok", len(live), 0)
    assert result.counts.deleted == (len(gone) if oai else 0)
    stored = _current_records(store)
    assert len(stored) == len(live) + (len(gone) if oai else 0)
    issues = {issue["id"]: issue for issue in truth["issues"]}
    for article in live:
        url = site.rewrite(article.get("url_no_locale", article["url"]).encode()).decode()  # Q10: no locale
        row, record = stored[url]
        assert (row["deleted"], row["oai_identifier"]) == (False, article["oai_identifier"] if oai else None)
        titles, keywords = _plain(article["full_title"]), _keyed(article["keywords"])
        assert row["title"] == titles[locale_tag(article["locale"])], article["id"]
        if oai:  # OAI carries every locale, keyed as OJS tags it
            assert (row["titles"], row["keywords_by_language"]) == (titles, keywords), article["id"]
        else:
            assert _languages(row["titles"]) == _languages(titles), article["id"]
            assert _languages(row["keywords_by_language"]) == _languages(_page_keywords(truth, article))
        names = [(a["given"], a["family"]) for a in row["authors"]]
        assert names == _author_names(article, split=not oai), article["id"]
        assert [a["orcid"] for a in row["authors"]] == [
            person["orcid"] if person["orcid"] and pages else None  # OJS stores the URL form
            for person in article["authors"]
        ], article["id"]
        assert row["doi"] == (article["doi"].lower() if article["doi"] else None)
        assert (row["pages"], row["published"], row["section"]) == (
            article["pages"] or None, article["date_published"], article["section"],
        )  # fmt: skip
        issue = issues[article["issue_id"]]
        assert (row["volume"], row["number"], row["year"]) == (
            str(issue["volume"]),
            issue["number"],
            issue["year"],
        )
        wanted = [site.rewrite(g["view_url" if not pages else "download_url"].encode()).decode()
                  for g in article["galleys"]]  # fmt: skip
        got = [g["url" if not pages else "download_url"] for g in record["galleys"]]
        assert [_no_locale(u) for u in got] == [_no_locale(u) for u in wanted], article["id"]
    for article in gone:
        assert (
            stored[article["oai_identifier"]][0]["deleted"]
            if oai
            else article["oai_identifier"] not in stored
        )
    with store.read() as conn:
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM article_versions").scalar()
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM current_issues").scalar() == len(truth["issues"])
    assert versions == len(stored)
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.status, again.counts.new, again.counts.changed, again.counts.deleted) == ("ok", 0, 0, 0)


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
        assert [a["orcid"] for a in record["authors"]] == [a["orcid"] or None for a in article["authors"]]
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
    # One version and one feed entry per article and per issue, and the journal's one entry:
    # the pages complete the versions OAI wrote in the same run (before: 59 versions, 71 entries).
    assert seen["totals"] == (30, 37)
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
    any_recorded: tuple[ReplaySite, dict[str, Any]], store: Store, tmp_path: Path, strategy: str
) -> None:
    """Galleys from the article pages (html) or from OAI's dc:relation view URLs only (oai):
    either way every file is found through its viewer and stored with the site's bytes."""
    from harvester.config import MirrorSettings
    from harvester.mirror.galleys import mirror_source

    site, truth = any_recorded
    source = SourceSettings(name="recorded", url=site.journal_url, strategy=strategy)  # type: ignore[arg-type]
    settings = make_settings(store.url).model_copy(update={"mirror": MirrorSettings(path=str(tmp_path))})
    assert harvest_source(source, settings, store).status == "ok"
    result = mirror_source(source, settings, store)
    wanted = {
        _no_locale(site.rewrite(galley["view_url"].encode()).decode()): galley.get("served_sha256")
        or galley["sha256"]
        for article in truth["articles"]
        if not article["unpublished"]
        for galley in article["galleys"]
    }  # an HTML galley is served rewritten by its plugin (quirk 13): its served bytes count
    assert (result.new, result.refused, result.failed) == (len(wanted), 0, 0)
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT source_url, sha256, path, status FROM current_galleys").all()
    assert {_no_locale(row.source_url): row.sha256 for row in rows} == wanted
    assert all(row.status == "ok" and Path(row.path).is_file() for row in rows)
    again = mirror_source(source, settings, store)  # no validators here: nothing is due yet
    assert (again.not_due, again.requests) == (len(wanted), 0)
