"""Identity keys scoped to their source: ``article_keys`` gains ``source_id`` (issue 17).

The key (kind, value) was global to the store, so when one journal reached it through two
sources (followed twice: a site-wide endpoint with a set and its own endpoint; or moved, its
DOIs kept) the second source's articles never got their DOI key, nor their URL key when the
landing URLs were the same, and a page of that source found by its URL or DOI alone found no
article of its own and was stored again.  The key is now (source_id, kind, value), as OAI
identifiers are scoped by ``articles.source_id``:

1. ``source_id`` is added and filled with the source of the article holding each key;
2. the primary key becomes (source_id, kind, value): in place on PostgreSQL (the key keeps
   its default name ``article_keys_pkey``), on SQLite by Alembic's batch mode (the table built
   anew from the frozen shape below, rows copied, the index on ``article_id`` kept);
3. each source's articles get the keys of their current record that no article of the
   source holds: its DOI, and its landing URL as ``store.articles.url_key`` makes it (the
   canonical URL, computed here in batches of ``_BATCH`` articles and set aside in a scratch
   table), as the writer claims them (``store.batch``, ``store.page_ingest``).  Those are the
   keys an article lost to another source's article; where two articles of one source want
   one, the lower id takes it, as the first article written would have.  An article whose URL
   key another article of its source holds is listed in ``identifier_problems`` as the writer
   now lists it (``identifier_issues.shared_urls``), unless a URL problem of the article is
   listed already (0013's).  Nothing else is written: no version, no change-feed entry.

The downgrade drops what 0013's key cannot hold — of the rows sharing a (kind, value), the
lowest article id keeps it — then ``source_id`` and the scoped key.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from harvester.works.identifiers import canonical_url

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 1000
_SCRATCH = "url_keys_0014"


def _shape(*, scoped: bool) -> sa.Table:
    """``article_keys`` as 0013 (``scoped=False``) and this revision define it, frozen here."""
    columns: list[sa.Column[object]] = [
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
    ]
    if scoped:
        columns.insert(0, sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False))
    key = ("source_id", "kind", "value") if scoped else ("kind", "value")
    return sa.Table(
        "article_keys",
        sa.MetaData(),
        *columns,
        sa.PrimaryKeyConstraint(*key),
        sa.Index("ix_article_keys_article_id", "article_id"),
    )


def _rekey(*, scoped: bool) -> None:
    """Give ``article_keys`` the primary key of its shape (``_shape``)."""
    if op.get_bind().dialect.name == "postgresql":
        key = "source_id, kind, value" if scoped else "kind, value"
        op.execute("ALTER TABLE article_keys DROP CONSTRAINT article_keys_pkey")
        op.execute(f"ALTER TABLE article_keys ADD CONSTRAINT article_keys_pkey PRIMARY KEY ({key})")
        return
    with op.batch_alter_table("article_keys", recreate="always", copy_from=_shape(scoped=scoped)):
        pass  # the table is built anew from its frozen shape; SQLite alters no primary key


def _set_aside_urls(conn: sa.Connection) -> None:
    """Each article's canonical landing URL into the scratch table, in batches along its id."""
    read = "SELECT id, source_id, url FROM articles WHERE url IS NOT NULL"
    insert = sa.text(f"INSERT INTO {_SCRATCH} (source_id, value, article_id) VALUES (:s, :v, :a)")
    rows = conn.execute(sa.text(f"{read} ORDER BY id LIMIT {_BATCH}")).all()
    while rows:
        conn.execute(insert, [{"s": source, "v": canonical_url(url), "a": aid} for aid, source, url in rows])
        after = sa.text(f"{read} AND id > :last ORDER BY id LIMIT {_BATCH}")
        rows = conn.execute(after, {"last": rows[-1][0]}).all()


_MISSING = (
    "INSERT INTO article_keys (source_id, kind, value, article_id) "
    "SELECT c.source_id, '{kind}', c.value, MIN(c.article_id) FROM ({wanted}) c "
    "WHERE NOT EXISTS (SELECT 1 FROM article_keys k "
    "WHERE k.source_id = c.source_id AND k.kind = '{kind}' AND k.value = c.value) "
    "GROUP BY c.source_id, c.value"
)
_SHARED_URLS = (
    f"SELECT c.source_id, c.article_id, c.value, k.article_id FROM {_SCRATCH} c "
    "JOIN article_keys k ON k.source_id = c.source_id AND k.kind = 'url' AND k.value = c.value "
    "JOIN articles a ON a.id = c.article_id "
    "WHERE k.article_id <> c.article_id AND NOT a.deleted AND NOT EXISTS (SELECT 1 FROM identifier_issues i "
    "WHERE i.article_id = c.article_id AND i.kind = 'url') ORDER BY c.article_id"
)


def _list_shared_urls(conn: sa.Connection) -> None:
    """List each live article whose URL key another article of its source holds (the writer
    lists a tombstone's problems no more)."""
    now = datetime.now(UTC)
    problems = [
        {
            "source_id": source_id,
            "article_id": article_id,
            "raw": value,
            "reason": f"also the URL of article {holder} of the same source: not merged",
            "found_at": now,
        }
        for source_id, article_id, value, holder in conn.execute(sa.text(_SHARED_URLS))
    ]
    if problems:
        conn.execute(
            sa.text(
                "INSERT INTO identifier_issues (source_id, article_id, kind, raw, reason, found_at) "
                "VALUES (:source_id, :article_id, 'url', :raw, :reason, :found_at)"
            ),
            problems,
        )


def _claim_missing(conn: sa.Connection) -> None:
    """Each source's articles take the DOI and URL keys of their current records that no
    article of the source holds (the lower id first)."""
    dois = "SELECT source_id, doi AS value, id AS article_id FROM articles WHERE doi IS NOT NULL"
    op.execute(_MISSING.format(kind="doi", wanted=dois))
    op.create_table(
        _SCRATCH,
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("article_id", sa.Integer, nullable=False),
    )
    op.create_index(f"ix_{_SCRATCH}", _SCRATCH, ["source_id", "value"])
    _set_aside_urls(conn)
    op.execute(_MISSING.format(kind="url", wanted=f"SELECT source_id, value, article_id FROM {_SCRATCH}"))
    _list_shared_urls(conn)
    op.drop_table(_SCRATCH)


def upgrade() -> None:
    """Scope the keys to their source, then give each source's articles their missing keys."""
    conn = op.get_bind()
    # Spelled out: both dialects add a column with its reference (SQLite: its default NULL).
    op.execute("ALTER TABLE article_keys ADD COLUMN source_id INTEGER REFERENCES sources (id)")
    op.execute(
        "UPDATE article_keys SET source_id = "
        "(SELECT a.source_id FROM articles a WHERE a.id = article_keys.article_id)"
    )
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE article_keys ALTER COLUMN source_id SET NOT NULL")
    _rekey(scoped=True)
    _claim_missing(conn)


def downgrade() -> None:
    """Keep one row per (kind, value), the lowest article id's; then 0013's key."""
    op.execute(
        "DELETE FROM article_keys WHERE EXISTS (SELECT 1 FROM article_keys o "
        "WHERE o.kind = article_keys.kind AND o.value = article_keys.value "
        "AND o.article_id < article_keys.article_id)"
    )
    _rekey(scoped=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("article_keys", "source_id")
