"""A moved journal stays whole, and overrides by hand hold (issue 17, items 3-5).

The hosts of ``test_works``: after the move the old host stops serving the journal, a full
sweep withdraws the old copies, and every work stays live through the new source, which
``harvester status`` names; ``works split`` / ``works merge`` are stored, survive re-harvests,
and every change of membership is in the change feed; ``export`` carries the work id.
"""

from __future__ import annotations

import json
from pathlib import Path

from harvester.store import Store
from tests.cli.test_cli import harvester
from tests.site.configs import write_config
from tests.site.oai_served import Served
from tests.site.ojs_site import OjsSite
from tests.works.test_works import _harvest, _harvest_all, _rows, _works_by_source, hosts

__all__ = ["hosts"]  # the fixture, shared


def _move_away(old: OjsSite) -> None:
    """The old host keeps one of the journal's articles (a sweep that sees none withdraws
    nothing: ``store.sweeps``), the others are gone (a complete list without them)."""
    for art in old.articles("jsas")[:-1]:
        old.remove("jsas", art.id)


def _config(tmp_path: Path, hosts: tuple[OjsSite, OjsSite]) -> Path:
    first, second = hosts
    urls = {
        "old": first.journal_url("jsas"),
        "new": second.journal_url("jsas"),
        "look": first.journal_url("look"),
    }
    return write_config(tmp_path, urls)


def test_a_moved_journal_stays_whole_and_status_names_who_took_over(
    store: Store, hosts: tuple[OjsSite, OjsSite], tmp_path: Path
) -> None:
    _harvest_all(store, hosts, ("old", "new", "look"))
    before = _works_by_source(store)
    _move_away(hosts[0])
    assert _harvest(store, hosts[0], "old", "jsas", kind="backfill").status == "ok"
    withdrawn = _rows(
        store, "SELECT COUNT(*) FROM current_articles WHERE source = 'old' AND withdrawn_at IS NOT NULL"
    )
    assert withdrawn[0][0] == 8
    assert _works_by_source(store) == before  # membership unchanged by the withdrawal
    live = dict(_rows(store, "SELECT work_id, live FROM current_works"))
    assert all(live[w] for w, members in before.items() if "new" in members)
    done = harvester("status", config=_config(tmp_path, hosts), db=store.url)
    assert "  8 work(s) withdrawn here live on through new" in done.stdout.splitlines()
    lines = done.stdout.splitlines()
    look = next(i for i, line in enumerate(lines) if line.startswith("look: "))
    # The look-alike's print ISSN (wrong check digit) and its generic "Editorial" title.
    assert lines[look + 1] == "  2 identifier problem(s) (view identifier_problems)"


def test_membership_changes_are_in_the_feed(store: Store, hosts: tuple[OjsSite, OjsSite]) -> None:
    _harvest_all(store, hosts, ("old", "new"))
    entries = _rows(store, "SELECT entity_id, version, op, source FROM changes WHERE entity = 'work'")
    # A work of one new article is told by the article's own entry (it has no row yet); each
    # twin joining one makes it a work of two, created under its first article's id.
    assert len(entries) == 9
    assert {(op, source) for _, _, op, source in entries} == {("create", "new")}
    assert all(version == 1 for _, version, _, _ in entries)
    old_ids = {row[0] for row in _rows(store, "SELECT article_id FROM current_articles WHERE source = 'old'")}
    assert {entity_id for entity_id, _, _, _ in entries} <= old_ids


