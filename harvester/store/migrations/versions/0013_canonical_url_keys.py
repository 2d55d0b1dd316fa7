"""Articles' landing-URL keys become their canonical URLs (issue 17: one article, one URL).

``article_keys`` rows of kind ``url`` held the URL without its scheme, host lower-cased, the
path as the journal linked it; now they hold ``works.identifiers.canonical_url`` (https, no
``index.php``, no OJS 3.5 locale segment, …), the key ``store.articles.url_key`` makes.  Each
stored key is rewritten; the keys are read in batches along their primary key (``kind,
value``), the changed ones set aside in a scratch table, then replaced by set-based statements.

Two articles whose keys collapse onto one canonical URL cannot both keep it (the key is the
primary key).  The lowest article id keeps it, whatever the order the rows were read in; the
others keep their rows, versions and every other key, and only lose this one (their ``url``
column still holds the URL as published).  A collision of two articles of **one** source — the
same article reached through two spellings and stored twice — is shown to the operator: a
warning in the migration's log, and a row in ``identifier_problems`` (kind ``url``, the
article that lost the key, its old key as ``raw_value``, the reason naming the article that
kept it), counted per source by ``harvester status``; it stays listed until that article's
next version.  Articles of two sources sharing a URL are the usual case (a journal followed
through two endpoints) and are not listed: the key is the first article's, as it always was.

The downgrade leaves the keys canonical: they cannot be told back into the spellings they
came from, and 0012's code then stores its own spellings beside them.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from harvester.works.identifiers import canonical_url

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_BATCH = 1000
_SCRATCH = "url_keys_0013"
_READ = "SELECT value, article_id FROM article_keys WHERE kind = 'url'"
_LOSERS = (
    f"SELECT t.article_id, t.old_value, w.article_id AS kept, a.source_id FROM {_SCRATCH} t "
    f"JOIN (SELECT new_value, MIN(article_id) AS article_id FROM {_SCRATCH} GROUP BY new_value) w "
    "ON w.new_value = t.new_value AND w.article_id <> t.article_id "
    "JOIN articles a ON a.id = t.article_id JOIN articles b ON b.id = w.article_id "
    "WHERE a.source_id = b.source_id ORDER BY t.article_id, t.old_value"
)


def _set_aside(conn: sa.Connection) -> None:
    """Copy each key whose canonical URL differs into the scratch table, batch by batch."""
    insert = sa.text(f"INSERT INTO {_SCRATCH} (old_value, new_value, article_id) VALUES (:old, :new, :aid)")
    rows = conn.execute(sa.text(f"{_READ} ORDER BY value LIMIT {_BATCH}")).all()
    while rows:
        changed = [
            {"old": value, "new": canonical, "aid": article_id}
            for value, article_id in rows
            if (canonical := canonical_url(value)) != value
        ]
        if changed:
            conn.execute(insert, changed)
        after = sa.text(f"{_READ} AND value > :last ORDER BY value LIMIT {_BATCH}")
        rows = conn.execute(after, {"last": rows[-1][0]}).all()


def _list_collisions(conn: sa.Connection) -> None:
    """Warn of, and list in ``identifier_issues``, each article that lost its key to another
    article of its own source."""
    now = datetime.now(UTC)
    problems = [
        {
            "source_id": source_id,
            "article_id": article_id,
            "raw": old_value,
            "reason": f"same canonical URL as article {kept} of the same source: its URL key is {kept}'s",
            "found_at": now,
        }
        for article_id, old_value, kept, source_id in conn.execute(sa.text(_LOSERS))
    ]
    for problem in problems:
        log.warning("article %s (%s): %s", problem["article_id"], problem["raw"], problem["reason"])
    if problems:
        conn.execute(
            sa.text(
                "INSERT INTO identifier_issues (source_id, article_id, kind, raw, reason, found_at) "
                "VALUES (:source_id, :article_id, 'url', :raw, :reason, :found_at)"
            ),
            problems,
        )


def upgrade() -> None:
    """Rewrite the URL keys canonical; the lowest article id keeps a key several collapse onto."""
    conn = op.get_bind()
    op.create_table(
        _SCRATCH,
        sa.Column("old_value", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text, nullable=False),
        sa.Column("article_id", sa.Integer, nullable=False),
    )
    op.create_index(f"ix_{_SCRATCH}_old", _SCRATCH, ["old_value"])
    op.create_index(f"ix_{_SCRATCH}_new", _SCRATCH, ["new_value"])
    _set_aside(conn)
    # A key already canonical that a rewritten one collapses onto competes too.
    op.execute(
        f"INSERT INTO {_SCRATCH} (old_value, new_value, article_id) "
        f"SELECT k.value, k.value, k.article_id FROM article_keys k WHERE k.kind = 'url' "
        f"AND k.value IN (SELECT new_value FROM {_SCRATCH})"
    )
    op.execute(f"DELETE FROM article_keys WHERE kind = 'url' AND value IN (SELECT old_value FROM {_SCRATCH})")
    op.execute(
        f"INSERT INTO article_keys (kind, value, article_id) "
        f"SELECT 'url', new_value, MIN(article_id) FROM {_SCRATCH} GROUP BY new_value"
    )
    _list_collisions(conn)
    op.drop_table(_SCRATCH)


def downgrade() -> None:
    """Nothing to undo: the canonical keys stay (see the module's docstring)."""
