"""Small pure normalisers for single field values, shared by every parser.

Each function takes one raw string as a journal wrote it (in OAI-PMH, a meta tag or page
markup) and returns the one canonical form the model stores, or None when the value is
absent or is not what the field claims to be.  Two sightings of the same fact must come out
equal here, or the store would record a change that never happened.  Every OJS quirk
handled here is commented with its cause.
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import re
from typing import NamedTuple
from urllib.parse import unquote

from ..works.identifiers import check_doi, check_orcid

__all__ = [
    "CreatorName",
    "clean_text",
    "extract_doi",
    "iso_date",
    "language_code",
    "normalize_doi",
    "normalize_issn",
    "normalize_orcid",
    "split_creator",
]

# A complete character reference: named, decimal or hex, *with* its terminating ';'.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# A DOI inside running text (a reference): resolver URL, "doi:" or bare, up to whitespace.
_DOI_IN_TEXT_RE = re.compile(
    r"(?:doi:\s*|(?:https?://)?(?:www\.|dx\.)?doi\.org/)?(10\.\d{4,9}(?:\.\d+)*/\S+)", re.IGNORECASE
)
# Journal managers type ISSNs with hyphens, without, or with a Unicode dash.
_ISSN_RE = re.compile(r"^(?:issn:?\s*)?(\d{4})\s*[-‐‑–]?\s*(\d{3}[\dX])$", re.IGNORECASE)
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ]\S.*)?)?)?$")

# ISO 639-2 (B and T) / 639-3 codes, and language names, to ISO 639-1.  OJS 3.x writes
# dc:language as ISO 639-3 ("eng"); without galleys it writes the submission's free-text
# language field instead ("English", "es"), so a few common names are mapped too.
_ISO639_1 = {
    "afr": "af", "amh": "am", "ara": "ar", "aze": "az", "bel": "be", "ben": "bn",
    "bos": "bs", "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "cym": "cy",
    "wel": "cy", "dan": "da", "deu": "de", "ger": "de", "ell": "el", "gre": "el",
    "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "baq": "eu", "fas": "fa",
    "per": "fa", "fin": "fi", "fra": "fr", "fre": "fr", "gle": "ga", "glg": "gl",
    "guj": "gu", "hau": "ha", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu",
    "hye": "hy", "arm": "hy", "ibo": "ig", "ind": "id", "isl": "is", "ice": "is",
    "ita": "it", "jpn": "ja", "kat": "ka", "geo": "ka", "kaz": "kk", "khm": "km",
    "kor": "ko", "kur": "ku", "lao": "lo", "lat": "la", "lav": "lv", "lit": "lt",
    "mar": "mr", "mkd": "mk", "mac": "mk", "mon": "mn", "msa": "ms", "may": "ms",
    "mya": "my", "bur": "my", "nep": "ne", "nld": "nl", "dut": "nl", "nno": "nn",
    "nob": "nb", "nor": "no", "pan": "pa", "pol": "pl", "por": "pt", "pus": "ps",
    "ron": "ro", "rum": "ro", "rus": "ru", "sin": "si", "slk": "sk", "slo": "sk",
    "slv": "sl", "som": "so", "spa": "es", "sqi": "sq", "alb": "sq", "srp": "sr",
    "swa": "sw", "swe": "sv", "tam": "ta", "tel": "te", "tgl": "tl", "tha": "th",
    "tur": "tr", "ukr": "uk", "urd": "ur", "uzb": "uz", "vie": "vi", "xho": "xh",
    "yor": "yo", "zho": "zh", "chi": "zh", "zul": "zu",
    "english": "en", "spanish": "es", "español": "es", "french": "fr", "français": "fr",
    "german": "de", "deutsch": "de", "portuguese": "pt", "português": "pt",
    "italian": "it", "italiano": "it", "indonesian": "id", "bahasa indonesia": "id",
    "turkish": "tr", "türkçe": "tr", "russian": "ru", "русский": "ru", "arabic": "ar",
    "urdu": "ur",
}  # fmt: skip


class CreatorName(NamedTuple):
    """A person's name as split from an OJS creator string."""

    name: str  # display form, "Given Family"
    given: str | None
    family: str | None


# Cached: ``html.unescape`` runs a regex substitution per call, and a text's references are
# few and recurring ("&amp;", "&nbsp;", "&lt;p&gt;").
_unescape = functools.lru_cache(maxsize=1024)(html.unescape)


def _unescape_reference(match: re.Match[str]) -> str:
    return _unescape(match.group(0))


def clean_text(s: str | None) -> str | None:
    """Human-readable text as stored: entities decoded once, whitespace collapsed.

    OJS quirk: oai_dc ``dc:description`` (and the ``DC.Description``/``citation_abstract``
    meta tags) keep the stored HTML entities and XML-escape them again, so after XML parsing
    ``&amp;`` and ``&lt;`` are still there; one ``html.unescape`` restores the text, a second
    would corrupt text that really contains "&lt;".  Only complete references (ending in
    ';') are decoded: a raw '&' that OJS passed through correctly ("R&D", "&para" in prose)
    must not meet HTML5's legacy no-semicolon rule.  Newlines, tabs and no-break spaces
    (``&nbsp;``) collapse to single spaces so re-wrapped text compares equal.
    """
    if not s:
        return None
    if "&" in s and ";" in s:  # a reference ends in ';'
        if s.count("&") == s.count("&amp;"):  # only "&amp;" (OJS quirk): the same, faster
            s = s.replace("&amp;", "&")
        else:
            s = _ENTITY_RE.sub(_unescape_reference, s)
    if s.isprintable() and "  " not in s and s[:1] != " " and s[-1:] != " ":
        # Fast path, most values: every whitespace character but the ASCII space is
        # non-printable, so the only whitespace here is single inner spaces: already clean.
        return s or None  # empty only when all of s was references to invalid code points
    text = " ".join(s.split())
    return text or None


