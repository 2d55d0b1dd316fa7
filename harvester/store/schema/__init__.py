"""The tables behind the store, as SQLAlchemy Core metadata (``core``, ``galleys``, ``works``).

These tables are private: downstream tools read the views created by the migrations
(``current_articles``, ``current_issues``, ``article_versions``, ``changes``,
``current_galleys``, ``galley_versions``), which stay
stable while the tables change.  The migrations in ``migrations/versions`` are the source of
truth for the database; this module mirrors the latest revision for the code that queries it.
"""

from .core import (
    Timestamp,
    article_history,
    article_keys,
    article_sources,
    articles,
    change_log,
    checkpoints,
    harvest_state,
    host_waits,
    issue_history,
    issues,
    journal_history,
    journals,
    metadata,
    raw_pages,
    runs,
    sources,
    web_pages,
)
from .galleys import file_blobs, galley_file_versions, galley_files
from .works import identifier_issues, work_members, work_overrides, works

__all__ = [
    "Timestamp",
    "article_history",
    "article_keys",
    "article_sources",
    "articles",
    "change_log",
    "checkpoints",
    "file_blobs",
    "galley_file_versions",
    "galley_files",
    "harvest_state",
    "host_waits",
    "identifier_issues",
    "issue_history",
    "issues",
    "journal_history",
    "journals",
    "metadata",
    "raw_pages",
    "runs",
    "sources",
    "web_pages",
    "work_members",
    "work_overrides",
    "works",
]
