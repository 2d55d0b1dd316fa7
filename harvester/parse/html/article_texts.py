"""An article page's texts in every language it gives: titles, subtitles, abstracts, keywords.

Languages: a page is rendered in the reader's UI locale (``<html lang>``), while the
submission has its own locale.  OJS 3.3+ writes ``citation_title`` (full title) and
``citation_language`` in the submission locale, so ``title`` and ``language`` follow
OAI's ``dc:title``/``dc:language``; the theme shows title, abstract, keywords,
affiliations and biographies in the UI locale (A#12 of the 3.3 recording is fr-CA with
an en-US UI).  ``abstract`` is taken in the submission language when the page has it.

Every language a page gives is kept, keyed as ``locales`` says (the page's two-letter
meta ``xml:lang`` widened to its regional ``<html lang>`` where they agree): ``titles``,
``subtitles``, ``abstracts``, ``keywords_by_language`` and the authors' (see
``authors``).  Sources per language, in order: keywords from ``DC.Subject``, whose header
keys include the locale, so 3.4+ writes every locale's (ojs plugins/generic/
dublinCoreMeta/DublinCoreMetaPlugin.php at 3_4_0-8, 3_5_0-1; 3_3_0-11: the UI locale's
only), then ``citation_keywords``, whose keys do not: keyword i of a later locale replaces
keyword i of an earlier one (pkp/googleScholar at f9eaa17, pinned by 3_4_0-8, and f59a886,
3_5_0-1; the ajpa_ojs3.5.0-1 recording's #307 page has only the es keywords there), then
the theme's block (UI locale); abstracts from the theme and ``DC.Description`` (every
locale, all three tags); titles as ``_titles`` says.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from harvester.ojs.locales import rekey
from harvester.parse.html.article_context import ArticleContext, Text
from harvester.parse.html.common import first_below, has_class, inner_text, paragraphs
from harvester.parse.normalize import clean_text, language_code

__all__ = [
    "abstract",
    "abstracts",
    "by_language",
    "keywords",
    "keywords_by_language",
    "subtitles",
    "title",
    "titles",
]


def title(ctx: ArticleContext) -> tuple[str | None, str | None]:
    """(full title, subtitle).

    ``citation_title`` is the full title ("Prefix Title: Subtitle") in the submission
    locale (3.3+), as plain text even where 3.4's h1 carries ``<i>``.  The subtitle is the
    theme's ``h2.subtitle``, kept only when it is part of that title: on a page whose UI
    locale differs from the submission's, the theme shows another language's subtitle.
    """
    headings = ctx.select("page_title") or ctx.page.index.with_id("articleTitle")
    shown = inner_text(headings[0]) if headings else None
    subtitle = inner_text(ctx.first("subtitle", tag="h2"))
    title = ctx.meta.text("citation_title", "DC.Title")
    if title is None and shown:
        title = f"{shown}: {subtitle}" if subtitle else shown
    if subtitle and title and subtitle.casefold() not in title.casefold():
        subtitle = None
    return title, subtitle


def _tag(lang: str | None) -> str | None:
    return (lang.strip().replace("_", "-") or None) if lang else None


def _tagged_heading(ctx: ArticleContext) -> etree._Element | None:
    """3.5's ``h1.page_title`` with a ``lang`` (a title shown in a fallback locale)."""
    return next((h1 for h1 in ctx.select("page_title", tag="h1") if h1.get("lang") is not None), None)


def titles(ctx: ArticleContext, title: str | None) -> dict[str, str]:
    """{language tag: full title} for every language the page states.

    ``DC.Title`` is tagged with ``<html lang>``, ``DC.Title.Alternative`` with its xml:lang;
    3.5's theme tags its h1 (+ subtitle) and the titles of its multilingual metadata
    blocks; ``citation_title`` is tagged with ``citation_language``.  One title per
    language, the first wins.  Quirks: OJS 3.1 writes ``DC.Title`` in the submission
    locale, not the UI's, so when it is the citation title it takes that title's
    language; 3.3 writes ``DC.Title`` in the UI locale and skips only the submission
    locale in the alternatives, so an alternative can repeat ``DC.Title``'s language
    (A#12: "en-US" and "en") and is then dropped.
    """
    citation_lang = _tag(ctx.meta.first("citation_language"))
    dc_title = ctx.meta.text("DC.Title")
    dc_lang = ctx.page.lang
    if dc_title and dc_title == title and citation_lang and language_code(citation_lang) != ctx.page_language:
        dc_lang = citation_lang
    texts: list[Text] = [(dc_lang, dc_title or "")]
    texts += [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all("DC.Title.Alternative")]
    heading = _tagged_heading(ctx)
    if heading is not None:  # 3.5
        shown = inner_text(heading) or ""
        subtitle = inner_text(ctx.first("subtitle", tag="h2"))
        texts.append((_tag(heading.get("lang")), f"{shown}: {subtitle}" if shown and subtitle else shown))
    for other in (
        p for block in ctx.select("page_locale_title") for p in block.iterdescendants("p") if p.get("lang")
    ):
        texts.append((_tag(other.get("lang")), inner_text(other) or ""))
    texts.append((citation_lang, title or ""))
    return rekey(by_language(texts), ctx.tags)


