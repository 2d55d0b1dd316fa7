"""One article, one URL within a source (issue 17): an article's URL key is its canonical URL,
and migration 0013 rewrites the keys stored before; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from harvester.config import SourceSettings
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article
from harvester.store import Store
from harvester.store.articles import url_key
from harvester.store.engine import _alembic_config, current_revision
from harvester.store.feed import RunContext
from harvester.store.page_ingest import ingest_article_page
from harvester.store.queries import find_article
from harvester.store.runs import ensure_source
from tests.harvest.test_harvest import make_settings
from tests.site.ojs_site import OjsSite

# Spellings of one article page (ojs 3_4_0-8 config.TEMPLATE.inc.php restful_urls; pkp-lib
# 3_5_0-1 classes/core/PKPPageRouter.php: the locale after the context path).
SPELLINGS = [
    "http://Journals.Example.org/index.php/jrs/en/article/view/7",
    "https://journals.example.org/index.php/jrs/article/view/7/",
    "https://journals.example.org:443/jrs/fr_CA/article/view/7",
    "journals.example.org/jrs/article/view/7",  # a key as 0012 stored it
]


def test_every_spelling_of_a_landing_url_is_one_key() -> None:
    assert {url_key(url) for url in SPELLINGS} == {"https://journals.example.org/jrs/article/view/7"}
    assert url_key(SPELLINGS[0]) != url_key(SPELLINGS[0].replace("/7", "/8"))


def _context(store: Store, name: str) -> RunContext:
    with store.write() as conn:
        ids = ensure_source(conn, SourceSettings(name=name, url=f"https://{name}.org/"), datetime.now(UTC))
    return RunContext(ids.source_id, ids.journal_id, None, datetime.now(UTC))


def test_a_page_reached_by_two_spellings_is_one_article(store: Store) -> None:
    # No OJS id and no DOI (a custom URL path): the landing URL alone identifies the article.
    ctx = _context(store, "jrs")
    counts = []
    with store.write() as conn:
        for url in SPELLINGS[:3]:
            done = ingest_article_page(conn, ctx, Article(title="Tanks", url=url), None)
            counts.append((done.new, done.changed, done.unchanged))
    assert counts == [(1, 0, 0), (0, 1, 0), (0, 1, 0)]  # the URL as published changed, not the article
    with store.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar_one() == 1
        [article_id] = conn.execute(text("SELECT id FROM articles")).scalars()
        assert (
            find_article(conn, "HTTPS://JOURNALS.EXAMPLE.ORG/index.php/jrs/es/article/view/7") == article_id
        )


@pytest.mark.ojs_site(journals=1, articles_per_journal=4, seed=5, release="3.5.0-1")
def test_a_harvested_article_is_found_by_any_spelling_of_its_page(site: OjsSite, store: Store) -> None:
    source = SourceSettings(name="jsas", url=site.journal_url("jsas"), strategy="oai+html")
    assert harvest_source(source, make_settings(store.url), store).status == "ok"
    with store.read() as conn:
        rows = conn.execute(text("SELECT article_id, url FROM current_articles WHERE url IS NOT NULL")).all()
        assert rows
        for article_id, url in rows:
            host_and_path = url.split("://", 1)[1]
            with_locale = host_and_path.replace("/jsas/", "/jsas/en/", 1).replace("/index.php", "")
            for spelling in (url, "https://" + host_and_path + "/", "http://" + with_locale):
                assert find_article(conn, spelling) == article_id, spelling
        keys = conn.execute(text("SELECT value FROM article_keys WHERE kind = 'url'")).scalars().all()
    assert keys and all(key == url_key(key) and key.startswith("https://") for key in keys)


def _articles(store: Store, ctx: RunContext, count: int) -> list[int]:
    with store.write() as conn:
        for n in range(count):
            ingest_article_page(
                conn, ctx, Article(title=f"A{n}", url=f"https://x.org/{ctx.source_id}/{n}"), None
            )
        rows = conn.execute(
            text("SELECT id FROM articles WHERE source_id = :s ORDER BY id"), {"s": ctx.source_id}
        ).scalars()
        return list(rows)


def _keys(store: Store) -> dict[str, int]:
    with store.read() as conn:
        rows = conn.execute(text("SELECT value, article_id FROM article_keys WHERE kind = 'url'")).all()
    return dict(rows)  # type: ignore[arg-type]


def test_upgrading_to_0013_makes_the_keys_canonical_and_lists_a_collision(store: Store) -> None:
    a, b = _context(store, "a"), _context(store, "b")
    a1, a2, a3, a4 = _articles(store, a, 4)
    b1, b2 = _articles(store, b, 2)
    with store.write() as conn:
        command.downgrade(_alembic_config(conn), "0012")
    # The keys as 0012 stored them: no scheme, the path as linked.
    old: dict[str, int] = {
        "h.org/index.php/j/article/view/1": a1,
        "h.org/index.php/j/en/article/view/1": a2,  # a1's page again, in another spelling
        "h.org/index.php/j/article/view/2": b1,  # another source's copy of a3's page
        "h.org/j/fr_CA/article/view/2": a3,
        "https://h.org/j/article/view/3": a4,  # already canonical: competes with b2's
        "h.org/index.php/j/article/view/3": b2,
        "h.org/index.php/j/article/view/4?x=1": b2,
    }
    with store.write() as conn:
        conn.execute(text("DELETE FROM article_keys WHERE kind = 'url'"))
        conn.execute(
            text("INSERT INTO article_keys (kind, value, article_id) VALUES ('url', :v, :a)"),
            [{"v": value, "a": aid} for value, aid in old.items()],
        )
        versions = conn.execute(text("SELECT COUNT(*) FROM article_history")).scalar_one()
    with store.write() as conn:
        command.upgrade(_alembic_config(conn), "0013")
    with store.read() as conn:
        assert current_revision(conn) == "0013"
        assert conn.execute(text("SELECT COUNT(*) FROM article_history")).scalar_one() == versions
        problems: list[Any] = conn.execute(
            text("SELECT source, article_id, kind, raw_value, reason FROM identifier_problems")
        ).all()
    # The lowest article id keeps a key several spellings collapse onto.
    assert _keys(store) == {
        "https://h.org/j/article/view/1": a1,
        "https://h.org/j/article/view/2": min(a3, b1),
        "https://h.org/j/article/view/3": min(a4, b2),
        "https://h.org/j/article/view/4?x=1": b2,
    }
    # Only the collision within one source is the operator's business.
    reason = f"same canonical URL as article {a1} of the same source: its URL key is {a1}'s"
    assert problems == [("a", a2, "url", "h.org/index.php/j/en/article/view/1", reason)]
    # The page read again under either spelling is a1 (today's code, on today's schema).
    store.migrate()
    with store.write() as conn:
        done = ingest_article_page(
            conn, a, Article(title="A0", url="http://h.org/index.php/j/en/article/view/1"), None
        )
        assert (done.new, conn.execute(text("SELECT COUNT(*) FROM articles")).scalar_one()) == (0, 6)
        assert find_article(conn, "https://h.org/index.php/j/article/view/1") == a1
