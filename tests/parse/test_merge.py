"""One article however it was seen: OAI records and article pages merged into one row.

Store-level tests on real SQLite and PostgreSQL (the ``store`` fixture), plus the pure
precedence rules of ``harvester.parse.merge``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from harvester.config import SourceSettings
from harvester.model import (
    Article,
    Author,
    Galley,
    IssuePage,
    IssueRef,
    OaiRecord,
    RecordHeader,
    TocEntry,
    record_json,
)
from harvester.parse.merge import merge_issue, merge_records
from harvester.store import Store
from harvester.store.articles import PageCounts
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.page_ingest import ingest_article_page, ingest_issue_toc
from harvester.store.runs import ensure_source

BASE = "https://journals.example.org/index.php/demo"
SOURCE = SourceSettings(name="demo", url=BASE)
OTHER = SourceSettings(name="other", url="https://other.example.org/index.php/other")

OAI_ARTICLE = Article(
    title="Archives of Silence: Women's Testimonies",
    titles={"en-US": "Archives of Silence: Women's Testimonies"},
    authors=(
        Author("Ayesha Siddiqui", "Ayesha", "Siddiqui"),
        Author("Nazeer", "Nazeer"),
    ),
    abstract="First paragraph.Second paragraph.",  # OAI runs paragraphs together
    abstracts={"en-US": "First paragraph.Second paragraph."},
    keywords=("memory",),
    published="2022-03-15",
    doi="10.5555/demo.1",
    url=f"{BASE}/article/view/7",
    ojs_id=7,
    galleys=(Galley(f"{BASE}/article/view/7/9"),),
    section="Articles",
    issue=IssueRef("Demo", "1", "1", 2022, "Partition"),
)

PAGE_ARTICLE = Article(
    title="Archives of Silence: Women's Testimonies",
    subtitle="Women's Testimonies",
    titles={"en-US": "Archives of Silence: Women's Testimonies"},
    authors=(
        Author("Ayesha Siddiqui", "Ayesha", "Siddiqui", "LUMS", "0000-0002-1825-0097", "Historian."),
        Author("Nazeer", "Nazeer", None, "Punjab University"),
    ),
    abstract="First paragraph.\n\nSecond paragraph.",
    abstracts={"en-US": "First paragraph.\n\nSecond paragraph."},
    keywords=("memory",),
    published="2022",  # OJS's citation_date can be the year alone
    doi="10.5555/demo.1",
    url=f"{BASE}/article/view/7",
    ojs_id=7,
    galleys=(Galley(f"{BASE}/article/view/7/9", "PDF", "application/pdf", f"{BASE}/article/download/7/9"),),
    section="Articles",
    issue=IssueRef("Demo", "1", "1", 2022, "Partition", f"{BASE}/issue/view/3", 3),
    how_to_cite="Siddiqui, A., & Nazeer. (2022). Archives of Silence. Demo, 1(1).",
)


def _ctx(conn: Connection, source: SourceSettings = SOURCE) -> RunContext:
    ids = ensure_source(conn, source, datetime.now(UTC))
    return RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))


def _oai(store: Store, article: Article | None, number: int = 7) -> PageCounts:
    header = RecordHeader(
        f"oai:journals.example.org:article/{number}", "2024-05-01T00:00:00Z", (), article is None
    )
    with store.write() as conn:
        return ingest_records(conn, _ctx(conn), [OaiRecord(header, article)])


def _page(store: Store, article: Article, source: SourceSettings = SOURCE) -> PageCounts:
    with store.write() as conn:
        return ingest_article_page(conn, _ctx(conn, source), article, None)


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT a.article_id, a.version, a.oai_identifier, a.deleted, v.record FROM current_articles a "
            "JOIN article_versions v ON v.article_id = a.article_id AND v.version = a.version ORDER BY 1"
        )
        return [dict(row._mapping) | {"record": json.loads(row.record)} for row in rows]


def _counts(counts: PageCounts) -> tuple[int, int, int]:
    return counts.new, counts.changed, counts.unchanged


def test_precedence_rules() -> None:
    merged = merge_records(record_json(OAI_ARTICLE), record_json(PAGE_ARTICLE))
    assert merged["published"] == "2022-03-15"  # OAI's full date beats the page's year
    assert merged["abstract"] == "First paragraph.\n\nSecond paragraph."  # the page keeps paragraphs
    assert merged["galleys"][0]["download_url"] == f"{BASE}/article/download/7/9"
    assert merged["how_to_cite"] and merged["subtitle"] == "Women's Testimonies"
    first, second = merged["authors"]
    assert (first["given"], first["affiliation"], first["orcid"], first["bio"]) == (
        "Ayesha",
        "LUMS",
        "0000-0002-1825-0097",
        "Historian.",
    )
    assert (
        second["name"] == "Nazeer"
        and second["family"] is None
        and second["affiliation"] == "Punjab University"
    )
    assert merged["issue"]["url"] == f"{BASE}/issue/view/3" and merged["issue"]["title"] == "Partition"
    assert merge_records(record_json(OAI_ARTICLE), None) == record_json(OAI_ARTICLE)


def test_authors_match_by_name_before_position() -> None:
    oai = record_json(dataclasses.replace(OAI_ARTICLE, authors=(Author("B Two"), Author("A One"))))
    page = record_json(
        dataclasses.replace(
            PAGE_ARTICLE, authors=(Author("A One", affiliation="X"), Author("B Two", affiliation="Y"))
        )
    )
    assert [(a["name"], a["affiliation"]) for a in merge_records(oai, page)["authors"]] == [
        ("B Two", "Y"),
        ("A One", "X"),
    ]


def test_issue_page_wins_over_source_lines() -> None:
    page = {
        "volume": "1",
        "number": "1",
        "year": 2022,
        "title": "Partition and Memory",
        "published": "2022-03-15",
    }
    stored = merge_issue(
        None, {"volume": "1", "number": "1", "year": 2022, "title": "Partition"}, authoritative=True
    )
    after_page = merge_issue(stored, page, authoritative=True)
    assert after_page["title"] == "Partition and Memory"
    # A later OAI source line with the older title only fills gaps once the page was read.
    assert merge_issue(after_page, stored, authoritative=False) == after_page


def test_oai_then_page_is_one_article_enriched(store: Store) -> None:
    assert _counts(_oai(store, OAI_ARTICLE)) == (1, 0, 0)
    assert _counts(_page(store, PAGE_ARTICLE)) == (0, 1, 0)
    [row] = _rows(store)
    assert row["version"] == 2 and row["oai_identifier"] == "oai:journals.example.org:article/7"
    assert row["record"] == merge_records(record_json(OAI_ARTICLE), record_json(PAGE_ARTICLE))
    # Seen again both ways, unchanged: no new version from either side.
    assert _counts(_page(store, PAGE_ARTICLE)) == (0, 0, 1)
    assert _counts(_oai(store, OAI_ARTICLE)) == (0, 0, 1)
    assert [r["version"] for r in _rows(store)] == [2]


def test_page_then_oai_is_one_article(store: Store) -> None:
    assert _counts(_page(store, PAGE_ARTICLE)) == (1, 0, 0)
    assert _counts(_oai(store, OAI_ARTICLE)) == (0, 1, 0)  # found by its OJS id
    [row] = _rows(store)
    assert row["oai_identifier"] == "oai:journals.example.org:article/7"
    assert row["record"] == merge_records(record_json(OAI_ARTICLE), record_json(PAGE_ARTICLE))


def test_oai_edit_after_page_keeps_the_page_fields(store: Store) -> None:
    _oai(store, OAI_ARTICLE)
    _page(store, PAGE_ARTICLE)
    edited = dataclasses.replace(OAI_ARTICLE, title="Archives of Silence (corrected)")
    assert _counts(_oai(store, edited)) == (0, 1, 0)
    [row] = _rows(store)
    assert row["record"]["title"] == "Archives of Silence (corrected)"
    assert row["record"]["authors"][0]["bio"] == "Historian."  # still merged with the page
    assert row["version"] == 3


def test_oai_deletion_after_page_is_a_tombstone(store: Store) -> None:
    _oai(store, OAI_ARTICLE)
    _page(store, PAGE_ARTICLE)
    assert _oai(store, None).deleted == 1
    [row] = _rows(store)
    assert row["deleted"] and row["record"]["how_to_cite"]  # the last content is kept
    assert _counts(_page(store, PAGE_ARTICLE)) == (0, 0, 1)


def test_a_doi_of_another_journal_is_another_article(store: Store) -> None:
    _oai(store, OAI_ARTICLE)
    elsewhere = dataclasses.replace(
        PAGE_ARTICLE, url="https://other.example.org/index.php/other/article/view/7"
    )
    assert _counts(_page(store, elsewhere, OTHER)) == (1, 0, 0)
    assert len(_rows(store)) == 2


def test_issue_page_versions_the_issue_once(store: Store) -> None:
    _oai(store, OAI_ARTICLE)
    toc = IssuePage(
        IssueRef("Demo", "1", "1", 2022, "Partition and Memory", f"{BASE}/issue/view/3", 3),
        published="2022-03-15",
        cover_url=f"{BASE}/public/cover.png",
        sections=("Articles",),
        articles=(TocEntry(f"{BASE}/article/view/7", 7, "Archives of Silence", "Articles", "1-23"),),
    )
    for _ in range(2):
        with store.write() as conn:
            ingest_issue_toc(conn, _ctx(conn), toc)
    _oai(store, dataclasses.replace(OAI_ARTICLE, title="Edited"))  # its source line names the old title
    with store.read() as conn:
        issue = conn.exec_driver_sql(
            "SELECT title, url, ojs_id, published, cover_url, version, articles FROM current_issues"
        ).one()
    assert tuple(issue) == (
        "Partition and Memory",
        f"{BASE}/issue/view/3",
        3,
        "2022-03-15",
        f"{BASE}/public/cover.png",
        2,
        1,
    )
