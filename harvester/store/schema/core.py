"""The tables of sources, journals, issues, articles, runs, checkpoints and the change feed."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

__all__ = [
    "Timestamp",
    "article_history",
    "article_keys",
    "article_sources",
    "articles",
    "change_log",
    "checkpoints",
    "harvest_state",
    "host_waits",
    "issue_history",
    "issues",
    "journal_history",
    "journals",
    "metadata",
    "raw_pages",
    "runs",
    "sources",
    "web_pages",
]

metadata = MetaData()

Timestamp = DateTime(timezone=True)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # The fleet's registry (migration 0008; written by ``harvester.fleet.registry``).
    Column("oai_url", Text),
    Column("sets", Text, nullable=False, server_default="[]"),  # JSON array
    Column("strategy", String(16), nullable=False, server_default="auto"),
    Column("schedule", String(100), nullable=False, server_default="6h"),
    Column("metadata_prefix", String(32), nullable=False, server_default="oai_dc"),
    Column("enabled", Boolean, nullable=False, server_default=false()),
    Column("mirror_galleys", Boolean, nullable=False, server_default=false()),
    Column("origin", String(16), nullable=False, server_default="url"),  # config, import, url
    Column("host", String(255), index=True),
    Column("journal_key", Text, index=True),
    Column("details", Text),  # JSON object
    Column("config_hash", String(64)),
    Column("updated_at", Timestamp),
)

host_waits = Table(
    "host_waits",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("wait_until", Timestamp),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("reason", Text),
    Column("free_at", Timestamp),
    Column("updated_at", Timestamp, nullable=False),
)

journals = Table(
    "journals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False, unique=True),
    Column("title", Text),
    Column("issn", String(9)),
    Column("issns", Text),  # JSON array
    Column("publisher", Text),
    Column("url", Text),
    Column("updated_at", Timestamp),
    Column("online_issn", String(9)),
    Column("print_issn", String(9)),
    Column("primary_locale", String(16)),
    Column("ojs_version", String(32)),
    # The current ``journal_history`` version (0015); null until facts are first stated.
    Column("version", Integer),
)


def _history(entity: str) -> Table:
    """Every version of a journal or an issue, in ``ENTITY_history`` (``store.history``)."""
    return Table(
        f"{entity}_history",
        metadata,
        Column(f"{entity}_id", ForeignKey(f"{entity}s.id"), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("content_hash", String(64), nullable=False),
        Column("record", Text, nullable=False),
        Column("run_id", ForeignKey("runs.id")),
        Column("fetched_at", Timestamp, nullable=False),
    )


journal_history = _history("journal")

issues = Table(
    "issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("journal_id", ForeignKey("journals.id"), nullable=False),
    Column("key", Text, nullable=False),
    Column("volume", Text),
    Column("number", Text),
    Column("year", Integer),
    Column("title", Text),
    Column("url", Text),  # the table of contents page
    Column("ojs_id", Integer),
    Column("published", String(10)),
    Column("cover_url", Text),
    Column("page_read_at", Timestamp),  # when the issue's own page was last read (see merge_issue)
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("journal_id", "key"),
)

issue_history = _history("issue")

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("journal_id", ForeignKey("journals.id"), nullable=False),
    Column("issue_id", ForeignKey("issues.id"), index=True),
    Column("oai_identifier", Text),
    Column("datestamp", String(32)),
    Column("set_specs", Text),  # JSON array
    Column("doi", Text),
    Column("url", Text),
    Column("title", Text),
    Column("authors", Text, nullable=False),  # JSON array of objects
    Column("abstract", Text),
    Column("keywords", Text, nullable=False),  # JSON array
    # JSON objects {language key: value} (0006); NULL on a row never written since
    Column("titles", Text),
    Column("subtitles", Text),
    Column("abstracts", Text),
    Column("keywords_by_language", Text),  # {language key: [keyword, ...]}
    Column("references", Text),  # JSON array of {"text", "doi"}, in the list's order
    Column("section", Text),
    Column("pages", Text),
    Column("language", String(16)),
    Column("published", String(10)),
    Column("deleted", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # Absent from a complete sweep (``store.sweeps``): when, and what the sweep was.
    Column("withdrawn_at", Timestamp),
    Column("withdrawn_evidence", Text),
    Column("oai_sweep", Integer),  # the run that started the last full OAI list showing it
    Index("ix_articles_source_oai", "source_id", "oai_identifier"),
    Index("ix_articles_updated", "updated_at", "id"),  # OAI-PMH lists in change order (0006)
    # A source's articles a chunk at a time in id order (sweeps, the galley mirror), and in
    # change order (the OAI-PMH server's sets): without them each chunk or page read every
    # article of the source and sorted them (0016).
    Index("ix_articles_source_id", "source_id", "id"),
    Index("ix_articles_source_updated", "source_id", "updated_at", "id"),
    # A journal's articles (``export --since`` after the journal changed: a pass over every
    # article of the store for each call, 27 ms at 200,000 even when no journal had; 0018).
    Index("ix_articles_journal_id", "journal_id"),
)

# Every other way we know an article by: ("doi", "10.x/y"), ("url", its canonical URL),
# ("ojs", "SOURCE_ID:7").  OAI identifiers live in ``articles`` (indexed with the source), and
# like OJS ids they are scoped to the source: many OJS installs keep the default repository
# id "ojs.pkp.sfu.ca".  So are these keys (0014): a journal followed through two sources has
# the same DOIs and often the same landing URLs in both, and each source's articles hold
# their own; two articles of one source with one key are a journal's error (the first keeps it).
article_keys = Table(
    "article_keys",
    metadata,
    Column("source_id", ForeignKey("sources.id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("value", Text, primary_key=True),
    Column("article_id", ForeignKey("articles.id"), nullable=False, index=True),
)

article_history = Table(
    "article_history",
    metadata,
    Column("article_id", ForeignKey("articles.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("record", Text, nullable=False),  # the normalised record, JSON
    Column("deleted", Boolean, nullable=False),
    Column("datestamp", String(32)),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("run_id", ForeignKey("runs.id")),
    Column("raw_page_id", ForeignKey("raw_pages.id")),
    Column("fetched_at", Timestamp, nullable=False),
    Column("withdrawn_at", Timestamp),  # set on the version that records a withdrawal
    Column("withdrawn_evidence", Text),
)

# The latest record of an article from each origin ("oai", "html") whose merge is the current
# version.  Written only for articles seen both ways: for an article seen one way only, the
# current version is that origin's record.
article_sources = Table(
    "article_sources",
    metadata,
    Column("article_id", ForeignKey("articles.id"), primary_key=True),
    Column("origin", String(8), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("record", Text, nullable=False),
    Column("run_id", ForeignKey("runs.id")),
    Column("fetched_at", Timestamp, nullable=False),
)

# What the HTML crawl knows of each page: validators for conditional GET, the body's hash (a
# server without validators still costs no parsing when nothing changed), the links it held
# and when it was checked.
web_pages = Table(
    "web_pages",
    metadata,
    Column("source_id", ForeignKey("sources.id"), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("kind", String(16), nullable=False),  # archive | issue | article
    Column("etag", Text),
    Column("last_modified", Text),
    Column("sha256", String(64), nullable=False),
    Column("links", Text, nullable=False),  # JSON array of the URLs the crawl follows from it
    Column("next_url", Text),  # an archive page's link to the next one
    Column("checked_at", Timestamp, nullable=False),
    Column("changed_at", Timestamp, nullable=False),
)

raw_pages = Table(
    "raw_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id")),
    Column("url", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),  # zlib-compressed response body
    Column("fetched_at", Timestamp, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # harvest | backfill
    Column("status", String(16), nullable=False),  # running | ok | failed | interrupted
    Column("window_from", String(32)),
    Column("window_until", String(32)),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("heartbeat_at", Timestamp, nullable=False),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("pages", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("changed", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("error", Text),
    # A source's newest runs, and its newest finished run of one status, found at once
    # (``store.monitor``): the table keeps every run of every source (0017).
    Index("ix_runs_source_id", "source_id", "id"),
    Index("ix_runs_source_status", "source_id", "status", "finished_at", "id"),
)

# An OAI window in progress: where to resume after a crash.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("source_id", ForeignKey("sources.id"), primary_key=True),
    Column("set_spec", Text, primary_key=True),  # "" when harvesting without sets
    Column("metadata_prefix", Text, primary_key=True),  # one window per format (0010)
    Column("window_from", String(32)),
    Column("window_until", String(32)),
    Column("full_sweep", Boolean, nullable=False),
    Column("started_response_date", String(32), nullable=False),
    Column("resumption_token", Text),
    Column("pages", Integer, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("sweep_run", Integer),  # a full sweep: the run that started it (``articles.oai_sweep``)
)

# What a completed window taught us: the next incremental harvest starts here.
harvest_state = Table(
    "harvest_state",
    metadata,
    Column("source_id", ForeignKey("sources.id"), primary_key=True),
    Column("set_spec", Text, primary_key=True),
    Column("high_water", String(32), nullable=False),  # the server's responseDate
    Column("last_full_sweep", Timestamp),
    Column("updated_at", Timestamp, nullable=False),
    Column("metadata_prefix", Text, primary_key=True, server_default="oai_dc"),  # 0010
)

change_log = Table(
    "change_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    Column("entity", String(16), nullable=False),  # article | issue
    Column("entity_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("op", String(8), nullable=False),  # create | update | delete
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("run_id", ForeignKey("runs.id")),
    Column("at", Timestamp, nullable=False),
    # A version amended by its own run moves its entry (``feed.retract_change``).
    Index("ix_change_log_entity", "entity", "entity_id", "version"),
    # One kind's entries after a sequence number (``export --since``): without it each call
    # read every entry of the kind since the feed began (0018).
    Index("ix_change_log_entity_seq", "entity", "seq"),
    # AUTOINCREMENT: SQLite never reuses a sequence number, so "seq > N" polling stays exact.
    sqlite_autoincrement=True,
)
