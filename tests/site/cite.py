"""The "How to Cite" text of an article page: the citationStyleLanguage plugin's APA, quirks as recorded."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from tests.site.escaping import hsc

if TYPE_CHECKING:
    from tests.site.model import SimArticle, SimAuthor

__all__ = ["citation_text", "cite"]


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _cite_name(author: SimAuthor) -> str:
    """APA's "Family, G." as citeproc-php writes it for OJS (recorded: "صدیقی ع.", "Wróbel, Łukasz")."""
    if not author.family:
        return author.given
    first = author.given[:1]
    if not _is_latin(first):  # non-Latin scripts: no comma
        return f"{author.family} {first}."
    if not first.isascii():  # a non-ASCII initial is left unabbreviated
        return f"{author.family}, {author.given}"
    return f"{author.family}, " + " ".join(f"{part[0]}." for part in author.given.split())


def cite(art: SimArticle, *, markup: bool) -> str:
    def esc(text: str) -> str:
        return hsc(text) if markup else text

    def ital(text: str) -> str:
        return f"<i>{text}</i>" if markup else text

    journal = art.owner
    assert journal is not None
    names = [esc(_cite_name(a)) for a in art.authors]
    amp = "&#38;" if markup else "&"
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f", {amp} " + names[-1] if names else ""
    who += "" if who.endswith(".") else "."
    title = art.full_title.replace("'", "\u2019")  # CSL's smart apostrophe
    title += "" if title[-1:] in ".?!" else "."
    source = f"{ital(esc(journal.title))}, {ital(esc(art.volume))}({esc(art.number)})"
    source += f", {esc(art.pages.replace('-', '–'))}" if art.pages else ""
    link = f"https://doi.org/{art.doi}" if art.doi else f"Retrieved from {art.url()}"
    return f"{who} ({art.published[:4]}). {esc(title)} {source}. {esc(link)}"


def citation_text(art: SimArticle) -> str:
    """The "How to Cite" text as the page shows it (markup removed, entities decoded)."""
    return cite(art, markup=False)
