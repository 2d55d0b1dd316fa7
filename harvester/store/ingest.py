"""Writing harvested records: identity resolution, versioning and the change feed.

One call of ``ingest_records`` handles one fetched page inside the caller's transaction:

1. every record's keys (OAI identifier, OJS id, DOI, landing URL) are resolved at once;
2. each record is hashed (normalised content only, never the OAI datestamp, which OJS bumps
   or freezes at will) and compared with the article's current hash;
3. only a real change writes: a new ``article_history`` version, the current columns of
   ``articles``, and one ``change_log`` row; unchanged records cost no statement of their own
   (a withdrawn article listed again is a change: it is live again, see ``sweeps``);
4. issues found in the records are versioned the same way.

The page is written as a batch, one statement per kind of write (``batch``).
"""

from __future__ import annotations

from .articles import PageCounts
from .batch import ingest_page

__all__ = ["PageCounts", "ingest_records"]

#: Write one page of records; returns what changed (``batch.ingest_page``).
ingest_records = ingest_page
