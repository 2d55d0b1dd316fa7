"""Language keys of per-locale values: one normalised form, whichever surface gave them.

OJS names a locale in several ways, and each surface writes it its own way:

- OJS locales: ``en_US``, ``fr_CA`` (≤3.3), ``en``, ``fr_CA``, ``sr@latin`` (3.4+);
- oai_dc ``xml:lang``: the locale with '_' written '-' (lib: plugins/oaiMetadataFormats/dc/
  PKPOAIMetadataFormat_DC.php ``formatElement``, tags 3_3_0-11, 3_4_0-8, 3_5_0-1), so
  ``en-US`` in 3.3 and ``en`` in 3.4;
- page meta tags: the first two letters of the locale on 3.3 and 3.4 (``substr($locale, 0,
  2)`` in pkp/googleScholar at the commits 3_3_0-11 and 3_4_0-8 pin, and in
  plugins/generic/dublinCoreMeta at those tags), BCP 47 on 3.5 (lib: classes/i18n/
  LocaleConversion.php ``toBcp47``: '_' and '@' become '-', tag 3_5_0-1);
- ``<html lang>``: the UI locale with '-'.

A key is the BCP 47 form of what the surface says: '_' and '@' written '-', the language
lower-case, a two-letter region upper-case (``en_US``, ``en-us`` and ``en-US`` are all
``en-US``).  A bare language (``en``) is a key of its own: it is OJS 3.4's locale ``en`` or
a truncated ``en_US``.  Within one article it stands for the one regional key of that
language the article has elsewhere (``widen``), so a 3.3 page's ``fr`` and the OAI
record's ``fr-CA`` are one key; with no such key, or two (``pt-BR`` and ``pt-PT``), it
stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

__all__ = ["in_language", "language_of", "locale_tag", "rekey", "widen"]

_V = TypeVar("_V")


@lru_cache(maxsize=256)
def locale_tag(raw: str | None) -> str | None:
    """The normalised key of a locale or language tag; None for an empty one."""
    if not raw:
        return None
    parts = [part for part in raw.strip().replace("_", "-").replace("@", "-").split("-") if part]
    if not parts:
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        else:
            out.append(part)
    return "-".join(out)


def language_of(tag: str) -> str:
    """The language subtag of a key: ``fr`` for ``fr-CA``."""
    return tag.split("-", 1)[0]


def widen(tag: str, known: Iterable[str]) -> str:
    """``tag``, or the one key in ``known`` with a region that a bare ``tag`` stands for."""
    if "-" in tag:
        return tag
    candidates = {key for key in known if "-" in key and language_of(key) == tag}
    return candidates.pop() if len(candidates) == 1 else tag


def rekey(values: dict[str, _V], known: Iterable[str] = ()) -> dict[str, _V]:
    """``values`` with normalised keys, bare ones widened to ``known`` and to the other keys.

    Two keys that become one keep the first value (the dict's order is the precedence).
    """
    tags = [(locale_tag(key), value) for key, value in values.items()]
    pool = [*known, *(tag for tag, _ in tags if tag)]
    result: dict[str, _V] = {}
    for tag, value in tags:
        if tag is not None:
            result.setdefault(widen(tag, pool), value)
    return result


def in_language(values: dict[str, _V], language: str | None) -> _V | None:
    """The value whose key is ``language`` (a key or a bare language), else None.

    A bare language matches a regional key of that language when there is exactly one.
    """
    if not language or not values:
        return None
    if language in values:
        return values[language]
    same = [key for key in values if language_of(key) == language_of(language)]
    return values[same[0]] if len(same) == 1 else None
