"""The test OJS site's ``jats`` OAI format, as OJS 3.5 writes it (pkp/oaiJats with pkp/jatsTemplate).

Shaped on the real record of the recorded 3.5.0-1 site (shared/samples/sites/ajpa_ojs3.5.0-1,
ListRecords metadataPrefix=jats): an ``<article>`` in ``https://jats.nlm.nih.gov/publishing/1.1/``
whose ``<back>`` holds ``ref-list/ref[@id=R1…]/mixed-citation``, one per citation in order, the raw
text escaped once (pkp/jatsTemplate ``classes/ArticleBack.php`` at 8ae94b3: ``htmlspecialchars(
$citation->getRawCitation())``; no ``ref-list`` when there are none).  Only what a harvester reads
of it is written: the front matter is cut down to the article id.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.site.ojs_releases import Release
    from tests.site.ojs_site import SimArticle

__all__ = ["JATS_FORMAT", "formats_of", "jats_record_xml"]

# ListMetadataFormats' entry (pkp/oaiJats OAIMetadataFormatPlugin_JATS ``getSchema``/``getNamespace``
# at 5a2a66c; observed on 3.5.0-1).
JATS_FORMAT = (
    "https://jats.nlm.nih.gov/publishing/0.4/xsd/JATS-journalpublishing0.xsd",
    "http://jats.nlm.nih.gov",
)


def formats_of(release: Release, formats: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The formats a release lists: ``jats`` second from 3.5, as the recorded site orders it."""
    if not release.oai_jats:
        return formats
    first, *rest = formats.items()
    return dict([first, ("jats", JATS_FORMAT), *rest])


def jats_record_xml(header: str, art: SimArticle) -> str:
    """One live ``<record>`` in ``jats``."""
    refs = "".join(
        f'<ref id="R{n}"><mixed-citation>{escape(text, quote=False)}</mixed-citation></ref>'
        for n, text in enumerate(art.references, 1)
    )
    back = f"<back><ref-list>{refs}</ref-list></back>" if refs else "<back/>"
    article = (
        '<article xmlns="https://jats.nlm.nih.gov/publishing/1.1/" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xml:lang="en" dtd-version="1.1" specific-use="eps-0.1">'
        "<front><article-meta>"
        f'<article-id pub-id-type="publisher-id">{art.id}</article-id></article-meta></front><body/>{back}'
        "</article>"
    )
    return f"\t\t<record>\n{header}\t\t\t<metadata>\n{article}\n\t\t\t</metadata>\n\t\t</record>\n"