def subtitles(ctx: ArticleContext, titles: dict[str, str]) -> dict[str, str]:
    """{language key: subtitle} for the theme's ``h2.subtitle``.

    It is in the language of the h1 (3.5 tags a fallback h1 with ``lang``), else the UI
    locale, and kept only when that language's full title contains it: the theme falls
    back silently to another locale's subtitle.
    """
    subtitle = inner_text(ctx.first("subtitle", tag="h2"))
    heading = _tagged_heading(ctx)
    lang = ctx.key(heading.get("lang")) if heading is not None else ctx.ui_tag
    title = titles.get(lang) if lang else None
    if subtitle and lang and title and subtitle.casefold() in title.casefold():
        return {lang: subtitle}
    return {}


def by_language(texts: Iterable[Text]) -> dict[str, str]:
    """{tag: text} keeping the first text per language (tags compared as ISO 639-1 codes)."""
    result: dict[str, str] = {}
    seen: set[str | None] = set()
    for lang, text in texts:
        code = language_code(lang)
        if lang and text and code not in seen:
            seen.add(code)
            result[lang] = text
    return result


def _block_lang(ctx: ArticleContext, block: etree._Element) -> str | None:
    """The language of a theme block: its content's ``lang`` (3.5), else the page's."""
    tagged = next(
        (
            e
            for e in block.iterdescendants(etree.Element)
            if e.get("lang") is not None and not has_class(e, "label")
        ),
        None,
    )
    if tagged is not None:
        return _tag(tagged.get("lang"))
    return ctx.page.lang


def abstracts(ctx: ArticleContext) -> list[Text]:
    """Every abstract the page shows or tags, theme blocks (with paragraphs) first.

    Theme: 3.x ``.item.abstract`` (3.5 adds one per language when multilingual metadata is
    shown, and one for the plain-language summary, which comes after the abstract and so
    never wins its language); OJS 2 ``#articleAbstract``.  Tags: ``DC.Description`` (all
    versions) and ``citation_abstract`` (3.4+), double-escaped and with paragraphs run
    together (README quirks 1 and 2), cleaned by ``clean_text``.
    """
    blocks = ctx.items("abstract") + ctx.page.index.with_id("articleAbstract")
    found: list[Text] = []
    for block in blocks:
        text = paragraphs(block)
        if text:
            found.append((_block_lang(ctx, block), text))
    for name in ("DC.Description", "citation_abstract"):
        found += [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all(name)]
    return [(lang, text) for lang, text in found if text]


def abstract(ctx: ArticleContext, abstracts: list[Text]) -> str | None:
    """The abstract in the submission language when the page has one, else the first shown."""
    for _, text in _in_language(abstracts, ctx.language):
        return text
    return abstracts[0][1] if abstracts else None


def _in_language(texts: list[Text], language: str | None) -> list[Text]:
    return [(lang, text) for lang, text in texts if language and language_code(lang) == language]


def _pick_language(ctx: ArticleContext, texts: list[Text]) -> list[str]:
    """The texts in the submission language, else the page's, else the first text's."""
    for language in (ctx.language, ctx.page_language):
        chosen = _in_language(texts, language)
        if chosen:
            return [text for _, text in chosen]
    first = texts[0][0] if texts else None
    return [text for lang, text in texts if lang == first]


def keywords(ctx: ArticleContext) -> tuple[str, ...]:
    """Keywords in display order: ``citation_keywords``, else ``DC.Subject``, else the theme.

    3.3 tags only the UI locale's keywords, 3.5 every locale's (so a language is picked);
    OJS 2 splits its "a; b; c" subject field into tags.  The theme's block is split on
    commas as shown (OJS 2's ``#articleSubject`` on semicolons).
    """
    for name in ("citation_keywords", "DC.Subject"):
        tagged = [(meta.lang, clean_text(meta.content) or "") for meta in ctx.meta.all(name)]
        chosen = _pick_language(ctx, [(lang, text) for lang, text in tagged if text])
        if chosen:
            return tuple(dict.fromkeys(chosen))
    shown: list[Text] = []
    for block in ctx.items("keywords"):
        value = first_below(block, "value")
        shown.append((_block_lang(ctx, block), inner_text(value) or ""))
    subjects = ctx.page.index.with_id("articleSubject")
    subject = inner_text(next((div for block in subjects for div in block.iterchildren("div")), None))
    if subject:
        shown.append((ctx.page.lang, subject.replace(";", ",")))
    chosen = _pick_language(ctx, [(lang, text) for lang, text in shown if text])
    words = [word.strip() for text in chosen[:1] for word in text.split(",")]
    return tuple(dict.fromkeys(word for word in words if word))


def keywords_by_language(ctx: ArticleContext) -> dict[str, tuple[str, ...]]:
    """{language key: keywords in order}: ``DC.Subject``, then ``citation_keywords`` for the
    languages it lacks, then the theme's block (see the module docstring)."""
    found: dict[str, tuple[str, ...]] = {}
    for name in ("DC.Subject", "citation_keywords"):
        grouped: dict[str, list[str]] = {}
        for meta in ctx.meta.all(name):
            lang, text = ctx.key(meta.lang), clean_text(meta.content)
            if lang and text:
                grouped.setdefault(lang, []).append(text)
        for lang, words in grouped.items():
            found.setdefault(lang, tuple(dict.fromkeys(words)))
    for block in ctx.items("keywords"):
        lang = ctx.key(_block_lang(ctx, block))
        text = inner_text(first_below(block, "value")) or ""
        shown = tuple(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))
        if lang and shown and lang not in found and shown not in found.values():  # not a fallback
            found[lang] = shown
    return found
