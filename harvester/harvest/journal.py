"""The journal's own identity: its name, online and print ISSN, publisher, primary locale and
OJS version, from whichever of OJS's surfaces a run reads.

Each source says part of it, and OJS's code says which part (the store keeps every fact
some source stated; see ``store.journals.update_journal``):

==================  ===========================================  ===========================================
fact                OAI-PMH                                      the journal's pages
==================  ===========================================  ===========================================
name (primary       Identify ``repositoryName``: the journal's   ``citation_journal_title``: the name in the
locale)             name in the request's locale (ojs classes/   primary locale (pkp/googleScholar at 7c9dddc,
                    oai/ojs/JournalOAI ``repositoryInfo``,       f9eaa17, f59a886, pinned by 3_3_0-11,
                    3_3_0-11, 3_5_0-1), the primary one for a    3_4_0-8, 3_5_0-1)
                    client without a locale cookie
online / print      untagged ``dc:source`` lines: the online,    ``citation_issn`` (and ``DC.Source.ISSN``):
ISSN                then the print ISSN (plugins/metadata/dc11/  online, else print (same plugins); the web
                    filter/Dc11SchemaArticleAdapter, 3_4_0-8)    feed's ``prism:issn``: print, else online
publisher           ``dc:publisher``: the publisher institution, the web feed's ``dc:publisher``: the
                    else the journal's name in each locale       institution only (``parse.journal_feed``)
                    (same adapter), so a publisher equal to the
                    journal's name is no publisher
primary locale      —                                            the web feed's ``dc:language``
OJS version         Identify's toolkit description (``oai``)     the generator meta tag (lib classes/template/
                                                                 PKPTemplateManager)
==================  ===========================================  ===========================================

With one ISSN known and no second source to tell its kind, ``issn`` holds it and the online
and print columns stay empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Article, JournalFacts
from ..parse.html.site import generator_version
from .oai import RepositoryInfo

__all__ = ["identify_facts", "page_facts", "record_facts"]


def identify_facts(info: RepositoryInfo) -> JournalFacts | None:
    """The journal's name and OJS version from an OJS endpoint's Identify; None for other software,
    whose repository name need not be the journal's."""
    if info.ojs_version is None:
        return None
    return JournalFacts(title=info.name, ojs_version=info.ojs_version)


def record_facts(live: Sequence[Article]) -> JournalFacts | None:
    """What the first live OAI record naming its journal says of it (name: see ``update_journal``)."""
    for article in live:
        journal = article.issue.journal_title if article.issue else None
        if journal:
            issns = article.issns
            online, printed = (issns[0], issns[1]) if len(issns) >= 2 else (None, None)
            return JournalFacts(
                title=journal,
                issn=issns[0] if issns else None,
                online_issn=online,
                print_issn=printed,
                issns=issns,
                publisher=article.publisher if article.publisher != journal else None,
            )
    return None


def page_facts(feed: JournalFacts | None, article: Article | None, generator: str | None) -> JournalFacts:
    """The journal as its pages show it: an article page (name, ``citation_issn``), the web feed
    (``parse.journal_feed``: publisher, primary locale, its ISSN) and a generator tag."""
    title = article.issue.journal_title if article is not None and article.issue is not None else None
    shown = article.issns[0] if article is not None and article.issns else None  # online first
    fed = feed.print_issn if feed is not None else None  # print first
    online, printed = (shown, fed) if shown and fed and shown != fed else (None, None)
    return JournalFacts(
        title=title or (feed.title if feed is not None else None),
        issn=shown,  # the feed's alone may be the print one (a run that parsed no article page)
        online_issn=online,
        print_issn=printed,
        issns=tuple(dict.fromkeys(issn for issn in (shown, fed) if issn)),
        publisher=feed.publisher if feed is not None else None,
        primary_locale=feed.primary_locale if feed is not None else None,
        ojs_version=generator_version(generator),
    )
