"""``harvester export --format csl-json | bibtex | ris``: each read back by its format's library
and compared field by field with the store; CSL-JSON rendered by citeproc-py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from tests.cli.test_cli import _one_line_error, harvester
from tests.site.configs import write_config
from tests.site.ojs_site import OjsSite


@pytest.fixture
def exported(tmp_path: Path, db_url: str) -> Iterator[tuple[Path, dict[str, dict[str, Any]]]]:
    """A harvested store (OAI and pages) and its live articles by citation key."""
    with OjsSite.generate(journals=1, articles_per_journal=12, seed=5, page_size=5) as site:
        config = write_config(tmp_path, {"jsas": site.journal_url("jsas")}, strategy="oai+html")
        done = harvester("harvest", "--all", config=config, db=db_url)
        assert done.returncode == 0, done.stderr
        rows = map(json.loads, harvester("export", config=config, db=db_url).stdout.splitlines())
        live = {f"jsas-{row['article_id']}": row for row in rows if not row["deleted"]}
        assert len(live) == 11
        yield config, live


def _export(config: Path, db_url: str, fmt: str, *extra: str) -> str:
    done = harvester("export", "--format", fmt, *extra, config=config, db=db_url)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _year(row: dict[str, Any]) -> str:
    return str(row["published"] or row["year"])[:4]


def test_csl_json_has_every_field_and_citeproc_renders_it(
    exported: tuple[Path, dict[str, dict[str, Any]]], db_url: str
) -> None:
    config, live = exported
    items = json.loads(_export(config, db_url, "csl-json"))
    assert [item["id"] for item in items] == list(live)
    for item in items:
        row = live[item["id"]]
        assert item["type"] == "article-journal"
        assert item["title"] == row["title"]
        assert item["author"] == [
            {"family": a["family"], "given": a["given"]} if a.get("family") else {"literal": a["name"]}
            for a in row["authors"]
        ]
        assert item.get("DOI") == row["doi"]
        assert item["ISSN"] == row["issn"]
        assert (item["volume"], item["issue"]) == (row["volume"], row["number"])
        assert item.get("page") == row["pages"]
        assert item["issued"]["date-parts"] == [[int(p) for p in row["published"].split("-")]]
        assert item.get("abstract") == row["abstract"]
        assert item.get("keyword", "") == ", ".join(row["keywords"])
        assert (item["URL"], item["language"]) == (row["url"], row["language"])
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    for item in items:
        first = item["author"][0].get("family") or item["author"][0]["literal"]
        assert any(first in text and item["title"] in text for text in rendered), item["id"]


def test_bibtex_reads_back_field_for_field(
    exported: tuple[Path, dict[str, dict[str, Any]]], db_url: str
) -> None:
    config, live = exported
    library = bibtexparser.parse_string(
        _export(config, db_url, "bibtex"), append_middleware=[LatexDecodingMiddleware()]
    )
    assert not library.failed_blocks
    assert [entry.key for entry in library.entries] == list(live)
    for entry in library.entries:
        row = live[entry.key]
        fields = {key: field.value for key, field in entry.fields_dict.items()}
        assert entry.entry_type == "article"
        assert fields["title"] == row["title"]
        assert fields["author"] == " and ".join(
            f"{a['family']}, {a['given']}" if a.get("family") else a["name"] for a in row["authors"]
        )
        assert fields["journal"] == row["journal_title"]
        assert (fields["year"], fields["date"]) == (_year(row), row["published"])
        assert (fields["volume"], fields["number"]) == (row["volume"], row["number"])
        assert fields.get("pages", "").replace("–", "-") == (row["pages"] or "")
        assert (fields["issn"], fields["url"], fields.get("doi")) == (row["issn"], row["url"], row["doi"])
        assert fields.get("abstract") == row["abstract"]
        assert fields.get("keywords", "") == ", ".join(row["keywords"])
        assert fields["language"] == row["language"]


def test_ris_reads_back_field_for_field(
    exported: tuple[Path, dict[str, dict[str, Any]]], db_url: str
) -> None:
    config, live = exported
    references = rispy.loads(_export(config, db_url, "ris"))
    assert [ref["id"] for ref in references] == list(live)
    for ref in references:
        row = live[ref["id"]]
        assert ref["type_of_reference"] == "JOUR"
        assert ref["title"] == row["title"]
        assert ref["authors"] == [
            f"{a['family']}, {a['given']}" if a.get("family") else a["name"] for a in row["authors"]
        ]
        assert ref["secondary_title"] == row["journal_title"]
        assert (ref["year"], ref["date"]) == (_year(row), row["published"].replace("-", "/"))
        assert (ref["volume"], ref["number"], ref["issn"]) == (row["volume"], row["number"], row["issn"])
        pages = "-".join(p for p in (ref.get("start_page"), ref.get("end_page")) if p)
        assert pages == (row["pages"] or "")
        assert (ref.get("doi"), ref["urls"], ref["language"]) == (row["doi"], [row["url"]], row["language"])
        assert ref.get("abstract") == (" ".join(row["abstract"].split()) if row["abstract"] else None)
        assert ref.get("keywords", []) == row["keywords"]


def test_filters_and_bad_format(exported: tuple[Path, dict[str, dict[str, Any]]], db_url: str) -> None:
    config, _ = exported
    assert _export(config, db_url, "ris", "--source", "nope") == ""
    assert json.loads(_export(config, db_url, "csl-json", "--since", "999999")) == []
    done = harvester("export", "--format", "endnote", config=config, db=db_url)
    assert done.returncode == 2
    assert "'endnote' is not one of" in done.stderr
    _one_line_error(harvester("export", "--format", "ris", "--source", "x", config=config, db="nope://"), 1)
