"""The OAI-PMH server's sets are read at most once a minute: reading them is a pass over every
article, and each page of a set needs them (200 ms a page at 200,000 articles on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from harvester.config import ServeSettings, SourceSettings
from harvester.model import Article, OaiRecord, RecordHeader
from harvester.serve.provider import Repository
from harvester.serve.tokens import TokenCodec
from harvester.store import Store
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.runs import ensure_source


def _add(store: Store, number: int, section: str) -> None:
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name="s", url="https://s.example.org/j"), datetime.now(UTC))
        header = RecordHeader(f"oai:s.example.org:article/{number}", "2024-01-01T00:00:00Z")
        article = Article(title=f"Title {number}", section=section, published="2024-01-01")
        ingest_records(
            conn,
            RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC)),
            [OaiRecord(header, article)],
        )


def test_sets_are_read_once_a_minute(store: Store) -> None:
    _add(store, 1, "Articles")
    reads: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "DISTINCT" in statement:
            reads.append(statement)

    clock = [1000.0]
    repository = Repository(ServeSettings(page_size=1), store, TokenCodec(b"key"), clock=lambda: clock[0])
    event.listen(store.engine, "before_cursor_execute", note)
    _add(store, 2, "Articles")
    first = repository.listIdentifiers(metadataPrefix="oai_dc", set="s:articles")
    repository.listIdentifiers(resumptionToken=first.resumption.token)
    assert [spec for spec, *_ in repository.listSets().items] == ["s", "s:articles"]
    assert len(reads) == 1

    _add(store, 3, "Reviews")
    clock[0] += 59
    assert [spec for spec, *_ in repository.listSets().items] == ["s", "s:articles"]
    clock[0] += 1
    assert [spec for spec, *_ in repository.listSets().items] == ["s", "s:articles", "s:reviews"]
    assert len(reads) == 2
