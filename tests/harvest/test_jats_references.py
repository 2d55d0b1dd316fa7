"""References from OJS's ``jats`` OAI format for sources harvested over OAI alone: the recorded
OJS 3.5.0-1 site against its truth.json, and the test OJS site (release 3.5.0-1) over loopback for
the JATS window's own checkpoint, resume and "nothing new, nothing written"."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from lxml import etree
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.errors import BrokenResponseError
from harvester.harvest.oai import Page
from harvester.harvest.pipeline import HarvestRequest, harvest_source
from harvester.model import Article, OaiRecord, RecordHeader, Reference
from harvester.parse.jats import parse_jats_record
from harvester.store import Store
from harvester.store.articles import PageCounts
from harvester.store.engine import _alembic_config
from harvester.store.enrich import enrich_references
from harvester.store.feed import RunContext
from harvester.store.queries import current_articles
from harvester.store.runs import ensure_source
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite
from tests.site.replay import ReplaySite, recorded_response, recorded_site_dir

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SITE_35 = "ajpa_ojs3.5.0-1"
CITED = [
    "Ostrom, E. (1990). Governing the Commons. Cambridge University Press.",
    "Fukuyama, F. (2013). What Is Governance? Governance, 26(3), 347–368. https://doi.org/10.1111/gove.12035",
    "Pollitt, C. (2003). The Essential Public Manager. doi:10.1093/jopart/mum032",
]


def _totals(store: Store) -> tuple[int, int]:
    """(article versions, change-feed entries)."""
    with store.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT (SELECT COUNT(*) FROM article_versions), (SELECT COUNT(*) FROM changes)"
        ).one()
    return int(row[0]), int(row[1])


def _references(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Each live article's references by its OAI identifier."""
    with store.read() as conn:
        return {
            row["oai_identifier"]: row["references"] for row in current_articles(conn) if not row["deleted"]
        }


# --- the recorded OJS 3.5.0-1 site --------------------------------------------------------------


@pytest.fixture
def recorded_35() -> Iterator[tuple[ReplaySite, dict[str, Any]]]:
    site_dir = recorded_site_dir(SITE_35)
    truth = json.loads((Path(site_dir) / "truth.json").read_text(encoding="utf-8"))
    with ReplaySite(Path(site_dir)) as site:
        yield site, truth


def test_the_recorded_jats_record_gives_the_references_in_order_with_their_dois() -> None:
    _, _, body = recorded_response(
        SITE_35,
        "/index.php/ajpa/en/oai",
        "verb=GetRecord&metadataPrefix=jats&identifier=oai%3Aajpa.example.org%3Aarticle%2F301",
    )
    truth = json.loads((recorded_site_dir(SITE_35) / "truth.json").read_text(encoding="utf-8"))
    cited = next(a for a in truth["articles"] if a["id"] == 301)["citations"]
    record = parse_jats_record(etree.fromstring(body).find(f"{OAI}GetRecord/{OAI}record"))
    assert record.header.identifier == "oai:ajpa.example.org:article/301"
    assert record.article is not None
    assert [r.text for r in record.article.references] == cited
    assert [r.doi for r in record.article.references] == [None, "10.1093/jopart/mui057", "10.1111/gove.12035"]


