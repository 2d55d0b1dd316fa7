"""Authors' ORCID iDs in their URL form, ``https://orcid.org/0000-0000-0000-000X`` (issue 17).

Records stored before held the bare iD ``0000-0000-0000-000X``.  The parsers now give the URL
form, so without this migration the next harvest would find every article with an ORCID
changed and write a new version and a change-feed entry for each, for nothing.  The stored
values are rewritten instead, with their hashes:

- ``article_history``: each version's ``record``, and its ``content_hash`` recomputed with
  the encoding the ingest uses (``model.encode_record``: canonical JSON, sha256);
- ``articles``: ``content_hash`` moved along with its current version's, and the
  ``authors`` column (JSON in declared key order, ``model.to_json``);
- ``article_sources``: the kept record of each origin and its hash, which the ingest
  compares a newly read page or OAI record with.

Every stored iD was verified when it was parsed, so the URL form is the bare iD after
``https://orcid.org/``.  Rows are read in primary-key order, ``_BATCH`` at a time from the
last key read (keyset pagination: one pass over each table whatever its size), only those
whose JSON holds an ORCID string (``"orcid":"``), and rewritten with one executemany per
batch.  A downgrade writes the bare form back the same way.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from harvester.model import encode_record, to_json

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 1000
_URL = "https://orcid.org/"
_HAS_ORCID = 'LIKE \'%"orcid":"%\''  # compact JSON, as both encodings write it

Form = Callable[[str], str]


def _url_form(orcid: str) -> str:
    return orcid if orcid.startswith(_URL) else _URL + orcid


def _bare_form(orcid: str) -> str:
    return orcid.removeprefix(_URL)


def _authors(authors: Any, form: Form) -> bool:
    """Rewrite each author's ORCID in place; whether any changed."""
    changed = False
    for author in authors if isinstance(authors, list) else ():
        orcid = author.get("orcid") if isinstance(author, dict) else None
        if orcid and form(orcid) != orcid:
            author["orcid"] = form(orcid)
            changed = True
    return changed


def _record(text: str, form: Form) -> tuple[str, str] | None:
    """A stored record with its ORCIDs rewritten, and its new hash; None when unchanged."""
    data = orjson.loads(text)
    if not isinstance(data, dict) or not _authors(data.get("authors"), form):
        return None
    return encode_record(data)


def _batches(conn: sa.Connection, table: str, keys: tuple[str, ...], column: str, also: str = "") -> Any:
    """The primary key, ``column`` (and ``also``) of the rows of ``table`` whose ``column``
    holds an ORCID, in batches in primary-key order: each batch starts after the last key
    read, so each table is read once, along its primary key's index."""
    names = ", ".join(keys)
    select = f"SELECT {names}, {column}{also} FROM {table} WHERE {column} {_HAS_ORCID}"
    order = f" ORDER BY {names} LIMIT {_BATCH}"
    marks = ", ".join(f":k{i}" for i in range(len(keys)))
    after = f" AND ({names}) > ({marks})" if len(keys) > 1 else f" AND {names} > :k0"
    rows = conn.execute(sa.text(select + order)).all()
    while rows:
        yield rows
        last = {f"k{i}": value for i, value in enumerate(rows[-1][: len(keys)])}
        rows = conn.execute(sa.text(select + after + order), last).all()


def _history(conn: sa.Connection, form: Form) -> None:
    """Versions and their hashes; an article's current hash moves with its version's."""
    set_version = sa.text(
        "UPDATE article_history SET record = :record, content_hash = :new "
        "WHERE article_id = :a AND version = :b"
    )
    set_current = sa.text("UPDATE articles SET content_hash = :new WHERE id = :a AND content_hash = :old")
    for rows in _batches(conn, "article_history", ("article_id", "version"), "record", ", content_hash"):
        changed = [
            {"a": article_id, "b": version, "old": old, "record": rewritten[0], "new": rewritten[1]}
            for article_id, version, record, old in rows
            if (rewritten := _record(record, form)) is not None
        ]
        if changed:
            conn.execute(set_version, changed)
            conn.execute(set_current, changed)


def _origins(conn: sa.Connection, form: Form) -> None:
    """The kept record of each origin of an article, and its hash."""
    update = sa.text(
        "UPDATE article_sources SET record = :record, content_hash = :new "
        "WHERE article_id = :a AND origin = :b"
    )
    for rows in _batches(conn, "article_sources", ("article_id", "origin"), "record"):
        changed = [
            {"a": article_id, "b": origin, "record": rewritten[0], "new": rewritten[1]}
            for article_id, origin, record in rows
            if (rewritten := _record(record, form)) is not None
        ]
        if changed:
            conn.execute(update, changed)


def _author_columns(conn: sa.Connection, form: Form) -> None:
    """The ``authors`` column of ``articles`` (key order kept: it is not a hashed text)."""
    update = sa.text("UPDATE articles SET authors = :authors WHERE id = :a")
    for rows in _batches(conn, "articles", ("id",), "authors"):
        changed = []
        for article_id, text in rows:
            authors = orjson.loads(text)
            if _authors(authors, form):
                changed.append({"a": article_id, "authors": to_json(authors)})
        if changed:
            conn.execute(update, changed)


def _rewrite(form: Form) -> None:
    conn = op.get_bind()
    _history(conn, form)
    _origins(conn, form)
    _author_columns(conn, form)


def upgrade() -> None:
    """Every stored ORCID in its URL form, hashes recomputed."""
    _rewrite(_url_form)


def downgrade() -> None:
    """Every stored ORCID bare again, as 0011's code wrote it."""
    _rewrite(_bare_form)
