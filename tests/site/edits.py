"""A test OJS site's data, read and changed: look up, edit, delete, unpublish, remove, restore and add
articles.

``SiteEdits`` is mixed into ``OjsSite``; reads are snapshots taken under the site's lock; every change
moves the pages' ``modified`` time strictly forward and invalidates the cached OAI bytes and derived
issues.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from tests.site.model import SimArticle, SimAuthor, SimIssue, SimJournal, as_author, as_utc, now

__all__ = ["SiteEdits"]


class SiteEdits:
    """Reads and mutations of an ``OjsSite``'s journals (thread-safe under the site's lock)."""

    journals: dict[str, SimJournal]
    _lock: threading.RLock
    _clock: datetime
    _version: int

    def articles(self, journal: str | None = None) -> list[SimArticle]:
        """A snapshot of one journal's articles (or all of them), ordered by id per journal."""
        with self._lock:
            chosen = [self.journals[journal]] if journal else list(self.journals.values())
            return [a for j in chosen for a in j.articles]

    def article(self, journal: str, article_id: int) -> SimArticle:
        """The article, or KeyError."""
        found = self.journals[journal].find(article_id)
        if found is None:
            raise KeyError(f"{journal}/{article_id}")
        return found

    def issues(self, journal: str) -> list[SimIssue]:
        """A journal's issues, newest first (snapshots)."""
        with self._lock:
            return list(self.journals[journal].issues())

    def issue(self, journal: str, issue_id: int) -> SimIssue:
        """The issue, or KeyError."""
        with self._lock:
            found = self.journals[journal].issue(issue_id)
        if found is None:
            raise KeyError(f"{journal}/issue/{issue_id}")
        return found

    def edit(self, journal: str, article_id: int, **changes: Any) -> SimArticle:
        """Change fields of an article; its datestamp becomes now unless ``datestamp`` is given.

        Any change but the datestamp also moves ``modified`` (the pages' Last-Modified) strictly
        forward. ``title=`` alone sets the whole title: prefix and subtitle are cleared unless given.
        """
        allowed = {f.name for f in fields(SimArticle)} - {"id", "journal", "owner", "_cache"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown SimArticle fields: {sorted(unknown)}")
        with self._lock:
            art = self.article(journal, article_id)
            old_key = art.issue_key
            changes.setdefault("datestamp", now())
            if "title" in changes:
                changes.setdefault("prefix", None)
                changes.setdefault("subtitle", None)
            if "authors" in changes:
                changes["authors"] = [as_author(a) for a in changes["authors"]]
            if set(changes) - {"datestamp"}:
                changes.setdefault("modified", self._tick())
            for name in ("datestamp", "modified"):
                if name in changes:
                    changes[name] = as_utc(changes[name])
            for name, value in changes.items():
                setattr(art, name, value)
            self._touch(art, old_key)
            return art

    def delete(self, journal: str, article_id: int) -> SimArticle:
        """Turn an article into a deleted-record tombstone, datestamped now (its page gives 404)."""
        return self.edit(journal, article_id, deleted=True)

    def unpublish(self, journal: str, article_id: int) -> SimArticle:
        """Unpublish an article as OJS 3.2+ does: its page (and galleys) answer 404 (3_4_0-8
        pages/article/ArticleHandler.php ``initialize``), its issue's table of contents drops it,
        and OAI serves a tombstone (pkp-lib 3_4_0-10 classes/submission/Repository.php
        ``updateStatus``); :meth:`edit` with ``deleted=False`` publishes it again."""
        return self.edit(journal, article_id, deleted=True)

    def remove(self, journal: str, article_id: int) -> SimArticle:
        """Delete a submission outright, as OJS's API does (pkp-lib 3_4_0-8
        api/v1/submissions/PKPSubmissionHandler.php ``delete`` → Repository ``delete``): no
        tombstone, gone from OAI lists, its issue's table of contents and its pages (404).
        Returns it for :meth:`restore`."""
        with self._lock:
            owner = self.journals[journal]
            art = self.article(journal, article_id)
            owner.articles.remove(art)
            owner.issue_bumps[art.issue_key] = self._tick()  # its table of contents changed
            self._touch(art)
            return art

    def restore(self, art: SimArticle) -> SimArticle:
        """Put back an article :meth:`remove` took out (same id, issue and content)."""
        with self._lock:
            owner = self.journals[art.journal]
            owner.articles.insert(bisect_left(owner.articles, art.id, key=lambda a: a.id), art)
            owner.issue_bumps[art.issue_key] = self._tick()
            self._touch(art)
            return art

    def set_datestamp(self, journal: str, article_id: int, when: datetime) -> SimArticle:
        """Set an article's datestamp (naive datetimes are taken as UTC) without other changes."""
        return self.edit(journal, article_id, datestamp=as_utc(when))

    def add_article(self, journal: str, **values: Any) -> SimArticle:
        """Publish a new article (next site-wide id) in the journal's latest issue; returns it."""
        with self._lock:
            owner = self.journals[journal]
            new_id = 1 + max((a.id for j in self.journals.values() for a in j.articles), default=0)
            galley = 1 + max((g for a in self.articles() for g, _ in a.galleys), default=0)
            last = owner.articles[-1] if owner.articles else None
            issue = {k: getattr(last, k) for k in ("volume", "number", "year", "issue_title")} if last else {}
            defaults: dict[str, Any] = {
                "title": f"New Research Article {new_id}",
                "authors": [SimAuthor("Ada", "Lovelace")],
                "abstract": "A freshly published article.",
                "galleys": [(galley, "application/pdf")],
                "published": now().date().isoformat(),
                "copyright": f"Copyright (c) {issue.get('year', 2024)} {owner.title}",
                "modified": self._tick(),
                **issue,
            }
            art = SimArticle(id=new_id, journal=journal, **{**defaults, **values})
            art.owner = owner
            owner.articles.append(art)
            self._touch(art)
            return art

    def _tick(self) -> datetime:
        """A modification time later than every earlier one (Last-Modified has whole seconds)."""
        self._clock = max(now(), self._clock + timedelta(seconds=1))
        return self._clock

    def _register_issue(self, art: SimArticle) -> None:
        """Give the article's issue a site-wide OJS id the first time it is seen."""
        if art.owner is not None and art.issue_key not in art.owner.issue_ids:
            taken = [i for j in self.journals.values() for i in j.issue_ids.values()]
            art.owner.issue_ids[art.issue_key] = 1 + max(taken, default=0)

    def _touch(self, art: SimArticle, old_key: tuple[str, str, int] | None = None) -> None:
        art._cache.clear()
        self._version += 1
        self._register_issue(art)
        if art.owner is not None:
            art.owner.version += 1
            if old_key is not None and old_key != art.issue_key:  # the old issue's page lost it
                art.owner.issue_bumps[old_key] = art.modified
