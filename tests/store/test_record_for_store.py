"""``OaiRecord.for_store``: the cut-down record the helper process sends back is written exactly
as the whole record would be (``store.batch`` reads nothing of the article it drops)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester.config import SourceSettings
from harvester.model import OaiRecord, RecordHeader
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.page_ingest import ingest_article_page
from harvester.store.runs import ensure_source
from harvester.store.schema import metadata
from tests.site.ojs_site import OjsSite

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
Form = Callable[[OaiRecord], OaiRecord]


def _records(site: OjsSite, journal: str) -> list[OaiRecord]:
    """The site's articles as OAI records (authors, ORCIDs, galleys, ISSNs, problems), and
    its deleted ones as tombstones."""
    records = []
    for art in site.articles(journal):
        header = RecordHeader(f"oai:{journal}.example.org:article/{art.id}", "2024-01-01T00:00:00Z")
        article = art.expected_article()
        if article is not None:  # a publisher other than the journal: the journal's row shows it
            article = dataclasses.replace(article, publisher="University Press")
        records.append(OaiRecord(dataclasses.replace(header, deleted=article is None), article))
    return records


def _harvest(store: Store, name: str, pages: list[list[OaiRecord]], form: Form) -> None:
    with store.write() as conn:
        ids = ensure_source(
            conn, SourceSettings(name=name, url=f"https://{name}.example.org/index.php/j"), NOW
        )
    ctx = RunContext(ids.source_id, ids.journal_id, None, NOW)
    first = next(record.article for record in pages[0] if record.article)  # seen on its page first: merged
    with store.write() as conn:
        ingest_article_page(conn, ctx, dataclasses.replace(first, title="From its page"), None)
    for page in pages:
        with store.write() as conn:
            ingest_records(conn, ctx, [form(record) for record in page])


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.read() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(table.select()).all()), key=repr)
            for table in metadata.sorted_tables
        }


def _scenario(path: Path, form: Form) -> dict[str, list[tuple[Any, ...]]]:
    """Two sources of one journal (twins: works), pages of 25, then the pages again with
    titles changed and a live article turned into a tombstone."""
    site = OjsSite.generate(journals=1, articles_per_journal=60, seed=7)
    journal = next(iter(site.journals))
    records = _records(site, journal)
    store = Store(f"sqlite:///{path}")
    for name in ("one", "two"):
        _harvest(store, name, [records[i : i + 25] for i in range(0, len(records), 25)], form)
    changed = [
        OaiRecord(record.header, dataclasses.replace(record.article, title=f"{record.article.title}!"))
        if record.article and n % 3 == 0
        else record
        for n, record in enumerate(records)
    ]
    dying = [n for n, record in enumerate(records) if record.article][1]
    changed[dying] = OaiRecord(dataclasses.replace(changed[dying].header, deleted=True), None)
    _harvest(store, "one", [changed], form)
    dump = _dump(store)
    store.close()
    return dump


def test_a_record_cut_for_the_store_is_written_as_the_whole_record(tmp_path: Path) -> None:
    whole = _scenario(tmp_path / "whole.db", lambda record: record)
    cut = _scenario(tmp_path / "cut.db", OaiRecord.for_store)
    assert cut == whole
    assert len(whole["articles"]) == 2 * 60
    assert len(whole["works"]) > 20  # the two sources' twins, clustered
    assert any("orcid" in row[3] for row in whole["article_history"] if isinstance(row[3], str))
