"""The journal's RSS 1.0 feed (``BASE/gateway/plugin/WebFeedGatewayPlugin/rss``) as ``JournalFacts``.

OJS's web feed plugin (on by default) writes the journal itself into the feed's channel
(ojs plugins/generic/webFeed/templates/rss.tpl at 3_3_0-11; the same channel in the recorded
3.5.0-1 feed, samples ajpa ``…/en/gateway/plugin/WebFeedGatewayPlugin/rss``):

- ``dc:publisher``: the journal's publisher institution, only when it has one;
- ``dc:language``: the journal's primary locale, ``_`` written as ``-`` (``en-US``);
- ``prism:publicationName``: the journal's name in the request's locale (the primary one for a
  client without a locale cookie or URL segment);
- ``prism:issn``: the **print** ISSN, else the online one (the opposite of ``citation_issn``,
  which is why the two together tell one from the other: see ``journal.page_facts``).

Pure: bytes in, facts out.  Raises ``PageError`` when the bytes are not an RSS 1.0 feed.
"""

from __future__ import annotations

from lxml import etree

from harvester.errors import PageError
from harvester.model import JournalFacts
from harvester.ojs.locales import locale_tag
from harvester.parse.normalize import clean_text, normalize_issn

__all__ = ["parse_journal_feed"]

_RSS = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_PRISM = "{http://prismstandard.org/namespaces/1.2/basic/}"
# Hardened: no entity expansion, no network, no DTD.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _text(channel: etree._Element, tag: str) -> str | None:
    return clean_text(channel.findtext(tag))


def parse_journal_feed(content: bytes, url: str) -> JournalFacts:
    """What the feed's channel says of the journal: name, publisher, primary locale, an ISSN.

    The ISSN is returned as ``print_issn`` only tentatively (it is the online one when the
    journal has no print ISSN); ``journal.page_facts`` settles it against ``citation_issn``.
    """
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise PageError(url, f"not an RSS feed ({exc})") from exc
    channel = root.find(f"{_RSS}channel")
    if channel is None:
        raise PageError(url, "not an RSS 1.0 feed (no rss:channel)")
    issn = normalize_issn(_text(channel, f"{_PRISM}issn"))
    return JournalFacts(
        title=_text(channel, f"{_PRISM}publicationName") or _text(channel, f"{_RSS}title"),
        print_issn=issn,
        issns=(issn,) if issn else (),
        publisher=_text(channel, f"{_DC}publisher"),
        primary_locale=locale_tag(_text(channel, f"{_DC}language")),
    )
