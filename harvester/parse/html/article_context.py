"""What several fields of an article page need: the page, the article's markup, and the
submission's and the page's languages (see ``article`` for which release writes what)."""

from __future__ import annotations

from lxml import etree

from harvester.ojs.locales import locale_tag, widen
from harvester.parse.html.authors import AuthorLocales
from harvester.parse.html.common import Page
from harvester.parse.html.site import generator_version
from harvester.parse.normalize import language_code

__all__ = ["ArticleContext", "Text"]

Text = tuple[str | None, str]  # (language tag, text)


class ArticleContext:
    """The parsed page plus what several fields need: the details root and the languages."""

    def __init__(self, page: Page) -> None:
        """Locate the article markup and settle the submission's and the page's languages."""
        self.page = page
        self.meta = page.meta
        self._selected: dict[tuple[tuple[str, ...], str | None], list[etree._Element]] = {}
        # 3.x: article.obj_article_details (div in 3.0); OJS 2 and unknown themes: the page.
        details = page.index.select("obj_article_details")
        self.details: etree._Element = details[0] if details else page.root
        self.page_language = language_code(page.lang)
        stated = self.meta.first("citation_language") or self.meta.first("DC.Language")
        self.language = language_code(stated) or self.page_language
        # Language keys: every tag the page writes (each once), bare ones widened to the regional ones.
        self.tags = list(dict.fromkeys(tag for tag in map(locale_tag, [page.lang, *page.meta.langs]) if tag))
        self._keys: dict[str | None, str | None] = {}
        self.ui_tag = self.key(page.lang)
        self.tag = self.key(stated) or self.ui_tag  # the submission's (citation_language, DC.Language)
        version = generator_version(self.meta.first("generator"))
        self.version = tuple(int(part) for part in version.split(".")) if version else None

    def key(self, lang: str | None) -> str | None:
        """The language key of a tag on this page (a page repeats a few tags many times)."""
        if lang not in self._keys:
            tag = locale_tag(lang)
            self._keys[lang] = widen(tag, self.tags) if tag else None
        return self._keys[lang]

    def author_locales(self) -> AuthorLocales:
        """Which language the page's author tags are in (see ``authors``); None where the
        release, and so the rule, is unknown (no generator tag), and on OJS 2, whose author
        names and affiliations have no locale."""
        if self.version is None:
            return AuthorLocales(None, None, self.ui_tag)
        if self.version < (3,):
            return AuthorLocales(None, None, None)
        names = self.tag if self.version >= (3, 4, 0, 2) else self.ui_tag
        return AuthorLocales(names, self.tag if self.version >= (3, 4) else self.ui_tag, self.ui_tag)

    def select(self, *names: str, tag: str | None = None) -> list[etree._Element]:
        """The article's elements with every class of ``names`` (and tag ``tag``), in order
        (looked up once: several fields ask for the same blocks)."""
        key = (names, tag)
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = self.page.index.select(*names, within=self.details, tag=tag)
        return list(found)

    def first(self, *names: str, tag: str | None = None) -> etree._Element | None:
        """The article's first element with every class of ``names`` (and tag ``tag``)."""
        found = self.select(*names, tag=tag)
        return found[0] if found else None

    def item(self, name: str) -> etree._Element | None:
        """The first 3.x ``.item.NAME`` block of the article."""
        return self.first(name, "item")

    def items(self, name: str) -> list[etree._Element]:
        """Every 3.x ``.item.NAME`` block of the article, in order."""
        return self.select(name, "item")
