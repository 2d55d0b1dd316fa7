"""A page read once: its elements by class token and by id, and its named meta tags.

OJS themes name every part of a page by class (``.item.keywords``, ``.obj_galley_link``) and
OJS 2 by id; the Google Scholar and Dublin Core plugins write ``<meta name>`` tags.  One walk
of the tree answers every question a page parser asks of them.
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from harvester.parse.normalize import clean_text

__all__ = ["ClassIndex", "Meta", "MetaTags", "element_lang", "has_class"]


class Meta(NamedTuple):
    """One ``<meta name content>`` tag; ``lang`` from xml:lang or lang, '_' written '-'."""

    name: str
    content: str
    lang: str | None


class MetaTags:
    """The page's named meta tags in document order, looked up by name case-insensitively."""

    def __init__(self, items: list[Meta]) -> None:
        """Keep ``items`` in document order, and by name."""
        self.items = tuple(items)
        self._keyed = [(meta.name.casefold(), meta) for meta in items]
        self._named: dict[str, list[Meta]] = {}
        for key, meta in self._keyed:
            found = self._named.get(key)
            if found is None:
                self._named[key] = [meta]
            else:
                found.append(meta)
        self._values: dict[str, list[str]] = {}  # by name as asked, as ``_stripped`` gives them
        # Every language the tags are in, once each, in document order.
        self.langs = tuple(dict.fromkeys(meta.lang for meta in items if meta.lang))

    def in_order(self, *names: str) -> list[tuple[str, Meta]]:
        """(case-folded name, tag) of every tag called one of ``names``, in document order."""
        wanted = {name.casefold() for name in names}
        return [(key, meta) for key, meta in self._keyed if key in wanted]

    def all(self, name: str) -> list[Meta]:
        """Every tag called ``name``, empty ones included (positions matter for DC.Format)."""
        return list(self._named.get(name.casefold(), ()))

    def _stripped(self, name: str) -> list[str]:
        """The non-empty contents of the tags called ``name``, stripped, in order (worked out
        once per name: several fields ask for the same names)."""
        found = self._values.get(name)
        if found is None:
            stripped = (meta.content.strip() for meta in self._named.get(name.casefold(), ()))
            found = self._values[name] = [value for value in stripped if value]
        return found

    def values(self, name: str) -> list[str]:
        """The non-empty contents of the tags called ``name``, stripped, in order."""
        return list(self._stripped(name))

    def first(self, name: str) -> str | None:
        """The first non-empty content of ``name``."""
        found = self._stripped(name)
        return found[0] if found else None

    def text(self, *names: str) -> str | None:
        """The first non-empty content of the first name that has one, via ``clean_text``."""
        for name in names:
            for value in self._stripped(name):
                cleaned = clean_text(value)
                if cleaned:
                    return cleaned
        return None

    def has_prefix(self, *prefixes: str) -> bool:
        """Whether any tag's name starts with one of ``prefixes`` (compared case-insensitively)."""
        folded = tuple(prefix.casefold() for prefix in prefixes)
        return any(name.startswith(folded) for name in self._named)


def has_class(element: etree._Element, name: str) -> bool:
    """Whether ``element`` has CSS class ``name``."""
    classes = element.get(b"class")  # (bytes: lxml skips encoding the name)
    return classes is not None and name in classes.split()


def element_lang(element: etree._Element) -> str | None:
    value = element.get("{http://www.w3.org/XML/1998/namespace}lang") or element.get("xml:lang")
    value = value or element.get("lang")
    return (value.strip().replace("_", "-") or None) if value else None


# A NamedTuple's own ``__new__`` is a Python function: building the tuple directly is a
# third of its cost, and a page has about fifty meta tags.
_new_meta = tuple.__new__


def _metas(root: etree._Element) -> list[Meta]:
    """The page's ``<meta name>`` tags: name, content and language; the language attributes
    are read only when a tag has attributes besides those two (most have none)."""
    metas = []
    for element in root.iter("meta"):
        name = element.get(b"name")  # (bytes: see ``ClassIndex``)
        if name is not None:
            content = element.get(b"content")
            lang = element_lang(element) if len(element.attrib) > (1 if content is None else 2) else None
            metas.append(_new_meta(Meta, (name.strip(), content or "", lang)))
    return metas


