"""Self-tests for the OJS simulator (``tests.site``) and the recording replayer (``replay``)."""

from __future__ import annotations

import hashlib
import html
import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import urlopen

import lxml.html
import pytest
from lxml import etree

from harvester.parse.normalize import normalize_orcid
from tests.site.expected import as_json
from tests.site.ojs_site import GRANULARITY_DAYS, OjsSite, SimArticle
from tests.site.replay import ReplaySite, recorded_site_dir

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def fetch(url: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url?params``; returns status, headers and body, also for HTTP errors."""
    full = f"{url}?{urlencode(params)}" if params else url
    try:
        with urlopen(full, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as err:
        try:
            return err.code, dict(err.headers), err.read()
        finally:
            err.close()


def oai(site: OjsSite, journal: str = "jsas", **params: str) -> etree._Element:
    """An OAI response from the site, parsed strictly."""
    status, _, body = fetch(site.oai_url(journal), **params)
    assert status == 200
    return etree.fromstring(body)


def harvest(site: OjsSite, journal: str = "jsas", verb: str = "ListRecords", **params: str) -> list[Any]:
    """Follow the resumption-token chain; returns every page (parsed)."""
    pages = [oai(site, journal, verb=verb, metadataPrefix="oai_dc", **params)]
    while (token := pages[-1].findtext(f".//{OAI}resumptionToken")) and len(pages) < 50:
        pages.append(oai(site, journal, verb=verb, resumptionToken=token))
    return pages


def records(pages: list[Any]) -> list[Any]:
    """All ``record`` elements of a harvest."""
    return [rec for page in pages for rec in page.iter(f"{OAI}record")]


def identifiers(pages: list[Any]) -> list[str]:
    """The header identifiers of a harvest, in order."""
    return [h.findtext(f"{OAI}identifier") for page in pages for h in page.iter(f"{OAI}header")]


def error_code(root: Any) -> str | None:
    """The OAI error code of a response, if any."""
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def source_line(exp: dict[str, Any]) -> str:
    """The en-US ``dc:source`` line OJS writes for an expected article."""
    line = f"{exp['journal_title']}; Vol. {exp['volume']} No. {exp['number']} ({exp['year']})"
    line += f": {exp['issue_title']}" if exp["issue_title"] else ""
    return line + (f"; {exp['pages']}" if exp["pages"] else "")


def assert_matches(record: Any, art: SimArticle) -> None:
    """A live record's Dublin Core agrees with ``art.expected()``."""
    exp = art.expected()

    def texts(tag: str, lang: str | None = "any") -> list[str]:
        found = record.iter(f"{DC}{tag}")
        return [e.text or "" for e in found if lang == "any" or e.get(XML_LANG) == lang]

    assert texts("title", "en-US") == [exp["title"]]
    names = [f"{a['family']}, {a['given']}" if a["family"] else a["given"] for a in exp["authors"]]
    assert texts("creator") == names
    description = texts("description", "en-US")
    assert [html.unescape(d) for d in description] == ([exp["abstract"]] if exp["abstract"] else [])
    assert texts("subject", "en-US") == exp["keywords"]
    ids = texts("identifier")
    assert ids[0] == exp["url"]
    assert [i.lower() for i in ids[1:]] == ([exp["doi"]] if exp["doi"] else [])
    assert texts("source", "en-US") == [source_line(exp)]
    assert texts("source", None)[0] == exp["issn"]
    assert texts("date") == [exp["published"]]
    assert texts("relation") == [f"{exp['url']}/{gid}" for gid, _ in art.galleys]
    assert texts("format") == [mime for _, mime in art.galleys]


# the site the shared ``site`` fixture starts (tests/site/fixtures.py)
pytestmark = pytest.mark.ojs_site(journals=2, articles_per_journal=25, seed=1)


def test_generated_data_is_varied_and_deterministic() -> None:
    first = [a.expected() | {"url": None} for a in OjsSite.generate(seed=3).articles()]
    again = [a.expected() | {"url": None} for a in OjsSite.generate(seed=3).articles()]
    assert first == again
    arts = OjsSite.generate().articles("jsas")
    names = {a["name"] for art in arts for a in art.expected()["authors"]}
    assert {"Klaus Müller", "Zoë O'Brien", "Łukasz Wróbel", "عائشہ صدیقی", "Nazeer"} <= names
    assert any(a.doi is None for a in arts)
    assert any(a.doi for a in arts)
    assert any(not a.pages for a in arts)
    assert any(len(a.galleys) > 1 for a in arts)
    assert {a.section_abbrev for a in arts} == {"ART", "BR"}
    assert {a.issue_title is None for a in arts} == {True, False}
    assert any("&" in a.abstract and "<" in a.abstract for a in arts)
    assert len({a.id for a in OjsSite.generate(journals=3).articles()}) == 75


def test_identify_parses_strictly(site: OjsSite) -> None:
    root = oai(site, verb="Identify")
    ident = root.find(f"{OAI}Identify")
    assert ident.findtext(f"{OAI}baseURL") == site.oai_url("jsas")
    assert ident.findtext(f"{OAI}repositoryName") == "Journal of South Asian Studies"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    assert "3.3.0.11" in etree.tostring(ident).decode()
    earliest = min(a.datestamp for a in site.articles("jsas"))
    assert ident.findtext(f"{OAI}earliestDatestamp") == earliest.strftime(SECONDS)
    assert root.getroottree().docinfo.encoding == "UTF-8"


def test_full_chain_returns_every_article_once(site: OjsSite) -> None:
    pages = harvest(site)
    arts = site.articles("jsas")
    assert len(pages) == 3
    assert identifiers(pages) == [a.oai_identifier() for a in arts]
    last = pages[-1].find(f".//{OAI}resumptionToken")
    assert last.text is None
    assert (last.get("completeListSize"), last.get("cursor")) == ("25", "20")
    by_id = {a.oai_identifier(): a for a in arts}
    for record in records(pages):
        header = record.find(f"{OAI}header")
        art = by_id[header.findtext(f"{OAI}identifier")]
        assert header.findtext(f"{OAI}setSpec") == f"jsas:{art.section_abbrev}"
        if art.deleted:
            assert header.get("status") == "deleted"
            assert record.find(f"{OAI}metadata") is None
        else:
            assert_matches(record, art)
    assert identifiers(harvest(site, "mhc")) == [a.oai_identifier() for a in site.articles("mhc")]


def test_sets_and_list_identifiers(site: OjsSite) -> None:
    specs = [s.findtext(f"{OAI}setSpec") for s in oai(site, verb="ListSets").iter(f"{OAI}set")]
    assert specs == ["jsas", "jsas:ART", "jsas:BR"]
    reviews = [a.oai_identifier() for a in site.articles("jsas") if a.section_abbrev == "BR"]
    assert identifiers(harvest(site, set="jsas:BR")) == reviews
    listed = harvest(site, verb="ListIdentifiers")
    assert len(listed) == 1
    assert identifiers(listed) == [a.oai_identifier() for a in site.articles("jsas")]


def test_from_and_until_filtering(site: OjsSite) -> None:
    arts = site.articles("jsas")
    cut = sorted(a.datestamp for a in arts)[12]
    stamp, day = cut.strftime(SECONDS), cut.date().isoformat()
    cases: list[tuple[dict[str, str], Callable[[SimArticle], bool]]] = [
        ({"from": stamp}, lambda a: a.datestamp >= cut),
        ({"until": stamp}, lambda a: a.datestamp <= cut),
        ({"from": day, "until": day}, lambda a: a.datestamp.date() == cut.date()),
    ]
    for params, keep in cases:
        assert set(identifiers(harvest(site, **params))) == {a.oai_identifier() for a in arts if keep(a)}
    for value, code in (("2099-01-01", "noRecordsMatch"), ("yesterday", "badArgument")):
        assert error_code(oai(site, verb="ListRecords", metadataPrefix="oai_dc", **{"from": value})) == code


def test_day_granularity() -> None:
    with OjsSite.generate(journals=1, granularity=GRANULARITY_DAYS) as site:
        ident = oai(site, verb="Identify").find(f"{OAI}Identify")
        assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DD"
        stamps = [h.findtext(f"{OAI}datestamp") for h in harvest(site)[0].iter(f"{OAI}header")]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) for s in stamps)
        bad = oai(site, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2024-01-01T00:00:00Z"})
        assert error_code(bad) == "badArgument"


def test_edit_bumps_datestamp_and_appears_in_from_harvest(site: OjsSite) -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    edited = site.edit("jsas", 3, title="A Corrected Title & More")
    added = site.add_article("jsas", title="Brand New")
    assert edited.datestamp >= before
    pages = harvest(site, **{"from": before.strftime(SECONDS)})
    assert identifiers(pages) == [edited.oai_identifier(), added.oai_identifier()]
    for record, art in zip(records(pages), (edited, added), strict=True):
        assert_matches(record, art)


def test_delete_gives_deleted_header(site: OjsSite) -> None:
    site.delete("jsas", 2)
    root = oai(site, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:ojs.pkp.sfu.ca:article/2")
    header = root.find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert header.findtext(f"{OAI}setSpec") == "jsas:ART"
    assert root.find(f".//{OAI}metadata") is None
    assert site.article("jsas", 2).expected()["deleted"] is True
    missing = oai(site, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:ojs.pkp.sfu.ca:article/30")
    assert error_code(missing) == "idDoesNotExist"  # article 30 belongs to the other journal


def test_protocol_errors(site: OjsSite) -> None:
    assert error_code(oai(site, verb="Bogus")) == "badVerb"
    assert error_code(oai(site, verb="ListRecords")) == "badArgument"
    assert error_code(oai(site, verb="ListRecords", metadataPrefix="nope")) == "cannotDisseminateFormat"
    first = oai(site, verb="ListRecords", metadataPrefix="oai_dc")
    token = first.findtext(f".//{OAI}resumptionToken")
    site.expire_tokens()
    assert error_code(oai(site, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    prefixes = [p.text for p in oai(site, verb="ListMetadataFormats").iter(f"{OAI}metadataPrefix")]
    assert prefixes == ["oai_dc", "marcxml"]
    marc = oai(site, verb="GetRecord", metadataPrefix="marcxml", identifier="oai:ojs.pkp.sfu.ca:article/1")
    assert marc.find(".//{http://www.loc.gov/MARC21/slim}record") is not None


def test_truncate_next_produces_broken_xml(site: OjsSite) -> None:
    site.truncate_next()
    status, headers, body = fetch(site.oai_url("jsas"), verb="ListRecords", metadataPrefix="oai_dc")
    assert status == 200
    assert int(headers["Content-Length"]) == len(body)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    assert len(harvest(site)) == 3  # consumed: the next request is whole


def test_fail_next_gives_503_with_retry_after(site: OjsSite) -> None:
    site.fail_next(2, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    for _ in range(2):
        status, headers, _ = fetch(site.oai_url("jsas"), verb="Identify")
        assert status == 503
        assert headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert fetch(site.oai_url("jsas"), verb="Identify")[0] == 200
    assert [status for _, _, status in site.requests] == [503, 503, 200]


def test_control_chars_break_strict_parsing_only(site: OjsSite) -> None:
    site.edit("jsas", 1, control_chars=True)
    _, _, body = fetch(
        site.oai_url("jsas"),
        verb="GetRecord",
        metadataPrefix="oai_dc",
        identifier="oai:ojs.pkp.sfu.ca:article/1",
    )
    assert b"\x0b" in body
    assert b"\xff" in body
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)


def test_server_misbehaviour_switches(site: OjsSite) -> None:
    site.from_500 = True
    status, headers, body = fetch(
        site.oai_url("jsas"), verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2020-01-01"}
    )
    assert (status, body, headers["Content-Type"]) == (500, b"", "text/html; charset=UTF-8")
    site.from_500, site.ignore_from = False, True
    assert len(identifiers(harvest(site, **{"from": "2099-01-01"}))) == 25
    site.ignore_from, site.repeat_token = False, True
    first = oai(site, verb="ListRecords", metadataPrefix="oai_dc").findtext(f".//{OAI}resumptionToken")
    second = oai(site, verb="ListRecords", resumptionToken=first)
    assert second.findtext(f".//{OAI}resumptionToken") == first
    site.repeat_token, site.empty_pages = False, True
    empty = oai(site, verb="ListRecords", resumptionToken=first)
    assert not list(empty.iter(f"{OAI}record"))
    assert empty.findtext(f".//{OAI}resumptionToken")
    site.empty_pages, site.delay = False, 0.2
    started = time.monotonic()
    oai(site, verb="Identify")
    assert time.monotonic() - started >= 0.2


def test_replay_serves_recorded_identify_with_rewritten_origin() -> None:
    site_dir = recorded_site_dir("jsas_ojs3.3.0-11")
    with ReplaySite(site_dir) as replay:
        status, _, body = fetch(replay.oai_url, verb="Identify")
        assert status == 200
        base = etree.fromstring(body).findtext(f".//{OAI}baseURL")
        assert base == f"{replay.base_url}/index.php/jsas/oai"
        assert b"127.0.0.1:8089" not in body
        status, _, _ = fetch(replay.oai_url, metadataPrefix="oai_dc", verb="ListRecords")  # order-insensitive
        assert status == 200
        status, _, body = fetch(replay.oai_url, verb="Nope")
        assert (status, body) == (404, b"<h1>404 Not Found</h1>")
        conn = http.client.HTTPConnection(urlsplit(replay.base_url).netloc, timeout=10)
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            assert response.status == 302
            assert response.getheader("Location") == replay.journal_url
        finally:
            conn.close()
        assert [path for path, _, _ in replay.requests][:2] == ["/index.php/jsas/oai"] * 2


# ----------------------------------------------------------------------------------------------------
# The HTML side: pages read with lxml XPath (independently of the harvester's parser)
# ----------------------------------------------------------------------------------------------------

XML_LANG_ATTR = "xml:lang"  # lxml.html keeps the attribute name as written
ISSUE_LABEL = re.compile(r"Vol\. (\S+) No\. (\S+) \((\d{4})\)(?:: (.+))?")


def get(
    site: OjsSite, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed: status, headers, body."""
    conn = http.client.HTTPConnection(urlsplit(site.base_url).netloc, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def page(site: OjsSite, path: str) -> Any:
    """A whole OJS page, parsed."""
    status, headers, body = get(site, path)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8"), path
    assert body.rstrip().endswith(b"</html>")
    return lxml.html.fromstring(body)


def norm(text: str) -> str:
    return " ".join(text.split())


def texts(node: Any, xpath: str) -> list[str]:
    return [norm(x if isinstance(x, str) else x.text_content()) for x in node.xpath(xpath)]


def meta(doc: Any, name: str) -> list[str]:
    return [str(v) for v in doc.xpath(f'//head/meta[@name="{name}"]/@content')]


def by_lang(doc: Any, name: str) -> dict[str, str]:
    return {m.get(XML_LANG_ATTR): m.get("content") for m in doc.xpath(f'//head/meta[@name="{name}"]')}


def sub_item(doc: Any, box: str, label: str) -> Any:
    return doc.xpath(
        f'//div[@class="item {box}"]/section[normalize-space(h2)="{label}"]/div[@class="value"]'
    )[0]


def issue_fields(label: str) -> dict[str, Any]:
    match = ISSUE_LABEL.fullmatch(label)
    assert match, label
    return {"volume": match[1], "number": match[2], "year": int(match[3]), "title": match[4]}


def read_authors(doc: Any) -> list[dict[str, Any]]:
    bios = {}
    for sub in doc.xpath('//section[@class="item author_bios"]/section[@class="sub_item"]'):
        name = norm(sub.xpath("h3")[0].text or "").rstrip(",")
        bios[name] = "\n\n".join(texts(sub, 'div[@class="value"]/p'))
    authors = []
    for li in doc.xpath('//ul[@class="authors"]/li'):
        name = texts(li, 'span[@class="name"]')[0]
        given, _, family = name.rpartition(" ")
        author = {"name": name, "given": given or name, "family": family if given else None}
        author["affiliation"] = (texts(li, 'span[@class="affiliation"]') or [None])[0]
        orcid = li.xpath('span[@class="orcid"]/a/@href')
        author["orcid"] = normalize_orcid(orcid[0]) if orcid else None
        author |= {"bio": bios[name]} if name in bios else {}
        # 3.3: citation_author and its institution are in the UI locale, the page's <html lang>.
        lang = doc.get("lang")
        author["given_names"] = {lang: author["given"]}
        author |= {"family_names": {lang: author["family"]}} if author["family"] else {}
        author |= {"affiliations": {lang: [author["affiliation"]]}} if author["affiliation"] else {}
        authors.append(author)
    assert [a["name"] for a in authors] == meta(doc, "citation_author")
    return authors


def read_abstract(doc: Any) -> str | None:
    """Every <p>, <li> and <br>-separated chunk is a paragraph (the "Abstract" heading left out)."""
    paragraphs = []
    for block in doc.xpath('//section[@class="item abstract"]/p | //section[@class="item abstract"]/ul/li'):
        for br in block.iter("br"):
            br.tail = "\u2029" + (br.tail or "")
        paragraphs += [norm(c) for c in block.text_content().split("\u2029") if norm(c)]
    return "\n\n".join(paragraphs) or None


def read_abstracts(doc: Any) -> dict[str, str]:
    """The theme's abstract in the page's language, then ``DC.Description`` (unescaped once more)."""
    found = {doc.get("lang"): read_abstract(doc)}
    for lang, text in by_lang(doc, "DC.Description").items():
        if all(lang.split("-")[0] != known.split("-")[0] for known in found):
            found[lang] = norm(html.unescape(text))
    return {lang: text for lang, text in found.items() if text}


def read_galleys(doc: Any) -> list[dict[str, Any]]:
    """Class ``pdf``, else ``DC.Format`` paired by position (the 3.3 theme classes all others ``file``)."""
    pdf_urls, formats = meta(doc, "citation_pdf_url"), meta(doc, "DC.Format")
    links = doc.xpath('//div[@class="item galleys"]//a[contains(@class, "obj_galley_link")]')
    assert len(formats) == len(links)
    galleys = []
    for link, mime in zip(links, formats, strict=True):
        url = link.get("href")
        pdf = "pdf" in link.get("class").split()
        download = url.replace("/article/view/", "/article/download/")
        assert (download in pdf_urls) == pdf == (mime == "application/pdf")
        galleys.append(
            {"url": url, "label": norm(link.text_content()), "mime_type": mime, "download_url": download}
        )
    return galleys


def read_article(doc: Any) -> dict[str, Any]:
    """The article page as a record, read with plain XPath (independently of the harvester's parser)."""
    first, last = meta(doc, "citation_firstpage"), meta(doc, "citation_lastpage")
    issue_link = doc.xpath('//div[@class="item issue"]//a[@class="title"]')[0]
    issue_url = issue_link.get("href")
    copyright_lines = [
        t for t in texts(doc, '//div[@class="item copyright"]/p') if not t.startswith("This work")
    ]
    subtitle = texts(doc, '//article//h2[@class="subtitle"]')
    record: dict[str, Any] = {
        "title": meta(doc, "citation_title")[0],
        "titles": {doc.get("lang"): meta(doc, "DC.Title")[0], **by_lang(doc, "DC.Title.Alternative")},
        **({"subtitle": subtitle[0], "subtitles": {doc.get("lang"): subtitle[0]}} if subtitle else {}),
        "authors": read_authors(doc),
        "abstract": read_abstract(doc),
        "abstracts": read_abstracts(doc),
        "keywords": meta(doc, "citation_keywords"),
        **(
            {"keywords_by_language": {doc.get("lang"): keywords}}
            if (keywords := meta(doc, "DC.Subject"))
            else {}
        ),
        "publisher": None,
        "published": meta(doc, "DC.Date.created")[0],
        "doi": meta(doc, "citation_doi")[0].lower() if meta(doc, "citation_doi") else None,
        "url": meta(doc, "citation_abstract_html_url")[0],
        "ojs_id": int(meta(doc, "DC.Identifier")[0]),
        "galleys": read_galleys(doc),
        "language": meta(doc, "citation_language")[0],
        "rights": copyright_lines[0] if copyright_lines else None,
        "license_url": doc.xpath('//div[@class="item copyright"]//a[@rel="license"]/@href')[0],
        "section": norm(sub_item(doc, "issue", "Section").text_content()),
        "pages": (first[0] if first == last else f"{first[0]}-{last[0]}") if first else None,
        "issue": {
            "journal_title": meta(doc, "citation_journal_title")[0],
            **issue_fields(norm(issue_link.text_content())),
            "url": issue_url,
            "ojs_id": int(issue_url.rsplit("/", 1)[1]),
        },
        "issns": meta(doc, "citation_issn"),
        "types": [],
        "how_to_cite": texts(doc, '//div[@id="citationOutput"]//div[@class="csl-entry"]')[0],
    }
    assert [record["issue"][k] for k in ("volume", "number")] == meta(doc, "citation_volume") + meta(
        doc, "citation_issue"
    )
    return record


def read_issue(doc: Any, url: str) -> dict[str, Any]:
    """The issue page as an IssuePage dict."""
    toc = doc.xpath('//div[@class="obj_issue_toc"]')[0]
    articles = []
    for section in toc.xpath('div[@class="sections"]/div[@class="section"]'):
        for summary in section.xpath('.//div[@class="obj_article_summary"]'):
            link = summary.xpath('h3[@class="title"]/a')[0]
            subtitle = texts(link, 'span[@class="subtitle"]')
            title = norm(link.text or "") + (f": {subtitle[0]}" if subtitle else "")
            pages = texts(summary, 'div[@class="meta"]/div[@class="pages"]')
            href = link.get("href")
            entry = {"url": href, "ojs_id": int(href.rsplit("/", 1)[1]), "title": title}
            articles.append(
                entry | {"section": texts(section, "h2")[0], "pages": pages[0] if pages else None}
            )
    issue = {
        "journal_title": texts(doc, '//div[@class="pkp_site_name"]/a')[0],
        **issue_fields(texts(doc, "//h1")[0]),
    }
    return {
        "issue": issue | {"url": url, "ojs_id": int(url.rsplit("/", 1)[1])},
        "published": texts(toc, './/div[@class="published"]/span[@class="value"]')[0],
        "cover_url": (toc.xpath('div[@class="heading"]/a[@class="cover"]/img/@src') or [None])[0],
        "description": (texts(toc, 'div[@class="heading"]/div[@class="description"]') or [None])[0],
        "sections": texts(toc, 'div[@class="sections"]/div[@class="section"]/h2'),
        "articles": articles,
    }


def read_archive(doc: Any) -> dict[str, Any]:
    """An archive page as an ArchivePage dict."""
    issues = []
    for summary in doc.xpath('//ul[@class="issues_archive"]/li/div[@class="obj_issue_summary"]'):
        link = summary.xpath('h2/a[@class="title"]')[0]
        series = texts(summary, 'h2/div[@class="series"]')
        label = f"{series[0]}: {norm(link.text_content())}" if series else norm(link.text_content())
        href = link.get("href")
        ref = {
            "journal_title": None,
            **issue_fields(label),
            "url": href,
            "ojs_id": int(href.rsplit("/", 1)[1]),
        }
        issues.append(ref)
    following = doc.xpath('//div[@class="cmp_pagination"]/a[@class="next"]/@href')
    return {"issues": issues, "next_url": following[0] if following else None}


def test_page_only_data_is_varied_deterministic_and_oai_titles_are_full(site: OjsSite) -> None:
    arts = [a for a in site.articles() if not a.deleted]
    again = [
        a for a in OjsSite.generate(journals=2, articles_per_journal=25, seed=1).articles() if not a.deleted
    ]
    for art, twin in zip(arts, again, strict=True):  # the twin is not served: its URLs have no origin
        assert json.dumps(art.expected_html()).replace(site.base_url, "") == json.dumps(twin.expected_html())
    assert any(a.subtitle for a in arts)
    assert any(a.prefix for a in arts)
    assert any(a.abstract_fr and a.title_fr for a in arts)
    assert {a.abstract_style for a in arts if len(a.paragraphs) > 1} >= {"p", "ul"}
    authors = [au for a in arts for au in a.authors]
    assert any(au.family is None for au in authors)
    assert any(au.bio and "\n\n" in au.bio for au in authors)
    assert {bool(au.orcid) for au in authors} == {bool(au.affiliation) for au in authors} == {True, False}
    assert all(normalize_orcid(au.orcid) == f"https://orcid.org/{au.orcid}" for au in authors if au.orcid)
    assert any(a.pages.startswith("e") for a in arts)
    assert any(mime == "text/html" for a in arts for _, mime in a.galleys)
    subtitled = next(a for a in site.articles("jsas") if a.subtitle and not a.deleted)
    root = oai(site, verb="GetRecord", metadataPrefix="oai_dc", identifier=subtitled.oai_identifier())
    assert (
        root.findtext(f".//{DC}title") == f"{subtitled.title}: {subtitled.subtitle}" == subtitled.full_title
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_every_article_page_shows_its_expected_values(site: OjsSite) -> None:
    late = next(a for a in site.articles("jsas") if not a.deleted and a.published[:4] == str(a.year))
    site.edit("jsas", late.id, published=f"{late.year - 1}-12-20")  # article date in another year
    for art in site.articles():
        status, _, body = get(site, path_of(art.url()))
        if art.deleted:
            assert (status, body, art.expected_html()) == (404, b"<h1>404 Not Found</h1>", None)
            continue
        doc = lxml.html.fromstring(body)
        assert meta(doc, "generator") == ["Open Journal Systems 3.3.0.11"]
        assert doc.xpath('//article[@class="obj_article_details"]')
        assert read_article(doc) == art.expected_html(), art.id
        assert texts(doc, '//div[@class="item published"]//span') == [art.published]
        assert meta(doc, "citation_date") == [
            str(art.year) if art.published[:4] != str(art.year) else art.published.replace("-", "/")
        ]
    escaped = next(a for a in site.articles() if "&" in a.abstract and not a.raw_amp and not a.deleted)
    assert b"&amp;amp;" in get(site, path_of(escaped.url()))[2]  # DC.Description, escaped twice (quirk 1)
    assert meta(page(site, path_of(late.url())), "citation_date") == [str(late.year)]


def test_archive_is_paginated_newest_first_and_empty_past_the_end() -> None:
    with OjsSite.generate(journals=1, articles_per_journal=60, seed=2) as site:
        issues = site.issues("jsas")
        assert len(issues) == 6
        assert [i.published for i in issues] == sorted((i.published for i in issues), reverse=True)
        archive = f"{site.journal_url('jsas')}/issue/archive"
        first = read_archive(page(site, path_of(archive)))
        assert first == as_json(site.expected_archive("jsas", 1))
        assert [i["ojs_id"] for i in first["issues"]] == [i.id for i in issues[:4]]
        assert first["next_url"] == f"{archive}/2"
        assert read_archive(page(site, path_of(f"{archive}/1"))) == first
        second = read_archive(page(site, path_of(f"{archive}/2")))
        assert second == as_json(site.expected_archive("jsas", 2))
        assert ([i["ojs_id"] for i in second["issues"]], second["next_url"]) == (
            [i.id for i in issues[4:]],
            None,
        )
        past = page(site, path_of(f"{archive}/3"))
        assert (
            read_archive(past)
            == {"issues": [], "next_url": None}
            == as_json(site.expected_archive("jsas", 3))
        )
        assert "This journal has not published any issues." in texts(past, "//p")
        # OJS casts the page to int: 0 and non-numbers show page 1 (tag 3_4_0-8
        # pages/issue/IssueHandler.php ``archive``; observed on 3.5.0-1, O1).
        assert read_archive(page(site, path_of(f"{archive}/x"))) == read_archive(
            page(site, path_of(f"{archive}/0"))
        )
        assert read_archive(page(site, path_of(f"{archive}/x")))["issues"] == first["issues"]


def test_issue_pages_list_sections_and_articles_in_order(site: OjsSite) -> None:
    issues = site.issues("jsas")
    for issue in issues:
        assert read_issue(page(site, path_of(issue.url())), issue.url()) == issue.expected()
    assert any(i.cover for i in issues) and any(i.description for i in issues)
    mixed = next(i for i in issues if len(i.sections()) > 1)
    assert mixed.sections() == ["Articles", "Book Reviews"]
    assert [a.id for a in mixed.articles] == sorted(
        (a.id for a in mixed.articles), key=lambda n: (site.article("jsas", n).section_abbrev, n)
    )
    cover = next(i for i in issues if i.cover).cover_url()
    assert cover and get(site, path_of(cover))[:2][0] == 200
    home = page(site, "/index.php/jsas")
    assert meta(home, "generator") == ["Open Journal Systems 3.3.0.11"]
    assert home.xpath("//a[@href=$u]", u=f"{site.journal_url('jsas')}/issue/current")
    assert texts(home, '//div[@class="current_issue_title"]') == [issues[0].identification]
    status, headers, _ = get(site, "/index.php/jsas/issue/current")
    assert (status, headers["Location"]) == (302, issues[0].url())


def test_unknown_issue_redirects_to_the_login_page(site: OjsSite) -> None:
    other = site.issues("mhc")[0].id  # an issue of the other journal is unknown here
    for issue_id in (99999, other):
        status, headers, body = get(site, f"/index.php/jsas/issue/view/{issue_id}")
        source = f"%2Findex.php%2Fjsas%2Fissue%2Fview%2F{issue_id}"
        assert (status, body, headers["Location"]) == (
            302,
            b"",
            f"{site.journal_url('jsas')}/login?source={source}",
        )
        login = page(site, path_of(headers["Location"]))
        assert login.xpath('//form[@id="login"]')
        assert login.xpath('//input[@name="source"]/@value') == [f"/index.php/jsas/issue/view/{issue_id}"]


def crawl(site: OjsSite, journal: str) -> list[str]:
    """Every page and file a thorough harvester asks for."""
    paths = [f"/index.php/{journal}", f"/index.php/{journal}/issue/archive"]
    paths += [path_of(i.url()) for i in site.issues(journal)]
    for art in site.articles(journal):
        if not art.deleted:
            paths.append(path_of(art.url()))
            paths += [path_of(art.galley_url(g)) for g, m in art.galleys if m != "application/epub+zip"]
            paths += [path_of(art.download_url(g)) for g, _ in art.galleys]
    return paths


def test_conditional_requests_get_304_until_an_edit(site: OjsSite) -> None:
    first = {path: get(site, path)[1] for path in crawl(site, "jsas")}
    assert all("ETag" in h and "Last-Modified" in h for h in first.values())
    site.html_requests.clear()
    for path, headers in first.items():
        status, again, body = get(site, path, {"If-None-Match": headers["ETag"]})
        assert (status, body, again["ETag"], again["Last-Modified"]) == (
            304, b"", headers["ETag"], headers["Last-Modified"]
        )  # fmt: skip
    assert {(r.conditional, r.status) for r in site.html_requests} == {(True, 304)}
    art = next(a for a in site.articles("jsas") if not a.deleted and a.galleys)
    page_path, pdf_path = path_of(art.url()), path_of(art.download_url(art.galleys[0][0]))
    stamp = first[page_path]["Last-Modified"]
    assert get(site, page_path, {"If-Modified-Since": stamp})[0] == 304
    site.edit("jsas", art.id, title="A Corrected Title")
    status, headers, body = get(site, page_path, {"If-None-Match": first[page_path]["ETag"]})
    assert (status, b"A Corrected Title" in body) == (200, True)
    assert parsedate_to_datetime(headers["Last-Modified"]) > parsedate_to_datetime(stamp)
    assert get(site, page_path, {"If-Modified-Since": stamp})[0] == 200
    issue_path = path_of(site.issue("jsas", art.issue_id).url())
    assert get(site, issue_path, {"If-None-Match": first[issue_path]["ETag"]})[0] == 200
    assert get(site, pdf_path, {"If-None-Match": first[pdf_path]["ETag"]})[0] == 304  # same bytes
    site.edit("jsas", art.id, file_revision=1)
    assert get(site, pdf_path, {"If-None-Match": first[pdf_path]["ETag"]})[0] == 200
    before = site.article("jsas", art.id).modified
    site.edit("jsas", art.id, title="Corrected Twice")  # within the same second: still later
    assert site.article("jsas", art.id).modified > before
    site.set_datestamp("jsas", art.id, datetime(2020, 1, 1, tzinfo=UTC))  # OAI only: pages unchanged
    assert site.article("jsas", art.id).modified > before


def test_without_validators_pages_are_like_real_ojs() -> None:
    with OjsSite.generate(journals=1, articles_per_journal=5, seed=1, validators=False) as site:
        conditional = {"If-None-Match": "*", "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
        art = site.article("jsas", 1)
        for path, cache in (
            ("/index.php/jsas", "no-store"),
            (path_of(art.url()), "no-store"),
            (path_of(art.download_url(art.galleys[0][0])), "private"),
        ):
            status, headers, body = get(site, path, conditional)
            assert (status, headers["Cache-Control"]) == (200, cache)
            assert "ETag" not in headers and "Last-Modified" not in headers and body
        assert all(r.conditional and r.status == 200 for r in site.html_requests)


def test_login_instead_soft_404_truncation_and_failures(site: OjsSite) -> None:
    first, second, third = [a for a in site.articles("jsas") if not a.deleted][:3]
    site.login_instead.add(first.id)
    site.soft_404.add(second.id)
    status, headers, _ = get(site, path_of(first.url()))
    source = f"%2Findex.php%2Fjsas%2Farticle%2Fview%2F{first.id}"
    assert (status, headers["Location"]) == (302, f"{site.journal_url('jsas')}/login?source={source}")
    soft = page(site, path_of(second.url()))
    assert texts(soft, "//h1") == ["Not Found"]
    assert not meta(soft, "citation_title") and not soft.xpath("//article")
    status, whole_headers, whole = get(site, path_of(third.url()))
    site.truncate_html_next(1)
    assert get(site, path_of(third.download_url(third.galleys[0][0])))[2].endswith(b"%%EOF\n")  # files: whole
    status, headers, body = get(site, path_of(third.url()))
    assert (status, int(headers["Content-Length"])) == (200, len(body))
    assert len(body) < len(whole) and b"</html>" not in body
    assert headers["ETag"] == whole_headers["ETag"]  # the whole page's validators
    assert get(site, path_of(third.url()))[2] == whole
    site.fail_html_next(1, 503, retry_after="7")
    status, headers, _ = get(site, path_of(third.url()))
    assert (status, headers["Retry-After"]) == (503, "7")
    tombstone = next(a for a in site.articles("jsas") if a.deleted)
    for path in (path_of(tombstone.url()), "/index.php/jsas/article/view/99999", "/index.php/jsas/nope"):
        assert get(site, path)[::2] == (404, b"<h1>404 Not Found</h1>")
    kinds = [(r.kind, r.status) for r in site.html_requests]
    assert kinds[:3] == [("article", 302), ("article", 200), ("article", 200)]
    assert ("article", 503) in kinds and ("article", 404) in kinds


PDF_SHA256 = "c9b44ef5ce5d1c29a2ef8e6b0e707d463bbf546bb3e61acebc475353ae526daa"  # jsas 1, galley 1


def test_galley_pages_and_files(site: OjsSite) -> None:
    art = site.article("jsas", 1)
    galley = art.galleys[0][0]
    viewer = page(site, path_of(art.galley_url(galley)))
    escaped = art.download_url(galley, file=True).replace("/", "\\/")
    assert f'var pdfUrl = "{escaped}";' in viewer.xpath("//script[not(@src)]")[0].text
    assert viewer.xpath('//a[@class="download"]/@href') == [art.download_url(galley, file=True)]
    status, headers, body = get(site, path_of(art.download_url(galley)))
    assert (status, headers["Content-Type"]) == (200, "application/pdf")
    assert body.startswith(b"%PDF-1.4\n") and body.endswith(b"%%EOF\n")
    assert hashlib.sha256(body).hexdigest() == PDF_SHA256
    name = "M%C3%BCller-Wr%C3%B3bel+2017+%28final%29.pdf"  # PHP urlencode, even inside the quotes
    assert headers["Content-Disposition"] == f"attachment;filename=\"{name}\";filename*=UTF-8''{name}"
    assert get(site, path_of(art.download_url(galley, file=True)))[2] == body
    assert get(site, path_of(art.download_url(galley)) + "/1")[0] == 404
    with_html = next(
        a for a in site.articles() if any(m == "text/html" for _, m in a.galleys) and not a.deleted
    )
    html_galley = next(g for g, m in with_html.galleys if m == "text/html")
    frame = page(site, path_of(with_html.galley_url(html_galley))).xpath("//iframe/@src")[0]
    assert frame.strip() == f"{with_html.download_url(html_galley)}?inline=1" != frame
    status, headers, body = get(site, path_of(with_html.download_url(html_galley)))
    assert (status, headers["Content-Type"], "Content-Disposition" in headers) == (
        200,
        "text/html; charset=UTF-8",
        False,
    )
    epub = next((a, g) for a in site.articles() for g, m in a.galleys if m == "application/epub+zip")
    status, headers, _ = get(site, path_of(epub[0].galley_url(epub[1])))
    assert (status, headers["Location"]) == (302, epub[0].download_url(epub[1]))
    assert get(site, path_of(epub[0].download_url(epub[1])))[1]["Content-Type"] == "application/epub+zip"


def test_site_root_and_a_non_ojs_site(site: OjsSite) -> None:
    index = page(site, "/")
    assert index.xpath('//div[@class="page_index_site"]//h3/a/@href') == [
        site.journal_url("jsas"), site.journal_url("mhc")
    ]  # fmt: skip
    with OjsSite.generate(journals=1, articles_per_journal=3, non_ojs_path="/blog/") as single:
        status, headers, _ = get(single, "/")
        assert (status, headers["Location"]) == (302, single.journal_url("jsas"))
        status, headers, body = get(single, "/blog/")
        blog = lxml.html.fromstring(body)
        assert meta(blog, "generator") == ["WordPress 6.4.2"]
        assert not blog.xpath('//meta[starts-with(@name, "citation_") or starts-with(@name, "DC.")]')
        assert single.journal_url("jsas") in blog.xpath("//a/@href")
        for post in blog.xpath('//h2[@class="entry-title"]/a/@href'):
            assert get(single, post)[0] == 200
        assert get(single, "/blog/nope/")[0] == 404
        assert {r.kind for r in single.html_requests} == {"site", "not-ojs"}


def test_command_line_serves_pages_too() -> None:
    command = [
        sys.executable,
        "-m",
        "tests.site.ojs_site",
        "--journals",
        "1",
        "--articles",
        "12",
        "--page-size",
        "5",
    ]
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("READY http://127.0.0.1:")
            with urlopen(f"{line.split()[1]}/index.php/jsas/issue/archive", timeout=10) as response:
                assert b"obj_issue_summary" in response.read()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_the_page_readers_also_read_recorded_ojs_pages() -> None:
    """The XPaths the simulated pages satisfy work on real OJS 3.3.0-11 pages: same structure."""
    site_dir = recorded_site_dir("jsas_ojs3.3.0-11")
    truth = json.loads((site_dir / "truth.json").read_text())
    entries = [json.loads(line) for line in (site_dir / "index.jsonl").read_text().splitlines()]
    bodies = {e["path"]: (site_dir / e["body"]).read_bytes() for e in entries if e["status"] == 200}
    base = "http://127.0.0.1:8089/index.php/jsas"
    for art in (a for a in truth["articles"] if not a["unpublished"] and a["locale"] == "en_US"):
        record = read_article(lxml.html.fromstring(bodies[f"/index.php/jsas/article/view/{art['id']}"]))
        assert (record["title"], record["ojs_id"], record["pages"]) == (
            art["full_title"]["en_US"], art["id"], art["pages"] or None
        )  # fmt: skip
        assert [a["affiliation"] for a in record["authors"]] == [
            a["affiliation"]["en_US"] for a in art["authors"]
        ]
        assert [a["orcid"] for a in record["authors"]] == [
            normalize_orcid(a["orcid"]) for a in art["authors"]
        ]
        assert [bool(a.get("bio")) for a in record["authors"]] == [bool(a["bio"]) for a in art["authors"]]
    for issue in truth["issues"][:5]:
        toc = read_issue(
            lxml.html.fromstring(bodies[f"/index.php/jsas/issue/view/{issue['id']}"]), issue["url"]
        )
        listed = sorted(
            (a for a in truth["articles"] if a["issue_id"] == issue["id"] and not a["unpublished"]),
            key=lambda a: (a["section_abbrev"] != "ART", a["seq"]),
        )
        assert [a["ojs_id"] for a in toc["articles"]] == [a["id"] for a in listed]
        assert (toc["published"], toc["issue"]["title"]) == (
            issue["date_published"],
            issue["title"].get("en_US"),
        )
    pages = [
        read_archive(lxml.html.fromstring(bodies[f"/index.php/jsas/issue/archive{n}"]))
        for n in ("", "/2", "/3")
    ]
    assert [[i["ojs_id"] for i in p["issues"]] for p in pages] == [[1, 2, 3, 4], [5, 6], []]
    assert [p["next_url"] for p in pages] == [f"{base}/issue/archive/2", None, None]
