"""What every OJS page parser shares: parsing, meta tags, page checks and text extraction.

Pages are parsed by one hardened, module-level lxml HTML parser (no network access, no
DTD or entity loading, comments and processing instructions dropped).  ``parse_page``
parses any page (``parse.html.site`` reads whatever page a user pasted); ``load_page``
also rejects pages that are not the page asked for (``PageError``): a "not found" page
served with status 200, a login form, a truncated body.  Each page parser then checks
that the page is the OJS page it expects with ``require``.

Text taken from markup is already entity-decoded by lxml, so ``inner_text`` and
``paragraphs`` only collapse whitespace.  Meta tag contents go through
``normalize.clean_text``, which decodes entities once more: OJS double-escapes
``DC.Description`` and ``citation_abstract`` the way it double-escapes ``dc:description``
in OAI (README quirk 1), and the OAI parser applies the same rule, so both sightings of a
value compare equal.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from lxml import etree

from harvester.errors import PageError
from harvester.ojs.urls import split_url
from harvester.parse.html.index import ClassIndex, Meta, MetaTags, element_lang, has_class
from harvester.parse.normalize import iso_date

__all__ = [
    "HTML_PARSER",
    "ClassIndex",
    "Meta",
    "MetaTags",
    "Page",
    "below",
    "by_class",
    "collapse",
    "find",
    "find_all",
    "first_below",
    "first_by_class",
    "full_date",
    "has_class",
    "inner_text",
    "is_ojs",
    "load_page",
    "paragraphs",
    "parse_page",
    "require",
]


def _parser(encoding: str | None = None) -> etree.HTMLParser:
    """A hardened HTML parser; with ``encoding``, for bytes in that encoding whatever they declare."""
    return etree.HTMLParser(
        encoding=encoding,
        no_network=True,  # never fetch a DTD or anything else
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,  # OJS 2 repeats ids (id="authorBio" per author)
        huge_tree=False,  # libxml2's limits stay on: a page is never that deep
    )


HTML_PARSER = _parser()
_UTF8_PARSER = _parser("utf-8")

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HTML_END_RE = re.compile(rb"</html\s*>", re.IGNORECASE)
_NOT_FOUND_RE = re.compile(r"\b404\b.*\bnot\s+found\b", re.IGNORECASE)
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "button", "svg"})
# Screen-reader-only text ("Downloads", access notes in galley links) and purchase prices;
# 3.5's language switcher buttons are skipped by their data-pkp-switcher attribute.
_SKIP_CLASSES = frozenset({"pkp_screen_reader", "purchase_cost"})
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section", "article", "table",
    "tr", "td", "th", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "figure",
})  # fmt: skip
_FULL_DATE_RE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DMY_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # OJS 2.3's citation_date: %d/%m/%Y
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ELEMENT = etree.Element  # as a tag filter of lxml's iterators: elements only


def by_class(name: str) -> str:
    """An XPath predicate body: the element has CSS class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


@functools.lru_cache(maxsize=512)
def _compiled(xpath: str) -> etree.XPath:
    """An XPath compiled once (a parser asks the same few questions of every page; lxml's
    compiled XPath serialises its own evaluations, so threads may share it)."""
    return etree.XPath(xpath)


def find_all(node: etree._Element, xpath: str) -> list[etree._Element]:
    """The elements an XPath selects (text and attribute results are dropped)."""
    result = _compiled(xpath)(node)
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, etree._Element)]


def find(node: etree._Element, xpath: str) -> etree._Element | None:
    """The first element an XPath selects, or None."""
    found = find_all(node, xpath)
    return found[0] if found else None


def below(node: etree._Element, name: str, *, children: bool = False) -> list[etree._Element]:
    """The elements below ``node`` (its children only if ``children``) with CSS class ``name``,
    in document order.

    For small subtrees (a metadata block, a sub-item): a walk costs less than an XPath
    evaluation, and the page's index would have to sort out every element of that class.
    """
    elements = node.iterchildren(_ELEMENT) if children else node.iterdescendants(_ELEMENT)
    return [element for element in elements if has_class(element, name)]


def first_below(node: etree._Element, name: str, *, children: bool = False) -> etree._Element | None:
    """The first element ``below`` returns, or None."""
    elements = node.iterchildren(_ELEMENT) if children else node.iterdescendants(_ELEMENT)
    return next((element for element in elements if has_class(element, name)), None)


def first_by_class(node: etree._Element, *names: str) -> dict[str, etree._Element]:
    """{class: the first element below ``node`` with it} for each of ``names`` found.

    For small subtrees (an author's entry, a metadata block): one walk is cheaper than an
    XPath evaluation per class.
    """
    wanted = set(names)
    found: dict[str, etree._Element] = {}
    for element in node.iterdescendants():
        classes = element.get(b"class")
        if classes:
            for name in wanted.intersection(classes.split()):
                found.setdefault(name, element)
    return found


