"""Parsers of OJS HTML pages: article landing pages, issue tables of contents, the archive.

Pure functions from a fetched page (bytes and the URL it came from) to ``model`` objects.
A page that is not the one asked for (login form, "not found" page, truncated or foreign
page) raises ``harvester.errors.PageError``.
"""

from __future__ import annotations

from harvester.parse.html.archive import parse_archive_page
from harvester.parse.html.article import parse_article_page
from harvester.parse.html.issue import parse_issue_page

__all__ = ["parse_archive_page", "parse_article_page", "parse_issue_page"]
