"""The random journal generator of the test OJS site: deterministic per seed, varied in what matters.

Word lists, journals, title and sentence patterns live in ``data/generator.json``.
"""

from __future__ import annotations

import json
import math
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.site.model import CC_BY, CC_BY_NC_ND, SimArticle, SimAuthor, SimJournal

__all__ = ["generate_journals"]

_DATA = Path(__file__).parent / "data"


def _load(name: str) -> Any:
    """A data file of ``data/`` (read once per process, at import)."""
    return json.loads((_DATA / name).read_text(encoding="utf-8"))


_WORDS = _load("generator.json")
_JOURNALS: list[tuple[str, str, str | None]] = [
    (j["path"], j["title"], j["title_fr"]) for j in _WORDS["journals"]
]
_SPECIAL_AUTHORS: list[tuple[str, str | None]] = [tuple(a) for a in _WORDS["special_authors"]]
_AUTHORS: list[tuple[str, str | None]] = [*_SPECIAL_AUTHORS, *(tuple(a) for a in _WORDS["authors"])]
_TOPICS: list[str] = _WORDS["topics"]
_PLACES: list[str] = _WORDS["places"]
_TITLES: list[str] = _WORDS["titles"]
_SENTENCES: list[str] = _WORDS["sentences"]
_KEYWORDS: list[str] = _WORDS["keywords"]
_BOOKS: list[str] = _WORDS["book_titles"]
_ISSUE_TITLES: list[str] = _WORDS["issue_titles"]
_PAGE_ONLY = _load("page_only.json")
_PEOPLE: dict[str, dict[str, Any]] = _PAGE_ONLY["people"]  # name -> affiliation, ORCID serial
_ROLES: list[str] = _PAGE_ONLY["roles"]
_ABBREVIATIONS: dict[str, str] = _PAGE_ONLY["abbreviations"]


def generate_journals(journals: int, articles_per_journal: int, seed: int) -> list[SimJournal]:
    """``journals`` journals of ``articles_per_journal`` articles each, the same for the same seed.

    Page-only data (affiliations, ORCIDs, bios, subtitles, a prefix, French abstracts, paragraph
    breaks) comes from a second random stream, so the OAI output of a seed never changes.
    """
    rng = random.Random(seed)
    counters = {"article": 0, "galley": 0}
    built = [_generate_journal(rng, j, articles_per_journal, counters) for j in range(journals)]
    page_rng = random.Random(seed * 7919 + 1)  # its own stream: the OAI data stays as it was
    for journal in built:
        _enrich_journal(page_rng, journal)
    return built


