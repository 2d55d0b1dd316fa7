"""The mirror's records: a version only when a galley's bytes change, one row per stored file,
the current state per galley in the ``current_galleys`` view, removed galleys hidden."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from harvester.store import Store
from harvester.store.galleys import (
    Check,
    GalleyRef,
    StoredFile,
    galley_states,
    galleys_using,
    listed_galleys,
    mark_removed,
    record_check,
    source_id_of,
    stored_blobs,
)
from harvester.store.queries import current_galleys
from tests.store.test_store import SOURCE, _ingest, _record

VIEW_COLUMNS = [
    "article_id", "source", "label", "mime_type", "source_url", "file_url", "size", "sha256", "path",
    "fetched_at", "version", "status", "reason", "file_name", "checked_at",
]  # fmt: skip


def _stored(sha: str, size: int = 10) -> StoredFile:
    return StoredFile(
        sha * 64, size, "application/pdf", f"/files/sha256/{sha * 2}/{sha * 2}/{sha * 64}", "a.pdf"
    )


def _ok(sha: str) -> Check:
    return Check("ok", "https://x/download/1/2/3", stored=_stored(sha), validators=('"e1"', None))


def _write(store: Store, ref: GalleyRef, check: Check) -> str:
    with store.write() as conn:
        return record_check(conn, ref, check, datetime.now(UTC))


def _rows(conn: Connection, view: str) -> list[dict[str, object]]:
    return [dict(row._mapping) for row in conn.exec_driver_sql(f"SELECT * FROM {view}")]


def _article(store: Store) -> tuple[int, int]:
    _ingest(store, [_record(1)])
    with store.read() as conn:
        source_id = source_id_of(conn, SOURCE.name)
        assert source_id is not None
        article_id = conn.exec_driver_sql("SELECT id FROM articles").scalar_one()
    return source_id, article_id


def test_a_version_only_when_the_bytes_change(store: Store) -> None:
    source_id, article_id = _article(store)
    ref = GalleyRef(article_id, "https://x/view/1/2", "PDF", "application/pdf")
    assert _write(store, ref, _ok("a")) == "new"
    assert _write(store, ref, _ok("a")) == "unchanged"
    assert _write(store, ref, Check("ok", "https://x/download/1/2/3")) == "unchanged"  # a 304
    assert _write(store, ref, Check("failed", None, "HTTP 503")) == "failed"
    with store.read() as conn:
        (row,) = _rows(conn, "current_galleys")
        assert list(row) == VIEW_COLUMNS
        assert (row["status"], row["reason"], row["version"], row["sha256"]) == (
            "failed",
            "HTTP 503",
            1,
            "a" * 64,
        )
        assert row["path"] is not None  # the last good file is still named
    assert _write(store, ref, _ok("b")) == "changed"
    with store.read() as conn:
        versions = _rows(conn, "galley_versions")
        assert [(v["version"], v["sha256"]) for v in versions] == [(1, "a" * 64), (2, "b" * 64)]
        state = galley_states(conn, source_id)[ref.key]
        assert (state.version, state.status, state.etag, state.sha256) == (2, "ok", '"e1"', "b" * 64)


def test_identical_files_are_one_stored_file(store: Store) -> None:
    _, article_id = _article(store)
    first = GalleyRef(article_id, "https://x/view/1/2")
    second = GalleyRef(article_id, "https://x/view/1/3")
    _write(store, first, _ok("c"))
    _write(store, second, _ok("c"))
    with store.read() as conn:
        assert [blob.sha256 for blob in stored_blobs(conn)] == ["c" * 64]
        assert galleys_using(conn, "c" * 64) == [first.url, second.url]


def test_a_refused_galley_has_no_file_and_says_why(store: Store) -> None:
    _, article_id = _article(store)
    ref = GalleyRef(article_id, "https://x/view/1/2", "PDF", "application/pdf")
    assert _write(
        store, ref, Check("refused", "https://x/download/1/2", "an HTML page where a PDF was promised")
    ) == ("refused")
    with store.read() as conn:
        ((listed_under, row),) = list(current_galleys(conn))
        assert listed_under == article_id
        assert row["path"] is None and row["version"] == 0
        assert row["mime_type"] == "application/pdf"  # the journal's word until a file is stored
        assert "HTML page" in str(row["reason"])


def test_listed_galleys_come_from_current_records_and_gone_ones_are_hidden(store: Store) -> None:
    source_id, article_id = _article(store)
    with store.read() as conn:
        assert listed_galleys(conn, source_id, 0, 10) == [(article_id, ())]  # the record has none
    ref = GalleyRef(article_id, "https://x/view/1/2")
    _write(store, ref, _ok("d"))
    with store.write() as conn:
        assert mark_removed(conn, source_id, [], datetime.now(UTC)) == 1
    with store.read() as conn:
        assert _rows(conn, "current_galleys") == []
        assert len(_rows(conn, "galley_versions")) == 1  # history stays
    _write(store, ref, _ok("d"))  # listed again: back
    with store.read() as conn:
        assert len(_rows(conn, "current_galleys")) == 1