def test_an_oai_only_harvest_of_the_recorded_35_site_stores_every_articles_references(
    recorded_35: tuple[ReplaySite, dict[str, Any]], store: Store
) -> None:
    site, truth = recorded_35
    source = SourceSettings(name="ajpa", url=site.journal_url, strategy="oai")
    first = harvest_source(source, make_settings(store.url), store)
    assert (first.status, first.warnings, first.counts.changed) == ("ok", 0, 0)
    assert ("/index.php/ajpa/en/oai", {"verb": "ListRecords", "metadataPrefix": "jats"}, 200) in site.requests
    stored = _references(store)
    live = [a for a in truth["articles"] if not a["unpublished"]]
    assert len(stored) == len(live)
    for article in live:
        references = stored[article["oai_identifier"]]
        assert [r["text"] for r in references] == article["citations"], article["id"]
        for reference in references:  # a DOI exactly where the text names one, as it names it
            if "doi.org/" in reference["text"] or "doi:" in reference["text"]:
                assert reference["doi"] and reference["doi"] in reference["text"].lower()
            else:
                assert reference["doi"] is None
    # One version per article (the JATS window amends the versions its own run wrote), and a
    # second full harvest of both formats writes nothing.
    totals = _totals(store)
    assert totals[0] == len(truth["articles"])
    again = harvest_source(source, make_settings(store.url), store, HarvestRequest("backfill"))
    assert (again.status, again.counts.new, again.counts.changed, again.counts.deleted) == ("ok", 0, 0, 0)
    assert _totals(store) == totals


def test_a_release_without_the_jats_format_is_harvested_as_before() -> None:
    # OJS 3.3.0-11 lists no jats (observed: jsas_ojs3.3.0-11 ListMetadataFormats): no JATS request.
    _, _, body = recorded_response("jsas_ojs3.3.0-11", "/index.php/jsas/oai", "verb=ListMetadataFormats")
    prefixes = [e.text for e in etree.fromstring(body).iter(f"{OAI}metadataPrefix")]
    assert "oai_dc" in prefixes and "jats" not in prefixes


# --- the parser on other JATS shapes -------------------------------------------------------------

_RECORD = (
    '<record xmlns="http://www.openarchives.org/OAI/2.0/"><header{status}><identifier>oai:j.org:article/7'
    "</identifier><datestamp>2024-01-01T00:00:00Z</datestamp></header>{metadata}</record>"
)


def test_an_uploaded_jats_file_without_namespace_and_with_element_citations_is_read() -> None:
    article = (
        "<metadata><article><back><ref-list><title>References</title><ref id='b1'><element-citation>"
        "<person-group><name><surname>Ostrom</surname></name></person-group><source>Governing the Commons"
        "</source><year>1990</year></element-citation></ref><ref id='b2'><mixed-citation>Fukuyama, F. "
        "<pub-id pub-id-type='doi'>10.1111/GOVE.12035</pub-id></mixed-citation></ref></ref-list></back>"
        "</article></metadata>"
    )
    record = parse_jats_record(etree.fromstring(_RECORD.format(status="", metadata=article)))
    assert record.article is not None
    assert record.article.references == (
        Reference("Ostrom Governing the Commons 1990", None),
        Reference("Fukuyama, F. 10.1111/GOVE.12035", "10.1111/gove.12035"),
    )


def test_a_deleted_jats_record_is_a_tombstone_and_other_metadata_is_refused() -> None:
    deleted = parse_jats_record(etree.fromstring(_RECORD.format(status=' status="deleted"', metadata="")))
    assert deleted.article is None and deleted.header.deleted
    dc = "<metadata><dc xmlns='http://www.openarchives.org/OAI/2.0/oai_dc/'/></metadata>"
    with pytest.raises(BrokenResponseError, match=r"oai:j.org:article/7.*not a JATS <article>"):
        parse_jats_record(etree.fromstring(_RECORD.format(status="", metadata=dc)))


# --- the test OJS site, release 3.5.0-1, over loopback --------------------------------------------

JOURNAL = "jsas"


@pytest.fixture
def site_35(ojs_site: Callable[..., OjsSite]) -> OjsSite:
    site = ojs_site(journals=1, articles_per_journal=12, seed=11, page_size=4, release="3.5.0-1")
    for art in site.journals[JOURNAL].articles:
        if not art.deleted:
            site.edit(JOURNAL, art.id, references=CITED[: 1 + art.id % 3])
    return site


def _source(site: OjsSite) -> SourceSettings:
    return SourceSettings(name=JOURNAL, url=site.journal_url(JOURNAL), strategy="oai")


