"""One work, one record (issue 17): a journal moved to another host, and a look-alike journal.

Three sources over real HTTP on two loopback servers, on SQLite and PostgreSQL: ``old`` (the
journal before its move: repository id ``old.example.org``), ``new`` (after it: another
repository id, new submission ids, DOIs printed as upper-case resolver URLs or missing,
titles re-capitalised) and ``look`` (a look-alike journal on the old host: the same titles by
other authors, in other years, with other DOIs).  Harvested in either order: every twin pair
is one work with the same best values, nothing else is merged, no work holds two articles of
one source; after the old copies are withdrawn the works stay live through ``new``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.harvest.job import HarvestRequest, HarvestResult
from harvester.harvest.pipeline import harvest_source
from harvester.store import Store
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite, SimArticle, SimJournal

ISSN = "0317-8471"  # check digit right
LOOK_ISSNS = ("2049-3630", "1532-8482")  # the second's check digit is wrong (1532-8481 is right)
TITLES = [
    "Rivers of the Indus Plain",
    "Monsoon Trade Routes, 1600–1800",
    "Élites and Famine in Sindh",
    "A Grammar of Coastal Balochi",
    "Editorial",
    "The Qissa Tradition Revisited",
]


def _old_articles() -> list[SimArticle]:
    arts = []
    for n, title in enumerate(TITLES, 1):
        arts.append(
            SimArticle(
                id=n, journal="jsas", title=title, authors=[("Amina", f"Qureshi{n}")],
                doi=f"10.5555/jsas.{n}", published="2021-05-01", year=2021, number=str(1 + n % 2),
            )
        )  # fmt: skip
    # Three editorials in three issues by the same board: never one work.
    arts += [
        SimArticle(id=10 + k, journal="jsas", title="Editorial", authors=[("Board", "Editorial")],
                   doi=f"10.5555/jsas.ed{k}", published="2021-05-01", year=2021, number=str(k))
        for k in (3, 4, 5)
    ]  # fmt: skip
    return arts


def _moved(art: SimArticle, new_id: int) -> SimArticle:
    """The same article on the new host: new id, DOI as an upper-case resolver URL or gone
    (every third), title re-capitalised."""
    dropped = new_id % 3 == 0 and art.title != "Editorial"  # a generic title needs its DOI
    doi = None if dropped or art.doi is None else f"HTTPS://DOI.ORG/{art.doi.upper()}"
    return SimArticle(
        id=new_id, journal="jsas", title=art.title.upper() if new_id % 2 else art.title.title(),
        authors=[(a.given, a.family) for a in art.authors], doi=doi, published=art.published,
        year=art.year, number=art.number,
    )  # fmt: skip


def _look_articles() -> list[SimArticle]:
    return [
        SimArticle(id=100 + n, journal="look", title=title, authors=[("Ravi", f"Menon{n}")],
                   doi=f"10.7777/look.{n}", published="2019-02-01", year=2019)
        for n, title in enumerate(TITLES, 1)
    ]  # fmt: skip


@pytest.fixture
def hosts() -> Iterator[tuple[OjsSite, OjsSite]]:
    old = _old_articles()
    journal_old = SimJournal("jsas", "Journal of South Asian Studies", issn_online=ISSN, articles=old)
    journal_look = SimJournal(
        "look", "Journal of Look-alike Studies", issn_online=LOOK_ISSNS[0], issn_print=LOOK_ISSNS[1],
        articles=_look_articles(),
    )  # fmt: skip
    moved = [_moved(art, 500 + i) for i, art in enumerate(old)]
    journal_new = SimJournal("jsas", "Journal of South Asian Studies", issn_online=ISSN, articles=moved)
    with (
        OjsSite([journal_old, journal_look], repository_id="old.example.org") as first,
        OjsSite([journal_new], repository_id="journal.example.net") as second,
    ):
        yield first, second


def _harvest(store: Store, site: OjsSite, name: str, path: str, kind: str = "harvest") -> HarvestResult:
    source = SourceSettings(name=name, url=site.journal_url(path), strategy="oai")
    return harvest_source(source, make_settings(store.url), store, HarvestRequest(kind))  # type: ignore[arg-type]


def _rows(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(text(sql), params).all())


def _works_by_source(store: Store) -> dict[int, dict[str, int]]:
    """work id -> {source: article id}; fails on a work holding two articles of one source."""
    found: dict[int, dict[str, int]] = {}
    for work_id, source, article_id in _rows(
        store, "SELECT work_id, source, article_id FROM current_articles"
    ):
        assert source not in found.setdefault(work_id, {}), f"work {work_id}: two articles of {source}"
        found[work_id][source] = article_id
    return found


ORDERS = [("old", "new", "look"), ("look", "new", "old"), ("new", "look", "old")]


def _harvest_all(store: Store, hosts: tuple[OjsSite, OjsSite], order: tuple[str, ...]) -> None:
    first, second = hosts
    where = {"old": (first, "jsas"), "look": (first, "look"), "new": (second, "jsas")}
    for name in order:
        site, path = where[name]
        assert _harvest(store, site, name, path).status == "ok"


def _best_values(store: Store) -> set[tuple[Any, ...]]:
    rows = _rows(store, "SELECT title, doi, year, first_author, sources, article_count FROM current_works")
    return {tuple(row) for row in rows}


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
def test_twins_are_one_work_and_nothing_else_is_merged(
    store: Store, hosts: tuple[OjsSite, OjsSite], order: tuple[str, ...]
) -> None:
    _harvest_all(store, hosts, order)
    works = _works_by_source(store)
    url_of = dict(_rows(store, "SELECT article_id, oai_identifier FROM current_articles"))
    twins = [w for w in works.values() if set(w) == {"old", "new"}]
    # Every article of the moved journal has its twin: 6 titled + 3 editorials.
    assert len(twins) == 9
    for pair in twins:
        old_id = int(url_of[pair["old"]].rsplit("/", 1)[1])
        new_id = int(url_of[pair["new"]].rsplit("/", 1)[1])
        assert new_id == 500 + old_id - (1 if old_id < 10 else 7)  # the same submission moved
    # The look-alike's articles stay alone; the three editorials of one source stay three works.
    assert sum(1 for w in works.values() if set(w) == {"look"}) == 6
    assert len(works) == 15
    assert _rows(store, "SELECT COUNT(*), COUNT(DISTINCT work_id) FROM current_works")[0] == (15, 15)
    # Canonical DOIs: bare and lower case, whatever the record printed.
    dois = {row[0] for row in _rows(store, "SELECT doi FROM current_articles WHERE doi IS NOT NULL")}
    assert dois and all(doi == doi.lower() and doi.startswith("10.") for doi in dois)
    published = _rows(store, "SELECT raw_value FROM identifier_problems WHERE kind = 'issn'")
    assert [row[0] for row in published] == [LOOK_ISSNS[1]]


def test_best_values_do_not_depend_on_harvest_order(store: Store, hosts: tuple[OjsSite, OjsSite]) -> None:
    _harvest_all(store, hosts, ORDERS[0])
    first = _best_values(store)
    with store.write() as conn:
        for table in ("work_members", "works", "identifier_issues"):
            conn.execute(text(f"DELETE FROM {table}"))
        tables = ("article_keys", "article_sources", "article_history", "articles", "checkpoints")
        for table in (*tables, "harvest_state"):
            conn.execute(text(f"DELETE FROM {table}"))
    _harvest_all(store, hosts, ORDERS[1])
    assert _best_values(store) == first
    rivers = next(row for row in first if row[1] == "10.5555/jsas.1")
    # The member with a DOI, of the first source by name, speaks for the work: "new" printed
    # the DOI and re-capitalised the title.
    assert rivers[0] == "Rivers Of The Indus Plain"
    assert rivers[4] == '["new","old"]'


@pytest.mark.parametrize(("old_strategy", "new_strategy"), [("oai+html", "html"), ("html", "oai+html")])
def test_twins_read_from_pages_are_one_work_too(
    store: Store, hosts: tuple[OjsSite, OjsSite], old_strategy: str, new_strategy: str
) -> None:
    """The page ingest places its articles as the OAI ingest does, and an article's page
    completing the OAI version of the same run (an amended version) is placed again."""
    first, second = hosts
    for name, site, strategy in (("old", first, old_strategy), ("new", second, new_strategy)):
        source = SourceSettings(name=name, url=site.journal_url("jsas"), strategy=strategy)  # type: ignore[arg-type]
        assert harvest_source(source, make_settings(store.url), store, HarvestRequest()).status == "ok"
    works = _works_by_source(store)
    assert sum(1 for w in works.values() if set(w) == {"old", "new"}) == 9
    assert len(works) == 9
