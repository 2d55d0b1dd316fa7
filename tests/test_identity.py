"""References and the journal's identity, harvested from the recorded OJS 3.3.0-11 and
3.5.0-1 sites (../shared/samples/sites, served again on loopback) in every strategy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from replay import ReplaySite, samples_dir
from test_cli import harvester
from test_harvest import make_settings

from harvester.config import SourceSettings
from harvester.pipeline import harvest_source
from harvester.store import Store
from harvester.store.queries import current_articles

SITES = ("jsas_ojs3.3.0-11", "ajpa_ojs3.5.0-1")


@pytest.fixture(params=SITES)
def recorded(request: pytest.FixtureRequest) -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    root = samples_dir()
    site_dir = root / "sites" / request.param if root else None
    if site_dir is None or not site_dir.is_dir():
        pytest.skip("recorded OJS sites not found (../shared/samples/sites); they are not part of the repository")
    truth = json.loads((Path(site_dir) / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(Path(site_dir)) as site:
        yield site, truth


def _source(site: ReplaySite, truth: dict[str, Any], strategy: str) -> SourceSettings:
    # 3.5: the OAI endpoint of a multilingual journal has a locale segment (OJS.md O5).
    primary = truth["journal"]["primary_locale"]
    oai_url = f"{site.journal_url}/{primary}/oai" if "_" not in primary else site.oai_url
    return SourceSettings(name=truth["journal"]["path"], url=site.journal_url, oai_url=oai_url, strategy=strategy)


def _harvest(site: ReplaySite, truth: dict[str, Any], strategy: str, store: Store) -> None:
    result = harvest_source(_source(site, truth, strategy), make_settings(store.url), store)
    assert result.status == "ok", result.error


@pytest.mark.parametrize("strategy", ["html", "oai+html"])
def test_references_are_stored_in_order_with_their_dois(
    recorded: tuple[ReplaySite, dict[str, Any]], strategy: str, store: Store
) -> None:
    site, truth = recorded
    _harvest(site, truth, strategy, store)
    with store.read() as conn:
        rows = {row["url"].rsplit("/", 1)[-1]: row for row in current_articles(conn) if not row["deleted"]}
    live = [a for a in truth["articles"] if not a["unpublished"]]
    assert len(rows) == len(live)
    for article in live:
        references = rows[str(article["id"])]["references"]
        assert [r["text"] for r in references] == article["citations"], article["id"]
        for reference in references:
            if "doi.org/" in reference["text"] or "doi:" in reference["text"]:
                assert reference["doi"] and reference["doi"] in reference["text"].lower()
            else:
                assert reference["doi"] is None


def test_references_are_exported_and_an_oai_only_harvest_has_none(
    recorded: tuple[ReplaySite, dict[str, Any]], store: Store, db_url: str
) -> None:
    site, truth = recorded
    _harvest(site, truth, "oai", store)  # oai_dc carries no references (OJS.md section 7)
    with store.read() as conn:
        assert all(row["references"] == [] for row in current_articles(conn))
    _harvest(site, truth, "html", store)
    exported = harvester("export", db=db_url)
    assert exported.returncode == 0, exported.stderr
    rows = [row for row in map(json.loads, exported.stdout.splitlines()) if not row["deleted"]]
    by_id = {row["url"].rsplit("/", 1)[-1]: row for row in rows}
    cited = next(a for a in truth["articles"] if a["citations"])
    assert [r["text"] for r in by_id[str(cited["id"])]["references"]] == cited["citations"]