def normalize_doi(s: str | None) -> str | None:
    """The bare, lower-case DOI ("10.x/y") in ``s``, or None when ``s`` is not a DOI.

    Accepts the forms OJS and journals write: bare, ``doi:``-prefixed, and resolver URLs
    (``https://doi.org/``, legacy ``http://dx.doi.org/``), with stray spaces and a closing
    full stop; DOIs are case-insensitive, so lower case makes the OAI and the landing-page
    sighting of one DOI equal (``works.identifiers.check_doi``, which also says why a value
    is not a DOI).
    """
    # Every DOI starts "10.", in each form it is written: most texts asked about are not DOIs.
    return check_doi(s).value if s and "10." in s else None


def extract_doi(s: str | None) -> str | None:
    """The first DOI written in running text, bare and lower-case, or None.

    A reference names its DOI as a resolver URL, ``doi:10.…`` or bare ``10.…``, at the end
    of a sentence: the punctuation that closes it (``.``, ``,``, ``;``, ``)``, ``]``, quotes)
    is not part of the DOI.  A ``)`` is kept when the DOI opened one (``10.1002/(SICI)…``).
    """
    if not s or "10." not in s:  # every DOI starts "10.": most references name none
        return None
    match = _DOI_IN_TEXT_RE.search(s)
    if match is None:
        return None
    doi = match.group(1)
    while doi and doi[-1] in ".,;:'\"]>)":
        if doi[-1] == ")" and doi.count("(") >= doi.count(")"):
            break
        doi = doi[:-1]
    return normalize_doi(unquote(doi) if "%" in doi else doi)


def normalize_orcid(s: str | None) -> str | None:
    """The ORCID iD in ``s`` in its URL form "https://orcid.org/0000-0000-0000-000X", or None
    when it is not one.

    Accepts that URL (http, ``www.`` or ``orcid.org/…`` alike) and bare iDs with or without
    hyphens.  The URL form is the one ORCID asks for and the one OJS 3 stores and prints: its
    ORCID authorisation stores ``OrcidManager::ORCID_URL . $orcid`` as the author's ``orcid``
    (pkp-lib 3_5_0-1 classes/orcid/actions/AuthorizeUserData.php) and the article page links
    and shows ``$author->getData('orcid')`` (ojs 3_3_0-11, 3_4_0-8 and 3_5_0-1
    templates/frontend/objects/article_details.tpl).  The ISO 7064 MOD 11-2 check digit is
    verified (``works.identifiers.check_orcid``, python-stdnum): ORCID iDs are issued by
    machine, so a wrong one is a broken value, not an alternative spelling.
    """
    if not s:
        return None
    return check_orcid(s).value


def normalize_issn(s: str | None) -> str | None:
    """The ISSN in ``s`` as "NNNN-NNNC" (upper-case X), or None when it is not ISSN-shaped.

    The check digit is deliberately not verified: ISSNs are typed by journal managers and a
    mirror keeps what the journal states, typo or not.
    """
    if not s:
        return None
    match = _ISSN_RE.match(s.strip())
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(2).upper()}"


def split_creator(s: str | None) -> CreatorName | None:
    """Split an OJS creator "Family, Given" into (display name, given, family).

    OJS writes ``dc:creator`` (and ``citation_author`` in some themes) family name first.
    A mononym (OJS: given name only, family empty) has no comma: it is the given name, with
    family None.  An extra comma ("Family, Given, Jr.") is taken as a suffix: it stays in
    the display name ("Given Family Jr.") but in neither part, as the model has no field
    for it.  Empty input gives None.
    """
    text = clean_text(s)
    if text is None:
        return None
    family_part, comma, rest = text.partition(",")
    if not comma:
        return CreatorName(text, text, None)
    given_part, _, suffix = rest.partition(",")
    family = family_part.strip() or None
    given = given_part.strip() or None
    extra = " ".join(suffix.replace(",", " ").split()) or None
    name = " ".join(part for part in (given, family, extra) if part)
    if not name:
        return None
    return CreatorName(name, given, family)


def iso_date(s: str | None) -> str | None:
    """An ISO date "YYYY", "YYYY-MM" or "YYYY-MM-DD" from ``s``; invalid gives None.

    OAI-PMH and meta tags carry dates at any of these precisions, and datestamps or
    ``DC.Date`` values may be full datetimes: only the date part is kept.  Impossible dates
    (month 13, 30 February, year 0) are rejected rather than guessed at.
    """
    if not s:
        return None
    match = _DATE_RE.match(s.strip())
    if match is None:
        return None
    year_text, month_text, day_text = match.groups()
    year = int(year_text)
    month = int(month_text) if month_text else 1
    day = int(day_text) if day_text else 1
    try:
        _dt.date(year, month, day)
    except ValueError:
        return None
    if day_text:
        return f"{year:04d}-{month:02d}-{day:02d}"
    if month_text:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}"


def language_code(s: str | None) -> str | None:
    """The ISO 639-1 code for a language tag, locale or ISO 639-2/3 code.

    OJS writes ISO 639-3 in oai_dc ("eng"), locales in its own form ("en_US" in 3.3, "en"
    in 3.4) and BCP 47 tags in HTML ("en-US"): all of them become "en".  A code we cannot
    map comes back lower-cased, so it still compares equal to itself.
    """
    if not s:
        return None
    tag = " ".join(s.split()).replace("_", "-").lower()
    if not tag:
        return None
    primary = tag.split("-", 1)[0]
    if len(primary) == 2 and primary.isalpha():
        return primary
    return _ISO639_1.get(primary, _ISO639_1.get(tag, tag))
