"""``harvester serve``: a real OAI-PMH endpoint on loopback, harvested by two independent clients
(Sickle and oaipmh's client), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle

from tests.cli.test_cli import _one_line_error, harvester
from tests.site.configs import write_config
from tests.site.oai_served import OAI, Served, quote
from tests.site.ojs_site import OjsSite, SimArticle

DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PAGE = 4


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=2, articles_per_journal=12, seed=5, page_size=5)


def _config(tmp_path: Path, site: OjsSite, serve_extra: str = "") -> Path:
    serve = f'[serve]\npage_size = {PAGE}\nrepository_id = "mirror.example.org"\n{serve_extra}'
    return write_config(
        tmp_path, {"jsas": site.journal_url("jsas"), "mhc": site.journal_url("mhc")}, extra=serve
    )


def _next_second() -> datetime:
    """Wait until the clock is past the current second (datestamps have whole seconds)."""
    now = datetime.now(UTC)
    time.sleep(1.05 - now.microsecond / 1e6)
    return datetime.now(UTC).replace(microsecond=0)


def _harvest(config: Path, db_url: str) -> None:
    done = harvester("harvest", "--all", config=config, db=db_url)
    assert done.returncode == 0, done.stderr


def _stored(config: Path, db_url: str) -> dict[int, dict[str, Any]]:
    done = harvester("export", config=config, db=db_url)
    return {row["article_id"]: row for row in map(json.loads, done.stdout.splitlines())}


@pytest.fixture
def harvested(tmp_path: Path, site: OjsSite, db_url: str) -> Path:
    config = _config(tmp_path, site)
    _harvest(config, db_url)
    _next_second()  # nothing else is written in the second the first harvest ended
    return config


@pytest.fixture
def served(harvested: Path, db_url: str, tmp_path: Path) -> Iterator[Served]:
    with Served(harvested, db_url, tmp_path / "serve.log") as running:
        yield running


def _site_article(site: OjsSite, row: dict[str, Any]) -> SimArticle:
    return site.article(row["source"], int(row["oai_identifier"].rsplit("/", 1)[1]))


def _check_record(site: OjsSite, row: dict[str, Any], dc: dict[str, list[str]]) -> None:
    art = _site_article(site, row)
    assert dc["title"] == [art.full_title, *([art.title_fr] if art.title_fr else [])]
    assert dc["creator"] == [author.creator for author in art.authors]
    assert dc.get("subject", []) == art.keywords
    # every stored language's abstract (the site's OAI carries the fr-CA one too, as OJS does)
    abstracts = list(row["abstracts"].values()) or ([row["abstract"]] if row["abstract"] else [])
    assert dc.get("description", []) == abstracts
    assert len(abstracts) == bool(row["abstract"]) + bool(art.abstract_fr)
    assert dc["date"] == [art.published]
    assert dc["identifier"] == [art.url(), *([art.doi.lower()] if art.doi else [])]
    assert dc["publisher"] == [row["journal_title"]]
    assert dc["language"] == ["en"]


def test_two_clients_harvest_everything_field_for_field(
    served: Served, harvested: Path, db_url: str, site: OjsSite
) -> None:
    stored = _stored(harvested, db_url)
    sickle = {
        record.header.identifier: record
        for record in Sickle(served.url).ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    }
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    pyoai = {
        header.identifier(): (header, meta)
        for header, meta, _ in Client(served.url, registry).listRecords(metadataPrefix="oai_dc")
    }
    expected = {f"oai:mirror.example.org:{row['source']}/{key}": row for key, row in stored.items()}
    assert set(sickle) == set(pyoai) == set(expected)
    assert len(expected) > 3 * PAGE  # the lists were paged through several tokens
    for identifier, row in expected.items():
        record = sickle[identifier]
        header, meta = pyoai[identifier]
        assert record.header.deleted == header.isDeleted() == row["deleted"]
        assert set(record.header.setSpecs) >= {row["source"]}
        if row["deleted"]:
            assert meta is None
            continue
        _check_record(site, row, record.metadata)
        _check_record(site, row, {k: v for k, v in meta.getMap().items() if v})
    deleted = [row for row in stored.values() if row["deleted"]]
    assert len(deleted) == 2  # one tombstone per journal of the generated site


def test_every_language_carries_xml_lang(served: Served, site: OjsSite, harvested: Path, db_url: str) -> None:
    row = next(row for row in _stored(harvested, db_url).values() if row["titles"] and not row["deleted"])
    root = served.get(
        f"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mirror.example.org:{row['source']}/{row['article_id']}"
    )
    titles = {e.get(XML_LANG): e.text for e in root.iter(f"{DC}title")}
    assert titles == {lang: _site_article(site, row).full_title for lang in row["titles"]}
    for name, by_language in (("subject", "keywords_by_language"), ("description", "abstracts")):
        assert {e.get(XML_LANG) for e in root.iter(f"{DC}{name}")} == set(row[by_language]), row


def test_identify_sets_and_metadata_formats(served: Served, site: OjsSite) -> None:
    identify = served.get("verb=Identify").find(f"{OAI}Identify")
    assert identify is not None
    assert identify.findtext(f"{OAI}baseURL") == served.url
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert datetime.fromisoformat(identify.findtext(f"{OAI}earliestDatestamp") or "") < datetime.now(UTC)
    sets = {s.setSpec: s.setName for s in Sickle(served.url).ListSets()}
    sections = {a.section_title for a in site.articles("jsas") if not a.deleted}
    assert {"jsas", "mhc"} <= set(sets)
    assert {sets[spec] for spec in sets if spec.startswith("jsas:")} == sections
    formats = [f.metadataPrefix for f in Sickle(served.url).ListMetadataFormats()]
    assert formats == ["oai_dc"]


def test_a_section_set_lists_its_articles_only(served: Served, site: OjsSite) -> None:
    spec, title = next(
        (s.setSpec, s.setName) for s in Sickle(served.url).ListSets() if s.setSpec.startswith("jsas:")
    )
    headers = list(Sickle(served.url).ListIdentifiers(metadataPrefix="oai_dc", set=spec))
    expected = [a for a in site.articles("jsas") if not a.deleted and a.section_title == title]
    assert len(headers) == len(expected)
    assert all(spec in h.setSpecs for h in headers)


def test_incremental_from_gives_the_change_and_the_deletion_only(
    served: Served, harvested: Path, db_url: str, site: OjsSite
) -> None:
    first = served.get("verb=ListIdentifiers&metadataPrefix=oai_dc")
    since = first.findtext(f"{OAI}responseDate") or ""
    _next_second()
    live = [a for a in site.articles("jsas") if not a.deleted]
    site.edit("jsas", live[0].id, title="Changed Downstream")
    site.delete("jsas", live[1].id)
    _harvest(harvested, db_url)
    changed = {
        r.header.identifier: r
        for r in Sickle(served.url).ListRecords(
            metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since}
        )
    }
    stored = _stored(harvested, db_url)
    by_site = {
        int(row["oai_identifier"].rsplit("/", 1)[1]): key
        for key, row in stored.items()
        if row["source"] == "jsas"
    }
    edited, gone = (f"oai:mirror.example.org:jsas/{by_site[a.id]}" for a in live[:2])
    assert set(changed) == {edited, gone}
    assert changed[edited].metadata["title"] == ["Changed Downstream"]
    assert changed[gone].header.deleted
    record = served.get(f"verb=GetRecord&metadataPrefix=oai_dc&identifier={gone}").find(f".//{OAI}header")
    assert record is not None and record.get("status") == "deleted"


def _page(served: Served, query: str) -> tuple[list[str], etree._Element]:
    root = served.get(query)
    ids = [e.text or "" for e in root.iter(f"{OAI}identifier")]
    token = root.find(f".//{OAI}resumptionToken")
    assert token is not None
    return ids, token


def test_tokens_survive_a_restart_and_carry_size_cursor_expiry(
    served: Served, harvested: Path, db_url: str
) -> None:
    total = len(_stored(harvested, db_url))
    ids, token = _page(served, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert token.get("completeListSize") == str(total)
    assert token.get("cursor") == "0"
    expiry = datetime.fromisoformat(token.get("expirationDate") or "")
    assert datetime.now(UTC) < expiry <= datetime.now(UTC) + timedelta(days=1)
    served.restart()
    seen = list(ids)
    while token.text:
        ids, token = _page(served, f"verb=ListIdentifiers&resumptionToken={quote(token.text)}")
        assert token.get("cursor") == str(len(seen))
        seen += ids
    assert len(seen) == len(set(seen)) == total
    assert token.get("completeListSize") == str(total)


def test_a_harvest_during_the_download_loses_nothing(
    served: Served, harvested: Path, db_url: str, site: OjsSite
) -> None:
    ids, token = _page(served, "verb=ListRecords&metadataPrefix=oai_dc")
    size = token.get("completeListSize")
    stored = _stored(harvested, db_url)
    assert size == str(len(stored))
    sent = stored[int(ids[0].rsplit("/", 1)[1])]
    _next_second()
    site.edit(sent["source"], int(sent["oai_identifier"].rsplit("/", 1)[1]), title="Changed Mid-List")
    site.add_article("mhc", title="Published Mid-List")
    _harvest(harvested, db_url)
    seen = list(ids)
    titles = {}
    while token.text:
        root = served.get(f"verb=ListRecords&resumptionToken={quote(token.text)}")
        for record in root.iter(f"{OAI}record"):
            identifier = record.findtext(f".//{OAI}identifier") or ""
            seen.append(identifier)
            titles[identifier] = record.findtext(f".//{DC}title")
        token = root.find(f".//{OAI}resumptionToken")
        assert token is not None
        assert token.get("completeListSize") == size  # counted for the first page, carried on
    now = _stored(harvested, db_url)
    assert set(seen) == {f"oai:mirror.example.org:{row['source']}/{key}" for key, row in now.items()}
    assert titles[ids[0]] == "Changed Mid-List"  # sent again at the end, as changed
    assert "Published Mid-List" in titles.values()


BAD_REQUESTS = [
    ("", "badVerb"),
    ("verb=Explode", "badVerb"),
    ("verb=GetMetadata&identifier=x&metadataPrefix=oai_dc", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&extra=1", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-13-45", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2021-01-01T00:00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from_=2020-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
    ("verb=GetRecord&identifier=oai:mirror.example.org:jsas/1", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marcxml", "cannotDisseminateFormat"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mirror.example.org:jsas/999999", "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:elsewhere.org:jsas/1", "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:mirror.example.org:mhc/1", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=nope", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=nosuchjournal", "noRecordsMatch"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&set=jsas:nosuchsection", "noRecordsMatch"),
    ("verb=ListRecords&resumptionToken=forged", "badResumptionToken"),
    ("verb=ListSets&resumptionToken=forged", "badResumptionToken"),
    (f"verb=ListRecords&resumptionToken={quote('é.é')}", "badResumptionToken"),
    ("verb=ListRecords&resumptionToken=W10.AAAA", "badResumptionToken"),
]


def test_every_error_condition_is_the_protocols_and_changes_nothing(
    served: Served, harvested: Path, db_url: str
) -> None:
    before = _stored(harvested, db_url)
    for query, code in BAD_REQUESTS:
        assert served.error(query) == code, query
    assert served.get("verb=Identify", post=True).find(f"{OAI}Identify") is not None
    assert _stored(harvested, db_url) == before


def test_altered_and_wrong_verb_tokens_are_refused(served: Served) -> None:
    _, token = _page(served, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    text = token.text or ""
    payload, tag = text.split(".")
    altered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + tag
    assert served.error(f"verb=ListIdentifiers&resumptionToken={quote(altered)}") == "badResumptionToken"
    assert served.error(f"verb=ListRecords&resumptionToken={quote(text)}") == "badResumptionToken"


def test_an_expired_token_is_refused(tmp_path: Path, site: OjsSite, db_url: str) -> None:
    config = _config(tmp_path, site, 'token_lifetime = "1s"\n')
    _harvest(config, db_url)
    with Served(config, db_url, tmp_path / "serve.log") as served:
        _, token = _page(served, "verb=ListIdentifiers&metadataPrefix=oai_dc")
        time.sleep(2.1)
        assert (
            served.error(f"verb=ListIdentifiers&resumptionToken={quote(token.text or '')}")
            == "badResumptionToken"
        )


def test_an_empty_store_has_no_sets_and_no_records(tmp_path: Path, site: OjsSite, db_url: str) -> None:
    config = _config(tmp_path, site)
    with Served(config, db_url, tmp_path / "serve.log") as served:
        assert served.error("verb=ListSets") == "noSetHierarchy"
        assert served.error("verb=ListRecords&metadataPrefix=oai_dc") == "noRecordsMatch"
        assert served.get("verb=Identify").find(f".//{OAI}earliestDatestamp") is not None


def test_a_port_in_use_is_one_clear_line(tmp_path: Path, site: OjsSite, db_url: str) -> None:
    config = _config(tmp_path, site)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_error(harvester("serve", "--port", str(port), config=config, db=db_url), 2)
    assert f"127.0.0.1:{port}: cannot listen" in line