class ClassIndex:
    """A page's elements by class token and by id, in document order, from one walk, and its
    named meta tags.

    OJS themes name every part of a page by class (``.item.keywords``, ``.obj_galley_link``)
    and OJS 2 by id.  An XPath class test walks the whole tree for each question, and an
    article page asks about forty; the index answers them from one walk.  Each element's
    position in document order answers "below this element" without walking its ancestors.

    The index holds on to every node of the body: lxml keeps a node's Python object only
    while something refers to it, so each field reader walking a block would otherwise
    build (and free) the objects of its elements again.
    """

    def __init__(self, root: etree._Element) -> None:
        """Walk ``root``'s body once (each attribute read once per element: lxml calls dominate)."""
        # Every node of the body in document order (elements, and comments or processing
        # instructions if the parser kept any: positions count them alike).  The head holds
        # meta tags, links and scripts, which no reader asks for by class or id.
        body = root.find("body") if root.tag == "html" else None
        self._top, self._root = root, root if body is None else body
        self._nodes = list(self._root.iter())
        self._classes: dict[str, list[etree._Element]] = {}
        self._ids: dict[str, list[etree._Element]] = {}
        self._positions: dict[etree._Element, int] = {}
        self._spans: dict[etree._Element, range] = {}
        classes, ids, positions = self._classes, self._ids, self._positions
        # Attribute names as bytes: lxml then skips encoding the name on each read.
        for position, element in enumerate(self._nodes):
            names = element.get(b"class")
            if names:
                positions[element] = position
                for name in names.split():
                    found = classes.get(name)
                    if found is None:
                        classes[name] = [element]
                    elif found[-1] is not element:  # not a token repeated in one attribute
                        found.append(element)
            ident = element.get(b"id")
            if ident:
                positions[element] = position
                found = ids.get(ident)
                if found is None:
                    ids[ident] = [element]
                else:
                    found.append(element)
        self.meta = MetaTags(_metas(root))

    def _position(self, node: etree._Element, start: int = 0) -> int:
        """``node``'s place in document order (searched in the walk's list unless indexed)."""
        position = self._positions.get(node)
        return self._nodes.index(node, start) if position is None else position

    def _span(self, element: etree._Element) -> range:
        """The positions of the nodes below ``element``: up to the first node after its
        subtree, the next sibling of it or of its nearest ancestor that has one."""
        span = self._spans.get(element)
        if span is None:
            start = self._position(element) + 1
            end = len(self._nodes)
            node: etree._Element | None = element
            while node is not None and node is not self._root:
                following = node.getnext()
                if following is not None:
                    end = self._position(following, start)
                    break
                node = node.getparent()
            span = self._spans[element] = range(start, end)
        return span

    def _below(self, found: list[etree._Element], within: etree._Element | None) -> list[etree._Element]:
        """The indexed elements of ``found`` that lie below ``within``, an element of the
        page (all of them when None)."""
        if within is None or within is self._top:
            return list(found)
        span, positions = self._span(within), self._positions
        return [element for element in found if positions[element] in span]

    def select(
        self, *names: str, within: etree._Element | None = None, tag: str | None = None
    ) -> list[etree._Element]:
        """The elements with every class of ``names`` (and tag ``tag``), below ``within`` if given."""
        found = self._classes.get(names[0], [])
        for name in names[1:]:  # (few elements: their classes read again)
            found = [element for element in found if has_class(element, name)]
        if tag is not None:
            found = [element for element in found if element.tag == tag]
        return self._below(found, within)

    def with_id(self, ident: str, within: etree._Element | None = None) -> list[etree._Element]:
        """The elements with id ``ident`` (OJS 2 repeats some), below ``within`` if given."""
        return self._below(self._ids.get(ident, []), within)
