"""What the test OJS site changes per OJS release: each switch read in OJS's source at the release tags.

``OjsSite(..., release="3.4.0-8")`` picks one of :data:`RELEASES`; the OAI side (``oai``) and the
pages (``pages``) ask it, and a release whose markup differs has its own ``templates/RELEASE``
directory with the templates that changed. The default, 3.3.0-11, is what the site always served (it
copies the recorded 3.3.0-11 install). Tags below are pkp/ojs tags; "lib:" is pkp/pkp-lib at the commit
the tag pins; "observed" is the recorded site in ``shared/samples/sites``.

Alike in every release here (so no switch): an unpublished article's page, galley view and download
answer 404 for anonymous users (3.2+; tags 3_3_0-11, 3_4_0-8, 3_5_0-1 pages/article/ArticleHandler
``initialize``; observed on 3.3.0-11 and 3.5.0-1), and an unknown issue is a 302 to the login page.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_RELEASE", "RELEASES", "Release"]


@dataclass(frozen=True)
class Release:
    """One OJS release as the harvester meets it."""

    name: str  # the git tag's spelling, "3.4.0-8"
    # Past the last archive page: 200 with an empty list, or 404 from 3.3.0-20, 3.4.0-8 and 3.5
    # (pkp-lib#10596; tag 3_3_0-20 pages/issue/IssueHandler.inc.php and tag 3_4_0-8
    # pages/issue/IssueHandler.php ``archive``: ``if (!count($issues) && $offset) handle404()``, absent
    # at 3_3_0-11 and 3_4_0-4; tag 3_5_0-1: ``NotFoundHttpException``; observed on 3.5.0-1, O1).
    archive_past_end: int
    # Locale codes: en_US up to 3.3, en from 3.4 (fr_CA in both). oai_dc's xml:lang is the code with
    # "_" -> "-" (lib: plugins/oaiMetadataFormats/dc/PKPOAIMetadataFormat_DC ``toXml``), and so is
    # ``<html lang>`` (templates/frontend/components/header.tpl): en-US (3.3) vs en (3.4+).
    regional_english: bool
    # dc:creator: one per author in the UI locale, no xml:lang (tag 3_3_0-11
    # plugins/metadata/dc11/filter/Dc11SchemaArticleAdapter.inc.php, ``getFullName(false, true)``), or
    # one per author per locale with a given name, grouped by locale (tag 3_4_0-4 and later,
    # Dc11SchemaArticleAdapter.php ``_addLocalizedElements(..., $author->getFullNames(false, true))``;
    # from 3.4.0-2, pkp-lib#9184; observed on 3.5.0-1, O6).
    creators_per_locale: bool
    # Page meta tags in every form locale: DC.Subject, keywords of the UI locale only in 3.3 (tag
    # 3_3_0-11 plugins/generic/dublinCoreMeta/DublinCoreMetaPlugin.inc.php ``getKeywords(...,
    # [AppLocale::getLocale()])``), of every locale from 3.4 (tag 3_4_0-4 DublinCoreMetaPlugin.php,
    # ``$publication->getData('keywords')``); citation_keywords likewise, with the later locale's keyword
    # i replacing the earlier one's (pkp/googleScholar headers ``googleScholarKeyword{i}``; shared/OJS.md
    # section 4; observed on 3.5.0-1, #301 keeps only its es keywords).
    keywords_every_locale: bool
    # Meta tag xml:lang: two letters up to 3.4 (``substr($locale, 0, 2)``, both DublinCoreMetaPlugin
    # tags above), BCP 47 in 3.5 (tag 3_5_0-1 DublinCoreMetaPlugin.php ``LocaleConversion::toBcp47``;
    # DC.Language ``scheme="rfc5646"``).
    bcp47_meta: bool
    # A journal with more than one locale has a locale segment in every URL (lib:
    # classes/core/PKPPageRouter.php from 3_5_0-0); a locale-less URL answers 302 to the primary
    # locale's; URLs in meta tags and OAI records are built without it (observed on 3.5.0-1, O2, O4).
    # dc:language holds OJS locale codes from 3.5, ISO 639-3 before (shared/OJS.md section 3.9; observed).
    url_locale: bool
    # citation_abstract (submission locale, tags stripped, escaped twice) from the googleScholar
    # plugin pinned by 3.4 (shared/OJS.md section 6; observed on 3.5.0-1); the one pinned by
    # 3_3_0-11 (pkp/googleScholar 7c9dddc) writes none.
    scholar_abstract: bool

    @property
    def version(self) -> str:
        """``Version::getVersionString()``: the OAI toolkit version and the generator meta, "3.4.0.8"."""
        return self.name.replace("-", ".")

    @property
    def generator(self) -> str:
        """The pages' generator meta (lib: classes/template/PKPTemplateManager)."""
        return f"Open Journal Systems {self.version}"

    @property
    def toolkit_url(self) -> str:
        """Identify's toolkit URL: http up to 3.3, https from 3.4.0-0 (lib: classes/oai/OAI.php)."""
        return "http://pkp.sfu.ca/ojs/" if self.regional_english else "https://pkp.sfu.ca/ojs/"

    @property
    def oai_jats(self) -> bool:
        """The ``jats`` OAI format: pkp/oaiJats is bundled from 3.5.0-0 (ojs ``.gitmodules`` at
        3_5_0-1, ``plugins/oaiMetadataFormats/oaiJats``; absent at 3_4_0-8; observed on 3.5.0-1, O9)."""
        return self.url_locale

    def oai_lang(self, language: str) -> str:
        """oai_dc xml:lang of the journal's "en" or "fr" locale (en_US/fr_CA, or en/fr_CA)."""
        if language == "fr":
            return "fr-CA"
        return "en-US" if self.regional_english else "en"

    def meta_lang(self, language: str) -> str:
        """A page meta tag's xml:lang of the "en" or "fr" locale."""
        return self.oai_lang(language) if self.bcp47_meta else language

    @property
    def html_lang(self) -> str:
        """``<html lang>``: the UI locale (the journal's primary, en)."""
        return self.oai_lang("en")

    @property
    def dc_language(self) -> str:
        """oai_dc ``dc:language`` of an English galley: ISO 639-3 up to 3.4, the locale code in 3.5."""
        return "en" if self.url_locale else "eng"


RELEASES: dict[str, Release] = {
    release.name: release
    for release in (
        Release("3.3.0-11", 200, True, False, False, False, False, False),
        Release("3.3.0-20", 404, True, False, False, False, False, False),
        Release("3.4.0-4", 200, False, True, True, False, False, True),
        Release("3.4.0-8", 404, False, True, True, False, False, True),
        Release("3.5.0-1", 404, False, True, True, True, True, True),
    )
}
DEFAULT_RELEASE = "3.3.0-11"