def test_split_and_merge_hold_across_reharvests(
    store: Store, hosts: tuple[OjsSite, OjsSite], tmp_path: Path
) -> None:
    _harvest_all(store, hosts, ("old", "new", "look"))
    config = _config(tmp_path, hosts)
    pair = next(w for w in _works_by_source(store).values() if set(w) == {"old", "new"})
    look = next(w for w in _works_by_source(store).values() if set(w) == {"look"})
    done = harvester("works", "split", str(pair["new"]), config=config, db=store.url)
    assert done.returncode == 0, done.stderr
    done = harvester("works", "merge", str(look["look"]), str(pair["old"]), config=config, db=store.url)
    assert done.returncode == 0, done.stderr
    oai_id = _rows(store, "SELECT oai_identifier FROM current_articles WHERE article_id = :a", a=pair["new"])
    site_id = int(oai_id[0][0].rsplit("/", 1)[1])
    hosts[1].edit("jsas", site_id, abstract="Edited after the split: a new version, clustered again.")
    for name, site in (("new", hosts[1]), ("old", hosts[0])):
        assert _harvest(store, site, name, "jsas", kind="backfill").status == "ok"
    assert (
        _rows(store, "SELECT version FROM current_articles WHERE article_id = :a", a=pair["new"])[0][0] == 2
    )
    works = _works_by_source(store)
    assert {"new": pair["new"]} in works.values()
    assert {"old": pair["old"], "look": look["look"]} in works.values()
    shown = harvester("works", "show", str(next(w for w, m in works.items() if "look" in m and "old" in m)),
                      config=config, db=store.url)  # fmt: skip
    assert f"merged with article {pair['old']} by hand" in shown.stdout
    ops = [row[0] for row in _rows(store, "SELECT op FROM changes WHERE entity = 'work' ORDER BY seq")]
    assert ops.count("create") >= 1 and "update" in ops


def test_a_merge_of_one_source_is_refused_with_one_line(
    store: Store, hosts: tuple[OjsSite, OjsSite], tmp_path: Path
) -> None:
    _harvest_all(store, hosts, ("old", "new"))
    ids = sorted(
        row[0] for row in _rows(store, "SELECT article_id FROM current_articles WHERE source = 'old'")
    )
    before = _works_by_source(store)
    done = harvester(
        "works", "merge", str(ids[0]), str(ids[1]), config=_config(tmp_path, hosts), db=store.url
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("harvester: error:")]
    assert errors == [f"harvester: error: articles {ids[0]} and {ids[1]} are of one source: never one work"]
    assert _works_by_source(store) == before


def test_export_carries_the_work_and_writes_works(
    store: Store, hosts: tuple[OjsSite, OjsSite], tmp_path: Path
) -> None:
    _harvest_all(store, hosts, ("old", "new"))
    config = _config(tmp_path, hosts)
    articles = [
        json.loads(line) for line in harvester("export", config=config, db=store.url).stdout.splitlines()
    ]
    assert len(articles) == 18 and all(isinstance(row["work_id"], int) for row in articles)
    lines = harvester("export", "--works", config=config, db=store.url).stdout.splitlines()
    works = [json.loads(line) for line in lines]
    assert len(works) == 9
    assert all(work["sources"] == ["new", "old"] and work["live"] for work in works)
    assert {a["work_id"] for a in articles} == {w["work_id"] for w in works}


def test_citations_and_the_oai_provider_carry_the_work(
    store: Store, hosts: tuple[OjsSite, OjsSite], tmp_path: Path
) -> None:
    _harvest_all(store, hosts, ("old", "new"))
    config = _config(tmp_path, hosts)
    work_of = dict(_rows(store, "SELECT article_id, work_id FROM current_articles"))
    items = json.loads(harvester("export", "--format", "csl-json", config=config, db=store.url).stdout)
    assert len(items) == 18
    assert {item["note"] for item in items} == {f"ojs-harvester work {w}" for w in work_of.values()}
    ris = harvester("export", "--format", "ris", config=config, db=store.url).stdout
    assert ris.count("M1  - ojs-harvester work ") == 18
    with Served(config, store.url, tmp_path / "serve.log") as served:
        root = served.get("verb=ListRecords&metadataPrefix=oai_dc")
        relations = [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}relation")]
    assert relations
    assert set(relations) <= {f"urn:ojs-harvester:work:{w}" for w in work_of.values()}