def _live(site: OjsSite) -> list[Any]:
    return [a for a in site.journals[JOURNAL].articles if not a.deleted]


def _jats_requests(site: OjsSite, since: int = 0) -> list[dict[str, str]]:
    """The arguments of the requests that start a jats window."""
    return [args for _, args, _ in site.requests[since:] if args.get("metadataPrefix") == "jats"]


def _first_pages_live(site: OjsSite, pages: int) -> list[Any]:
    """The live articles of the first ``pages`` pages of a list (the site lists them in order)."""
    return [a for a in site.journals[JOURNAL].articles[: 4 * pages] if not a.deleted]


def test_an_interrupted_jats_window_resumes_from_its_own_checkpoint(site_35: OjsSite, store: Store) -> None:
    settings = make_settings(store.url)
    stop = threading.Event()
    pages: list[Page] = []

    def progress(page: Page, _counts: PageCounts) -> None:
        pages.append(page)
        if len(pages) == 5:  # oai_dc: 3 pages of 4 (12 records); then 2 pages of jats
            stop.set()

    first = harvest_source(_source(site_35), settings, store, stop=stop, progress=progress)
    assert first.status == "interrupted"
    with store.read() as conn:
        checkpoints = conn.exec_driver_sql(
            "SELECT metadata_prefix, pages, resumption_token FROM checkpoints"
        ).all()
        states = conn.exec_driver_sql("SELECT metadata_prefix FROM harvest_state").scalars().all()
    # The oai_dc window finished (its mark is kept); the jats one stopped after its 2nd page.
    assert [tuple(row[:2]) for row in checkpoints] == [("jats", 2)] and states == ["oai_dc"]
    enriched = {a.oai_identifier() for a in _first_pages_live(site_35, 2)}
    assert {oai for oai, refs in _references(store).items() if refs} == enriched
    assert _totals(store)[0] == 12  # amended in the run that wrote them: still one version each

    since = len(site_35.requests)
    second = harvest_source(_source(site_35), settings, store)
    assert second.status == "ok"
    # The jats window went on from its checkpoint's token; it did not start again from page 1.
    assert _jats_requests(site_35, since) == []
    token = checkpoints[0].resumption_token
    assert any(
        args == {"verb": "ListRecords", "resumptionToken": token} for _, args, _ in site_35.requests[since:]
    )
    expected = {a.oai_identifier(): CITED[: 1 + a.id % 3] for a in _live(site_35)}
    assert {oai: [r["text"] for r in refs] for oai, refs in _references(store).items()} == expected
    assert second.counts.changed == len(_live(site_35)) - len(enriched)  # each in a version of its own
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM checkpoints").scalar_one() == 0
        states = conn.exec_driver_sql("SELECT metadata_prefix FROM harvest_state ORDER BY 1").scalars().all()
    assert states == ["jats", "oai_dc"]


def test_jats_records_write_a_version_only_when_the_references_change(site_35: OjsSite, store: Store) -> None:
    settings = make_settings(store.url)
    assert harvest_source(_source(site_35), settings, store).status == "ok"
    totals = _totals(store)
    assert totals[0] == 12  # one version per article on the first harvest

    # Nothing changed: both windows run again (incremental) and write nothing.
    since = len(site_35.requests)
    quiet = harvest_source(_source(site_35), settings, store)
    assert (quiet.counts.new, quiet.counts.changed) == (0, 0) and _totals(store) == totals
    assert any("from" in args for args in _jats_requests(site_35, since))  # its own high-water mark

    # One article's references change: one new version, one feed entry, the others untouched.
    art = _live(site_35)[0]
    site_35.edit(JOURNAL, art.id, references=[*CITED, "A new reference. doi:10.1000/NEW"])
    changed = harvest_source(_source(site_35), settings, store)
    assert changed.counts.changed == 1
    assert _totals(store) == (totals[0] + 1, totals[1] + 1)
    references = _references(store)[art.oai_identifier()]
    assert [r["doi"] for r in references][-1] == "10.1000/new" and len(references) == 4

    # Its oai_dc record changes (a new title): the new version keeps the JATS references.
    site_35.edit(JOURNAL, art.id, title="A Retitled Article")
    retitled = harvest_source(_source(site_35), settings, store)
    assert retitled.counts.changed == 1
    assert _references(store)[art.oai_identifier()] == references
    after = _totals(store)
    assert harvest_source(_source(site_35), settings, store).counts.changed == 0 and _totals(store) == after