def collapse(text: str | None) -> str | None:
    """Whitespace (tabs, newlines, no-break spaces) collapsed to single spaces; "" is None."""
    if not text:
        return None
    return " ".join(text.split()) or None


def _chunks(element: etree._Element, out: list[list[str]], skip: frozenset[str], labels: bool) -> None:
    """Append ``element``'s text to ``out``, opening a new chunk at every block and <br>.

    Left out: the subtrees of ``_SKIP_TAGS``, of ``_SKIP_CLASSES`` and of a class in ``skip``,
    3.5's language switcher buttons (``data-pkp-switcher``), and headings and ``.label``
    elements unless ``labels``.  Each child's tag and class are read once (lxml calls
    dominate the cost of a text).
    """
    text = element.text  # (each read of text or tail makes a new string)
    if text:
        out[-1].append(text)
    for child in element:
        tag = child.tag
        if tag == "br":
            out.append([])
        elif isinstance(tag, str) and tag not in _SKIP_TAGS and child.get(b"data-pkp-switcher") is None:
            names = child.get(b"class")  # (bytes: lxml skips encoding the name)
            classes = names.split() if names else ()
            hidden = not labels and (tag in _HEADINGS or "label" in classes)
            if not hidden and _SKIP_CLASSES.isdisjoint(classes) and skip.isdisjoint(classes):
                block = tag in _BLOCK_TAGS
                if block:
                    out.append([])
                _chunks(child, out, skip, labels)
                if block:
                    out.append([])
        tail = child.tail
        if tail:
            out[-1].append(tail)


def _chunk_texts(element: etree._Element, skip: frozenset[str], *, labels: bool) -> list[str]:
    out: list[list[str]] = [[]]
    _chunks(element, out, skip, labels)
    return [text for text in (collapse("".join(chunk)) for chunk in out) if text]


def inner_text(element: etree._Element | None, skip: frozenset[str] = frozenset()) -> str | None:
    """The visible text of ``element``, whitespace collapsed, blocks separated by a space;
    subtrees with a class in ``skip`` left out."""
    if element is None:
        return None
    if not len(element):  # no children (most names, titles and links): its own text is all
        return collapse(element.text)
    return " ".join(_chunk_texts(element, skip, labels=True)) or None


def paragraphs(element: etree._Element | None) -> str | None:
    """Text with paragraphs kept: each block element and <br>-separated chunk is one paragraph.

    Headings and ``.label`` elements (the "Abstract" heading) are left out; paragraphs are
    whitespace-collapsed, empty ones dropped, and joined with a blank line.
    """
    if element is None:
        return None
    return "\n\n".join(_chunk_texts(element, frozenset(), labels=False)) or None


def full_date(text: str | None) -> str | None:
    """The ISO date of the first full date in ``text``: Y-M-D or Y/M/D (OJS's meta tags and
    default date format), else D/M/Y (OJS 2.3's ``citation_date``); None when there is none."""
    if not text:
        return None
    match = _FULL_DATE_RE.search(text)
    if match:
        return iso_date("{}-{:0>2}-{:0>2}".format(*match.groups()))
    match = _DMY_DATE_RE.search(text)
    return iso_date(f"{match[3]}-{match[2]:0>2}-{match[1]:0>2}") if match else None


@dataclass(frozen=True)
class Page:
    """A parsed page: its URL, root element, meta tags, ``<html lang>`` and class index."""

    url: str
    root: etree._Element
    lang: str | None
    index: ClassIndex

    @property
    def meta(self) -> MetaTags:
        """The page's named meta tags (read by the index's walk)."""
        return self.index.meta


def _encoding(content: bytes, charset: str | None) -> str:
    """The page's encoding: BOM, else ``charset`` (the HTTP header's), else ``<meta charset>``,
    else UTF-8; an unknown name is UTF-8 too (OJS itself only ever writes utf-8).  Known names
    come back as Python spells them ("UTF8" as "utf-8")."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")):
        if content.startswith(bom):
            return name
    match = _CHARSET_RE.search(content[:4096])
    name = charset or (match.group(1).decode("ascii") if match else "utf-8")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _decode(content: bytes, encoding: str) -> str:
    """The page as text, bad bytes replaced.

    An XML declaration (XHTML pages of old themes) is dropped: lxml refuses one in text.
    """
    try:
        text = content.decode(encoding, errors="replace")
    except LookupError:  # a codec that is not a text encoding ("rot13")
        text = content.decode("utf-8", errors="replace")
    return _XML_DECLARATION_RE.sub("", text, count=1)


def _is_plain_utf8(content: bytes) -> bool:
    """Whether ``content`` is valid UTF-8 with no XML declaration: libxml2 then reads the
    bytes as they are into the same tree as their text (without turning the text back into
    bytes first).

    A declaration ``_decode`` would drop is the first tag, so only the first tag is looked at
    (searching the whole page for one costs as much as the UTF-8 check).
    """
    first = content.find(b"<")
    if content[first : first + 5] == b"<?xml":
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse(content: bytes, charset: str | None) -> etree._Element | None:
    """The page's tree (see ``_encoding`` and ``_decode``)."""
    encoding = _encoding(content, charset)
    if encoding == "utf-8" and _is_plain_utf8(content):
        return etree.fromstring(content, _UTF8_PARSER)
    return etree.fromstring(_decode(content, encoding), HTML_PARSER)


