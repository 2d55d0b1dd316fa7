"""Mirroring galley files end to end: a local OJS-shaped site over real HTTP, a real store, real
files on disk.

Checked: every galley stored with the site's bytes (pdf.js viewers, HTML iframes, and EPUBs whose
view URL redirects to the file); a second run sends conditional requests only and writes
nothing; a server without validators is asked again only every ``recheck``; robots.txt holds
for the file and for a redirect to it; an HTML page disguised as a PDF and a file over the cap
are refused with their reason; a transfer cut half-way is retried; a changed file gives a new
version and the old file stays; a file lost from disk comes back; the daemon's hook.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from harvester.config import MirrorSettings, Settings, SourceSettings
from harvester.errors import RetryLaterError
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.mirror.galleys import _BATCH, mirror_source
from harvester.mirror.result import MirrorResult
from harvester.store import Store
from tests.harvest.test_harvest import make_settings
from tests.site.galleys import galley_file_bytes
from tests.site.ojs_site import OjsSite, SimArticle

JOURNAL = "jsas"


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=1, articles_per_journal=12, seed=8)


def settings_for(store: Store, files: Path, **mirror: Any) -> Settings:
    return make_settings(store.url).model_copy(update={"mirror": MirrorSettings(path=str(files), **mirror)})


def source_for(site: OjsSite, **options: Any) -> SourceSettings:
    return SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy="html", **options)


def expected_files(site: OjsSite) -> dict[str, tuple[str, str]]:
    """{view URL: (sha256 of the served bytes, MIME type)} of every live galley."""
    return {
        art.galley_url(gid): (hashlib.sha256(galley_file_bytes(art, gid, mime)).hexdigest(), mime)
        for art in site.articles(JOURNAL)
        if not art.deleted
        for gid, mime in art.galleys
    }


def galleys(store: Store) -> dict[str, dict[str, Any]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM current_galleys").all()
    return {row.source_url: dict(row._mapping) for row in rows}


def harvested(site: OjsSite, store: Store) -> None:
    result = harvest_source(source_for(site), make_settings(store.url), store)
    assert result.status == "ok"


def mirror(site: OjsSite, store: Store, files: Path, **mirror: Any) -> MirrorResult:
    return mirror_source(source_for(site), settings_for(store, files, **mirror), store)


def downloads_since(site: OjsSite, mark: int) -> list[Any]:
    return [r for r in site.html_requests[mark:] if r.kind in ("download", "galley-view")]


def test_every_galley_is_mirrored_with_the_sites_bytes(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    result = mirror(site, store, tmp_path / "files")
    expected = expected_files(site)
    assert {mime for _, mime in expected.values()} == {"application/pdf", "text/html", "application/epub+zip"}
    assert (result.status, result.new, result.refused, result.failed) == ("ok", len(expected), 0, 0)
    rows = galleys(store)
    assert set(rows) == set(expected)
    for url, (sha, mime) in expected.items():
        row = rows[url]
        assert (row["status"], row["sha256"], row["mime_type"], row["version"]) == ("ok", sha, mime, 1), url
        path = Path(row["path"])
        assert path == tmp_path / "files" / "sha256" / sha[:2] / sha[2:4] / sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert row["size"] == path.stat().st_size
    for row in rows.values():  # where each viewer led: pdf.js, the HTML iframe, a redirect
        download = row["source_url"].replace("/article/view/", "/article/download/")
        wanted = {
            "application/pdf": rf"{re.escape(download)}/\d+",
            "text/html": rf"{re.escape(download)}\?inline=1",
            "application/epub+zip": re.escape(download),
        }[row["mime_type"]]
        assert re.fullmatch(wanted, row["file_url"]), row
        assert row["label"] == {"application/pdf": "PDF", "text/html": "HTML"}.get(row["mime_type"], "EPUB")
    assert not list((tmp_path / "files" / "tmp").iterdir())  # no temp file left behind


def test_second_run_sends_only_conditional_requests(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    mirror(site, store, tmp_path / "files")
    mark = len(site.html_requests)
    again = mirror(site, store, tmp_path / "files")
    assert (again.new, again.changed, again.unchanged, again.downloaded) == (
        0,
        0,
        len(expected_files(site)),
        0,
    )
    requests = downloads_since(site, mark)
    assert requests and all(r.kind == "download" and r.conditional and r.status == 304 for r in requests)
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM galley_versions").scalar_one() == len(requests)


def test_without_validators_files_are_fetched_again_only_every_recheck(store: Store, tmp_path: Path) -> None:
    with OjsSite.generate(journals=1, articles_per_journal=6, seed=3, validators=False) as site:
        harvested(site, store)
        first = mirror(site, store, tmp_path / "files")
        mark = len(site.html_requests)
        quiet = mirror(site, store, tmp_path / "files")  # recheck: 30 days
        assert (quiet.not_due, quiet.requests) == (first.new, 0)
        assert downloads_since(site, mark) == []
        due = mirror(site, store, tmp_path / "files", recheck="0s")
        assert (due.unchanged, due.new, due.changed) == (first.new, 0, 0)  # same bytes: no version
        assert {r.conditional for r in downloads_since(site, mark)} == {False}
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT MAX(version) FROM galley_versions").scalar_one() == 1


def test_robots_disallowed_downloads_are_refused_and_reported(store: Store, tmp_path: Path) -> None:
    robots = f"User-agent: *\nDisallow: /index.php/{JOURNAL}/article/download/\n"
    with OjsSite.generate(journals=1, articles_per_journal=12, seed=8, robots_txt=robots) as site:
        harvested(site, store)
        result = mirror(site, store, tmp_path / "files")
        assert [r for r in site.html_requests if r.kind == "download"] == []  # not even via a redirect
    assert (result.new, result.refused) == (0, len(expected_files(site)))
    assert all("robots.txt" in line for line in result.problems)
    for row in galleys(store).values():
        assert (row["status"], row["path"]) == ("refused", None)
        assert "disallowed by robots.txt" in row["reason"]


def test_html_disguised_as_pdf_is_refused_then_fetched_once_fixed(
    site: OjsSite, store: Store, tmp_path: Path
) -> None:
    harvested(site, store)
    art, gid = next((a, g) for a in site.articles(JOURNAL) for g, m in a.galleys if m == "application/pdf")
    site.disguised.add(gid)
    result = mirror(site, store, tmp_path / "files")
    assert (result.refused, result.new) == (1, len(expected_files(site)) - 1)
    row = galleys(store)[art.galley_url(gid)]
    assert (row["status"], row["path"], row["version"]) == ("refused", None, 0)
    assert "page of the journal" in row["reason"] or "HTML page" in row["reason"]
    site.disguised.clear()
    fixed = mirror(site, store, tmp_path / "files")
    assert fixed.new == 1
    assert galleys(store)[art.galley_url(gid)]["status"] == "ok"


def test_files_over_the_cap_are_refused(site: OjsSite, store: Store, tmp_path: Path) -> None:
    big = next(a for a in site.articles(JOURNAL) if any(m == "application/pdf" for _, m in a.galleys))
    site.edit(JOURNAL, big.id, file_size=300_000)
    harvested(site, store)
    result = mirror(site, store, tmp_path / "files", max_file_size="100KB")
    pdfs = [gid for gid, mime in big.galleys if mime == "application/pdf"]
    assert result.refused == len(pdfs)
    row = galleys(store)[big.galley_url(pdfs[0])]
    assert row["status"] == "refused" and "102400" in row["reason"]
    assert not list((tmp_path / "files" / "tmp").iterdir())


def test_a_transfer_cut_half_way_is_retried_whole(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    site.cut_downloads_next(2)
    result = mirror(site, store, tmp_path / "files")
    assert (result.new, result.failed) == (len(expected_files(site)), 0)
    for url, (sha, _) in expected_files(site).items():
        assert galleys(store)[url]["sha256"] == sha


def test_a_changed_file_gives_a_new_version_and_keeps_the_old(
    site: OjsSite, store: Store, tmp_path: Path
) -> None:
    harvested(site, store)
    mirror(site, store, tmp_path / "files")
    art = next(a for a in site.articles(JOURNAL) if len(a.galleys) >= 2)
    before = {art.galley_url(g): galleys(store)[art.galley_url(g)] for g, _ in art.galleys}
    site.edit(JOURNAL, art.id, file_revision=1)
    result = mirror(site, store, tmp_path / "files")
    assert (result.changed, result.new) == (len(art.galleys), 0)
    expected = expected_files(site)
    for url, old in before.items():
        now = galleys(store)[url]
        assert (now["version"], now["sha256"]) == (2, expected[url][0])
        assert Path(old["path"]).is_file() and Path(now["path"]).is_file()
    with store.read() as conn:
        versions = conn.exec_driver_sql(
            "SELECT source_url, version, sha256 FROM galley_versions WHERE article_id IN "
            "(SELECT article_id FROM current_galleys WHERE version = 2)"
        ).all()
    assert sorted((v.source_url, v.version) for v in versions) == sorted(
        (url, n) for url in before for n in (1, 2)
    )


def test_a_file_lost_from_disk_is_fetched_again(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    mirror(site, store, tmp_path / "files")
    victim = next(iter(galleys(store).values()))
    Path(victim["path"]).unlink()
    mark = len(site.html_requests)
    again = mirror(site, store, tmp_path / "files")
    assert again.unchanged == len(expected_files(site))
    assert Path(victim["path"]).is_file()
    assert sum(not r.conditional for r in downloads_since(site, mark)) == 1  # only the lost one


def test_a_galley_dropped_by_its_article_leaves_the_view(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    mirror(site, store, tmp_path / "files")
    art: SimArticle = next(a for a in site.articles(JOURNAL) if len(a.galleys) >= 2)
    dropped = art.galley_url(art.galleys[-1][0])
    site.edit(JOURNAL, art.id, galleys=art.galleys[:-1])
    harvested(site, store)
    result = mirror(site, store, tmp_path / "files")
    assert result.removed == 1
    assert dropped not in galleys(store)


def test_a_long_retry_after_stops_the_run_and_keeps_what_was_stored(
    site: OjsSite, store: Store, tmp_path: Path
) -> None:
    harvested(site, store)
    site.fail_html_next(1, status=503, retry_after="3600")
    with pytest.raises(RetryLaterError):
        mirror(site, store, tmp_path / "files")
    assert mirror(site, store, tmp_path / "files").new == len(expected_files(site))


def test_the_daemon_mirrors_after_a_harvest_when_asked(site: OjsSite, store: Store, tmp_path: Path) -> None:
    from harvester.daemon.service import Daemon

    def daemon_run(source: SourceSettings) -> None:
        settings = settings_for(store, tmp_path / "files").model_copy(update={"sources": (source,)})
        Daemon(settings, store, environ={})._harvest(source.name)  # one scheduled job, run inline

    daemon_run(source_for(site))
    assert galleys(store) == {}  # mirror_galleys is off by default
    daemon_run(source_for(site, mirror_galleys=True))
    assert {row["status"] for row in galleys(store).values()} == {"ok"}
    assert len(galleys(store)) == len(expected_files(site))


def test_a_refused_recheck_keeps_the_earlier_file(site: OjsSite, store: Store, tmp_path: Path) -> None:
    harvested(site, store)
    mirror(site, store, tmp_path / "files")
    art, gid = next((a, g) for a in site.articles(JOURNAL) for g, m in a.galleys if m == "application/pdf")
    before = galleys(store)[art.galley_url(gid)]
    site.disguised.add(gid)  # the file URL now answers with the login page (a new ETag: a 200)
    mark = len(site.html_requests)
    result = mirror(site, store, tmp_path / "files")
    assert result.refused == 1
    mine = re.compile(rf"/article/(view|download)/{art.id}/{gid}(/|$)")
    kinds = [r.kind for r in downloads_since(site, mark) if mine.search(r.path)]
    assert kinds == ["download", "galley-view", "download"]  # looked for the file again, once
    after = galleys(store)[art.galley_url(gid)]
    assert (after["status"], after["version"], after["sha256"], after["path"]) == (
        "refused",
        1,
        before["sha256"],
        before["path"],
    )
    assert Path(after["path"]).is_file()


@pytest.mark.ojs_site(journals=1, articles_per_journal=_BATCH + 30, seed=8)
def test_a_source_larger_than_a_batch_is_mirrored_and_swept_batch_by_batch(
    site: OjsSite, store: Store, tmp_path: Path
) -> None:
    """The walk holds one batch of articles at a time (``_BATCH``): every galley of every batch
    is mirrored once, and a galley dropped in the first batch and one in the last are each
    marked removed by their own batch's sweep."""
    harvested(site, store)
    first = mirror(site, store, tmp_path / "files")
    assert first.new == first.galleys == len(expected_files(site))
    with_two = [a for a in site.articles(JOURNAL) if len(a.galleys) >= 2]
    early, late = with_two[0], with_two[-1]
    assert late.id - early.id > _BATCH  # one galley in the first batch, one in the last
    dropped = set()
    for art in (early, late):
        dropped.add(art.galley_url(art.galleys[-1][0]))
        site.edit(JOURNAL, art.id, galleys=art.galleys[:-1])
    refreshed = harvest_source(source_for(site), make_settings(store.url), store, HarvestRequest("backfill"))
    assert refreshed.status == "ok"  # every page read again: an old issue's article too
    again = mirror(site, store, tmp_path / "files")
    assert again.removed == 2
    assert again.galleys == first.galleys - 2
    assert dropped.isdisjoint(galleys(store))