def test_a_jats_request_refused_midway_is_a_warning_and_loses_nothing(site_35: OjsSite, store: Store) -> None:
    # oaiJats answers cannotDisseminateFormat for a whole request when one record has no JATS.
    refused = _live(site_35)[5]
    site_35.edit(JOURNAL, refused.id, no_jats=True)
    result = harvest_source(_source(site_35), make_settings(store.url), store)
    assert (result.status, result.warnings) == ("ok", 1)
    stored = _references(store)
    assert len(stored) == len(_live(site_35))  # every article stored from oai_dc
    before = _first_pages_live(site_35, site_35.journals[JOURNAL].articles.index(refused) // 4)
    assert {oai for oai, refs in stored.items() if refs} == {a.oai_identifier() for a in before}
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT metadata_prefix FROM checkpoints").scalars().all() == ["jats"]


def test_jats_records_never_create_revive_or_delete_an_article(store: Store) -> None:
    cited = Article(references=(Reference(CITED[0]),))
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="j", url="https://j.org/"), datetime.now(UTC))
        ctx = RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))
        counts = enrich_references(
            conn,
            ctx,
            [
                OaiRecord(RecordHeader("oai:j.org:article/1", "2024-01-01"), cited),
                OaiRecord(RecordHeader("oai:j.org:article/2", "2024-01-01", deleted=True), None),
            ],
        )
    assert counts == PageCounts()
    with store.read() as conn:
        counts_row = conn.exec_driver_sql(
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM article_sources)"
        ).one()
    assert tuple(counts_row) == (0, 0)


def test_migration_0010_keeps_checkpoints_and_marks_as_oai_dc(store: Store) -> None:
    now = datetime.now(UTC)
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="j", url="https://j.org/"), now)
        command.downgrade(_alembic_config(conn), "0007")
        key = {"source": ids.source_id, "now": now}
        conn.execute(
            text(
                "INSERT INTO checkpoints (source_id, set_spec, metadata_prefix, full_sweep, "
                "started_response_date, resumption_token, pages, updated_at) "
                "VALUES (:source, '', 'oai_dc', TRUE, '2024-01-01T00:00:00Z', 'tok', 3, :now)"
            ),
            key,
        )
        conn.execute(
            text(
                "INSERT INTO harvest_state (source_id, set_spec, high_water, updated_at) "
                "VALUES (:source, '', '2024-01-01T00:00:00Z', :now)"
            ),
            key,
        )
    store.migrate()
    with store.read() as conn:
        checkpoint = conn.exec_driver_sql(
            "SELECT metadata_prefix, resumption_token, pages FROM checkpoints"
        ).one()
        state = conn.exec_driver_sql("SELECT metadata_prefix, high_water FROM harvest_state").one()
    assert tuple(checkpoint) == ("oai_dc", "tok", 3)
    assert tuple(state) == ("oai_dc", "2024-01-01T00:00:00Z")
    # The widened key: the same set's window in another format is a row of its own.
    with store.write() as conn:
        conn.execute(
            text(
                "INSERT INTO harvest_state (source_id, set_spec, metadata_prefix, high_water, updated_at) "
                "VALUES (:source, '', 'jats', '2024-02-01T00:00:00Z', :now)"
            ),
            key,
        )
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM harvest_state").scalar_one() == 2