def _not_found(page: Page) -> str | None:
    """Why the page is a "not found" page, else None.

    OJS 3.3 answers a missing article with the bare 22-byte body ``<h1>404 Not Found</h1>``
    (README quirk 8), which proxies and caches sometimes pass on with status 200; the 3.x
    theme's error page is ``div.page_error``.
    """
    index = page.index
    content = (
        index.select("obj_article_details") or index.select("obj_issue_toc") or index.with_id("articleTitle")
    )
    if not page.meta.has_prefix("citation_", "dc.") and not content:
        # (an article titled "… 404 … not found" keeps its page)
        for heading in find_all(page.root, "//h1 | //h2 | //title")[:4]:
            text = inner_text(heading)
            if text and _NOT_FOUND_RE.search(text) and len(text) < 80:
                return f'a "not found" page ({text!r}) instead of the page'
    errors = index.select("page_error")
    if errors:
        error = errors[0]
        described = find(error, f".//*[{by_class('description')}]")
        message = inner_text(described if described is not None else find(error, ".//h1"))
        return f"an OJS error page ({message or 'no message'!r}): the page was not found"
    return None


def _login(page: Page) -> str | None:
    """Why the page is a login form, else None.

    OJS sends a request for an unknown issue to ``/login?source=…`` with a 302 (README
    quirk 8, both 3.3 and 3.4).  The 3.x login page has ``form#login`` and the body class
    ``pkp_page_login``; OJS 2's has ``form#signinForm``.  (OJS 2's sidebar sign-in block on
    every page has a form without these ids, so it does not count.)
    """
    _, _, path, query = split_url(page.url)
    by_url = path.rstrip("/").endswith("/login") or dict(parse_qsl(query)).get("page") == "login"
    forms = [
        form for ident in ("login", "signinForm") for form in page.index.with_id(ident) if form.tag == "form"
    ]
    if forms or page.index.select("pkp_page_login", tag="body") or by_url:
        return "a login form instead of the page (OJS sends unknown or restricted pages to /login)"
    return None


def parse_page(content: bytes, url: str, charset: str | None = None) -> Page:
    """Parse ``content`` whatever page it is; ``charset`` is the one the HTTP header declares.

    Raises ``PageError(url, reason)`` only when there is no HTML to parse.
    """
    if not content or content.isspace():
        raise PageError(url, "empty page")
    try:
        root = _parse(content, charset)
    except etree.LxmlError as exc:  # only on input with no markup at all
        raise PageError(url, f"not an HTML page ({exc})") from exc
    if root is None:
        raise PageError(url, "not an HTML page")
    html = find(root, "/html") if root.tag != "html" else root
    return Page(url, root, element_lang(html) if html is not None else None, ClassIndex(root))


def _closes_html(content: bytes) -> bool:
    """Whether ``content`` has a ``</html>`` anywhere; its last kilobyte is searched first,
    where a whole page has it."""
    tail = max(0, len(content) - 1024)
    return _HTML_END_RE.search(content, tail) is not None or _HTML_END_RE.search(content) is not None


def load_page(content: bytes, url: str) -> Page:
    """Parse ``content`` and reject a not-found page, a login form or a truncated page.

    Raises ``PageError(url, reason)``.  The checks run in that order: OJS's bare 404 body
    has no ``</html>``, and a not-found page is the better reason.
    """
    page = parse_page(content, url)
    reason = _not_found(page) or _login(page)
    if reason is None and not _closes_html(content):
        reason = "truncated page: it ends without a closing </html>"
    if reason is not None:
        raise PageError(url, reason)
    return page


def is_ojs(page: Page) -> bool:
    """Whether the page looks like any OJS page (generator, plugin meta tags, theme markup)."""
    generator = page.meta.first("generator") or ""
    if "open journal systems" in generator.lower():
        return True
    if page.meta.has_prefix("citation_", "dc."):
        return True
    return bool(page.index.select("pkp_structure_page"))


def require(page: Page, found: bool, kind: str, markers: str) -> None:
    """Raise ``PageError`` unless ``found``: the page is not the OJS ``kind`` page asked for."""
    if found:
        return
    if is_ojs(page):
        raise PageError(page.url, f"not an OJS {kind} page: an OJS page without {markers}")
    raise PageError(page.url, f"not an OJS {kind} page: no OJS meta tags and no {markers}")
