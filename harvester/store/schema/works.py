"""The tables of works:
articles of different sources that are one work, overrides, identifier problems."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from .core import Timestamp, metadata

__all__ = [
    "identifier_issues",
    "work_members",
    "work_overrides",
    "works",
]

# Works (0009, 0011, ``store.works``): articles of different sources that are one work.  A
# work's id is the id of one of its articles (the first there, its anchor), so an article
# alone is its own work with no row here at all (``current_works`` shows it from its member
# row); a work has a row once a second article joined it or an article left it.  The other
# columns are the work's best values, recomputed from its members whenever they change
# (deterministic whatever the harvest order).
works = Table(
    "works",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("title", Text),
    Column("doi", Text),
    Column("year", Integer),
    Column("first_author", Text),
    Column("articles", Text, nullable=False),  # JSON array of article ids
    Column("sources", Text, nullable=False),  # JSON array of source names
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# Each article's work (its own id when alone), its blocking keys (indexed: candidates are
# found by key, never by comparing all pairs) and the evidence that put it there.
work_members = Table(
    "work_members",
    metadata,
    Column("article_id", ForeignKey("articles.id"), primary_key=True),
    Column("work_id", Integer, nullable=False, index=True),  # works.id, or article_id alone
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("doi", Text, index=True),  # canonical
    Column("block", String(40), index=True),  # sha1 of title key, year, first author
    Column("issns", Text, nullable=False),  # JSON array of valid ISSNs
    Column("title", Text),
    Column("year", Integer),
    Column("first_author", Text),
    Column("url", Text),  # the landing page, canonical
    Column("rule", String(24), nullable=False),  # alone | doi | title+year+author | merge | split
    Column("evidence", Text),
)

# ``harvester works split`` / ``merge``: kept across re-harvests and re-clustering.
work_overrides = Table(
    "work_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),  # split | merge
    Column("article_id", ForeignKey("articles.id"), nullable=False, index=True),
    Column("other_id", ForeignKey("articles.id"), index=True),
    Column("created_at", Timestamp, nullable=False),
)

# Identifier values that fail their syntax or check digit (the ``identifier_problems`` view).
# ``article_id`` NULL: a value of the journal (its ISSNs), listed once per source.
identifier_issues = Table(
    "identifier_issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False, index=True),
    Column("article_id", ForeignKey("articles.id"), index=True),
    Column("kind", String(16), nullable=False),  # doi | issn | orcid | title | url
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("found_at", Timestamp, nullable=False),
)