def _issn(serial: int) -> str:
    digits = f"{serial % 10_000_000:07d}"
    check = (11 - sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True)) % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _generate_journal(rng: random.Random, index: int, count: int, counters: dict[str, int]) -> SimJournal:
    path, title, title_fr = (
        _JOURNALS[index]
        if index < len(_JOURNALS)
        else (f"sim{index + 1}", f"Simulated Studies {index + 1}", None)
    )
    online, printed = (
        ("2410-1303", "1028-818X")
        if index == 0
        else (_issn(2_410_000 + 37 * index), _issn(1_028_000 + index))
    )
    journal = SimJournal(path, title, title_fr, online, printed)
    n_issues = max(2, min(12, math.ceil(count / 10)))
    base = datetime(2024, 1, 15, 8, 0, tzinfo=UTC) + timedelta(hours=index)
    step = max(1, 90 * 86400 // max(count, 1))
    pages_at = [0] * n_issues
    for i in range(count):
        counters["article"] += 1
        art = _generate_article(rng, journal, i, counters, issue=i * n_issues // count, pages_at=pages_at)
        art.datestamp = base + timedelta(seconds=i * step + rng.randint(0, min(step - 1, 59)))
        if rng.random() < 0.1:
            art.datestamp += timedelta(days=30)
        art.owner = journal
        journal.articles.append(art)
    if count >= 10:
        tombstone = journal.articles[count * 2 // 3]
        tombstone.deleted, tombstone.datestamp = True, tombstone.datestamp + timedelta(days=1)
    for art in journal.articles:
        art.modified = art.datestamp
    return journal


def _generate_article(
    rng: random.Random,
    journal: SimJournal,
    i: int,
    counters: dict[str, int],
    *,
    issue: int,
    pages_at: list[int],
) -> SimArticle:
    art_id = counters["article"]
    volume, number = issue // 2 + 1, issue % 2 + 1
    year = 2016 + len(journal.path) % 3 + issue // 2
    review = i == 4 or (i > 4 and rng.random() < 0.2)
    authors = rng.sample(_AUTHORS, 1 if review else rng.randint(1, 4))
    if i < len(_SPECIAL_AUTHORS):  # every journal gets the tricky names, first authors of its first articles
        special = _SPECIAL_AUTHORS[i]
        authors = [special, *(a for a in authors if a != special)][: len(authors)]
    month = "03" if number == 1 else "09"
    published = f"{year - 1}-12-20" if rng.random() < 0.08 else f"{year}-{month}-15"
    fill = _fill(rng, year)
    art = SimArticle(
        id=art_id,
        journal=journal.path,
        title=f"Review: {rng.choice(_BOOKS)}" if review else rng.choice(_TITLES).format(**fill),
        authors=[SimAuthor(*a) for a in authors],
        section_abbrev="BR" if review else "ART",
        section_title="Book Reviews" if review else "Articles",
        volume=str(volume),
        number=str(number),
        year=year,
        issue_title=None if issue % 3 else _ISSUE_TITLES[(issue // 3 + len(journal.path)) % 3],
        published=published,
        copyright=f"Copyright (c) {year} {journal.title}",
        license_url=CC_BY_NC_ND if rng.random() < 0.2 else CC_BY,
    )
    if not review:
        _fill_research(rng, art, i, fill)
    art.doi = _doi(rng, journal.path, art) if i == 0 or (i != 1 and rng.random() < 0.45) else None
    art.pages = _pages(rng, i, pages_at, issue, 3 if review else rng.randint(8, 30))
    art.galleys = _galleys(rng, i, counters)
    return art


def _fill(rng: random.Random, year: int) -> dict[str, Any]:
    topic, topic2 = rng.sample(_TOPICS, 2)
    place, place2 = rng.sample(_PLACES, 2)
    return {
        "topic": topic, "topic2": topic2, "t": topic.lower(), "t2": topic2.lower(), "place": place,
        "place2": place2, "y1": year - 60, "y2": year - 40,
        "n": rng.randint(12, 140), "m": rng.randint(150, 400),
    }  # fmt: skip


def _fill_research(rng: random.Random, art: SimArticle, i: int, fill: dict[str, Any]) -> None:
    if i == 0:
        sentences = [_SENTENCES[1], _SENTENCES[2], _SENTENCES[3]]
    else:
        sentences = rng.sample(_SENTENCES, len(_SENTENCES) if rng.random() < 0.05 else rng.randint(1, 4))
    art.abstract = " ".join(s.format(**fill) for s in sentences)
    art.raw_amp = "&" in art.abstract and i != 0 and rng.random() < 0.3
    art.keywords = rng.sample(_KEYWORDS, rng.randint(2, 5))
    if rng.random() < 0.15:
        art.title_fr = f"Étude : {fill['t']} à {fill['place']}"


def _doi(rng: random.Random, path: str, art: SimArticle) -> str:
    if rng.random() < 0.2:
        return f"10.5555/{path.upper()}-{art.year}({art.number}){art.id:02d}"
    return f"10.5555/{path}.v{art.volume}i{art.number}.{art.id}"


def _pages(rng: random.Random, i: int, pages_at: list[int], issue: int, length: int) -> str:
    start = pages_at[issue] + 1
    pages_at[issue] += length
    roll = rng.random()
    if i == 3 or roll < 0.06:
        return ""
    if roll < 0.1:
        return f"e{100 + start}"
    if roll < 0.13:
        return f"P{start:02d}-{start + length - 1}"
    return f"{start}-{start + length - 1}"


def _galleys(rng: random.Random, i: int, counters: dict[str, int]) -> list[tuple[int, str]]:
    roll = rng.random()
    if i == 6 or (i > 6 and roll < 0.05):
        mimes: list[str] = []
    elif i == 2 or roll < 0.15:
        mimes = ["application/pdf", "text/html"]
    elif roll < 0.18:
        mimes = ["application/pdf", "application/pdf", "application/epub+zip"]
    else:
        mimes = ["application/pdf"]
    result = []
    for mime in mimes:
        counters["galley"] += 1
        result.append((counters["galley"], mime))
    return result


# ----------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------


# Page-only data (a random stream of its own, so OAI data of a seed stays the same)


def _orcid(serial: int) -> str:
    """A checksum-valid ORCID iD (ISO 7064 MOD 11-2) built from ``serial``."""
    base = f"000000021{serial % 1_000_000:06d}"
    total = 0
    for digit in base:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    digits = base + ("X" if check == 10 else str(check))
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


_SENTENCE_END = re.compile(r"(?<=[.!?”]) (?=[A-Z“\"])")


def _bio(rng: random.Random, author: SimAuthor, *, paragraphs: int) -> str:
    where = f"at {author.affiliation}" if author.affiliation else "working independently"
    text = f"{author.name} is {rng.choice(_ROLES)} {where}."
    if paragraphs > 1:
        text += "\n\nTheir current work examines archives & memory; an earlier study appeared in"
        text += " “Modern Asian Studies”."
    return text


def _enrich_authors(rng: random.Random, art: SimArticle, index: int) -> None:
    for slot, author in enumerate(art.authors):
        person = _PEOPLE.get(author.name, {})
        affiliation, serial = person.get("affiliation"), person.get("orcid_serial")
        author.affiliation = affiliation if rng.random() >= 0.08 else None
        author.orcid = _orcid(serial) if serial is not None else None
        forced = index in (0, 1) and slot == 0  # the first two articles: a bio, then a two-paragraph one
        if forced or rng.random() < 0.25:
            author.bio = _bio(rng, author, paragraphs=2 if index == 1 and slot == 0 else 1)


def _split_paragraphs(rng: random.Random, art: SimArticle, index: int) -> None:
    """Turn some sentence breaks into paragraph breaks (the OAI text keeps a space there)."""
    breaks = list(_SENTENCE_END.finditer(art.abstract))
    if not breaks or not (index == 0 or rng.random() < 0.35):
        return
    chosen = sorted(rng.sample(breaks, min(len(breaks), rng.randint(1, 3))), key=lambda m: m.start())
    for match in reversed(chosen):
        art.abstract = art.abstract[: match.start()] + "\n\n" + art.abstract[match.end() :]
    roll = rng.random()
    art.abstract_style = "br" if roll < 0.2 else "ul" if roll < 0.35 and len(chosen) > 1 else "p"


def _enrich_title(rng: random.Random, art: SimArticle, index: int, *, want_prefix: bool) -> bool:
    """Split "Title: Subtitle" for some, "The Title" into a prefix once; the full title is unchanged."""
    if art.section_abbrev != "ART":
        return False
    head, sep, tail = art.title.partition(": ")
    if sep and (index == 2 or rng.random() < 0.5):
        art.title, art.subtitle = head, tail
        return False
    if want_prefix and art.title.startswith("The "):
        art.prefix, art.title = "The", art.title[4:]
        return True
    return False


def _enrich_journal(rng: random.Random, journal: SimJournal) -> None:
    """Fill what only pages show: affiliations, ORCIDs, bios, subtitles, a prefix, French abstracts."""
    journal.abbrev = _ABBREVIATIONS.get(journal.path)
    want_prefix = True
    for number, art in enumerate(journal.articles):
        _enrich_authors(rng, art, number)
        if _enrich_title(rng, art, number, want_prefix=want_prefix):
            want_prefix = False
        if art.abstract:
            _split_paragraphs(rng, art, number)
        if art.title_fr and art.abstract:
            art.abstract_fr = f"Une étude de « {art.title_fr} » d'après les archives."
