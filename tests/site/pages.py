"""The test OJS site's HTML pages, rendered from template files per OJS release.

Templates live in ``templates/RELEASE/``, each named after the OJS template it stands for
(``frontend/pages/article.tpl`` is ``frontend/pages/article.html``) with a header comment naming the
OJS tag and file. ``templates/3.3.0-11`` (the recorded install, ``shared/samples/sites/jsas_ojs3.3.0-11``)
holds them all; a later release's directory would hold only the templates that changed in it,
looked up newest first down to 3.3.0-11 (3.4.0-8 reads 3.4.0-8, 3.4.0-4, 3.3.0-20, 3.3.0-11).  A
difference of a line or two is a ``Release`` switch the template reads instead (the meta tags of
3.4 and 3.5), so no release needs a directory of its own today.

Every ``{{ }}`` is escaped as OJS escapes (PHP ``htmlspecialchars`` with ENT_QUOTES, ``escaping.hsc``)
unless it is ``Markup``; the filter ``stored`` writes plain text as OJS stores rich text, and ``join``
escapes its items the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from tests.site.cite import cite
from tests.site.escaping import hsc, stored
from tests.site.galleys import LABELS
from tests.site.ojs_releases import RELEASES, Release

if TYPE_CHECKING:
    from tests.site.model import SimArticle, SimIssue, SimJournal
    from tests.site.server import OjsSite

__all__ = [
    "archive_page",
    "article_page",
    "home_page",
    "html_view_page",
    "issue_page",
    "login_page",
    "non_ojs_page",
    "pdf_view_page",
    "site_index_page",
    "soft_404_page",
]

TEMPLATES = Path(__file__).parent / "templates"
_DATA = Path(__file__).parent / "data"
_LICENSES = json.loads((_DATA / "licenses.json").read_text(encoding="utf-8"))  # URL -> code, name
_POSTS = json.loads((_DATA / "blog_posts.json").read_text(encoding="utf-8"))  # slug -> title, text
_GOOGLE_SCHOLAR = "plugins/generic/googleScholar/meta.html"
_DUBLIN_CORE = "plugins/generic/dublinCoreMeta/meta.html"
# pkp-lib classes/citation/Citation ``getCitationWithLinks`` (3_3_0-11 .inc.php; same in 3_4_0-8, 3_5_0-1).
_CITATION_URL_RE = re.compile(r"(http|https|ftp)://[\d\w\.-]+\.[\w\.]{2,6}[^\s\]\[\<\>]*/?")


# ----------------------------------------------------------------------------------------------------
# Template environment
# ----------------------------------------------------------------------------------------------------


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.-]", name))


def search_path(release: Release) -> list[Path]:
    """The template directories of ``release`` and every earlier release, newest first."""
    upto = _version_key(release.name)
    names = sorted((n for n in RELEASES if _version_key(n) <= upto), key=_version_key, reverse=True)
    return [TEMPLATES / name for name in names if (TEMPLATES / name).is_dir()]


def _written(html: str) -> Markup:
    """Text that is already markup as OJS writes it (escaped by ``hsc``/``stored``, or stored rich text)."""
    return Markup(html)  # noqa: S704 -- escaped or stored by the callers, as OJS does


def _escaped(value: object) -> Markup:
    """Autoescape with OJS's escaping: ``Markup`` passes, anything else goes through ``hsc``."""
    return value if isinstance(value, Markup) else _written(hsc(value))


def _join(items: Iterable[object], separator: str = "") -> Markup:
    return _written(separator.join(str(_escaped(item)) for item in items))


def _with_links(citation: str) -> Markup:
    """A raw citation as ``getCitationWithLinks`` shows it: bare URLs linked, a trailing . or , left out."""

    def link(match: re.Match[str]) -> str:
        url = match[0].rstrip(".,")
        return f'<a href="{url}">{url}</a>{match[0][len(url) :]}'

    return _written(_CITATION_URL_RE.sub(link, hsc(citation)))


@cache
def _environment(release: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(search_path(RELEASES[release])),
        autoescape=True,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    environment.filters.update(
        stored=lambda text: _written(stored(text)),
        join=_join,
        rawurlencode=lambda text: quote(text, safe=""),  # PHP rawurlencode
        paragraphs=lambda text: text.split("\n\n"),
        citation_links=_with_links,
    )
    environment.globals.update(labels=LABELS, licenses=_LICENSES)
    return environment


def _render(release: Release, name: str, **context: Any) -> str:
    return _environment(release.name).get_template(name).render(release=release, **context)


def _page(journal: SimJournal, name: str, title: str, body_class: str, **context: Any) -> str:
    """A whole default-theme page (header.html, the page, footer.html); ``title`` is plain text."""
    frame: dict[str, Any] = {
        "home": False,
        "head_templates": (),
        "crumbs": [],
        "article_scripts": "pkp_page_article" in body_class,
    }
    return _render(
        journal.release, name, journal=journal, page_title=title, body_class=body_class, **frame | context
    )


# ----------------------------------------------------------------------------------------------------
# Journal home, issue archive, issue table of contents
# ----------------------------------------------------------------------------------------------------


def home_page(journal: SimJournal, current: SimIssue | None) -> str:
    """The journal's home page: the current issue's table of contents and a link to the archive."""
    head = ["plugins/generic/webFeed/links.html"]
    return _page(
        journal,
        "frontend/pages/indexJournal.html",
        journal.title,
        "pkp_page_index pkp_op_index",
        home=True,
        head_templates=head,
        current=current,
    )


def archive_page(
    journal: SimJournal, issues: list[SimIssue], page: int, size: int, *, themed: bool = False
) -> str:
    """``/issue/archive[/N]``: ``size`` issues per page, newest first; past the end, an empty list.

    ``themed``: a theme's own archive template around OJS's issue summaries, with paging
    controls of its own (no ``page_issue_archive`` wrapper, no ``cmp_pagination``)."""
    heading = "Archives" if page == 1 else f"Archives - Page {page}"
    shown = issues[(page - 1) * size : page * size]
    return _page(
        journal,
        "frontend/pages/issueArchive.html",
        heading,
        "pkp_page_issue pkp_op_archive",
        crumb_current=heading,
        heading=heading,
        shown=shown,
        page=page,
        size=size,
        total=len(issues),
        themed=themed,
    )


def issue_page(issue: SimIssue) -> str:
    """``/issue/view/ID``: the issue's table of contents."""
    journal = issue.journal
    return _page(
        journal,
        "frontend/pages/issue.html",
        issue.identification,
        "pkp_page_issue pkp_op_view",
        crumbs=[(f"{journal.url}/issue/archive", "Archives")],
        crumb_current=issue.identification,
        issue=issue,
    )


# ----------------------------------------------------------------------------------------------------
# Article page
# ----------------------------------------------------------------------------------------------------


def _abstract_html(art: SimArticle) -> str:
    """The abstract as stored (rich text): one ``<p>`` per paragraph, or ``<br>`` / a ``<ul>``."""
    paras = [stored(p, raw_amp=art.raw_amp) for p in art.paragraphs]
    if art.abstract_style == "br":
        return f"<p>{'<br>'.join(paras)}</p>"
    if art.abstract_style == "ul" and len(paras) > 1:
        return f"<p>{paras[0]}</p><ul>{''.join(f'<li>{p}</li>' for p in paras[1:])}</ul>"
    return "".join(f"<p>{p}</p>" for p in paras)


def _keyword_slots(art: SimArticle, release: Release) -> list[tuple[str, str]]:
    """(keyword, language) of ``citation_keywords``: the UI locale's up to 3.3; from 3.4 every
    locale's, keyword i of a later locale replacing keyword i of an earlier one in its place
    (``Release.keywords_every_locale``; see the googleScholar template)."""
    locales = [("en", art.keywords)]
    if release.keywords_every_locale:
        locales.append(("fr", art.keywords_fr))
    slots: dict[int, tuple[str, str]] = {}
    for language, keywords in locales:
        for i, keyword in enumerate(keywords):
            slots[i] = (keyword, language)
    return list(slots.values())


def _meta_context(art: SimArticle, abstract_html: str) -> dict[str, Any]:
    """What the meta-tag plugins compute: the dates, the page range, the stripped abstract."""
    journal = art.owner
    assert journal is not None
    first, _, last = art.pages.partition("-")
    same_year = art.published[:4] == str(art.year)  # else the issue's year only (recorded A#6)
    return {
        "issn": journal.issn_online or journal.issn_print,
        "citation_date": art.published.replace("-", "/") if same_year else art.year,
        "first_page": first,
        "last_page": last or first,
        "submitted": date.fromisoformat(art.published) - timedelta(days=120),
        "abstract_text": re.sub(r"<[^>]*>", "", abstract_html),  # strip_tags, escaped once more
        "abstract_fr_stored": stored(art.abstract_fr) if art.abstract_fr else "",
        "keyword_slots": _keyword_slots(art, journal.release),
    }


def article_page(art: SimArticle, issue: SimIssue | None) -> str:
    """``/article/view/ID``: meta tags, then the theme's ``obj_article_details``."""
    journal = art.owner
    assert journal is not None
    label = f"Vol. {art.volume} No. {art.number} ({art.year})"
    label += f": {art.issue_title}" if art.issue_title else ""
    crumbs = [(f"{journal.url}/issue/archive", "Archives")] + ([(issue.url(), label)] if issue else [])
    abstract_html = _abstract_html(art)
    return _page(
        journal,
        "frontend/pages/article.html",
        art.full_title,
        "pkp_page_article pkp_op_view",
        head_templates=[_GOOGLE_SCHOLAR, _DUBLIN_CORE],
        crumbs=crumbs,
        crumb_current=art.section_title,
        art=art,
        issue=issue,
        issue_label=label,
        abstract_html=_written(abstract_html),
        citation_html=_written(cite(art, markup=True)),
        **_meta_context(art, abstract_html),
    )


# ----------------------------------------------------------------------------------------------------
# Galley view pages
# ----------------------------------------------------------------------------------------------------


def pdf_view_page(art: SimArticle, galley_id: int) -> str:
    """The pdfJsViewer page of a PDF galley: no metadata, the file only via JS and the download link."""
    journal = art.owner
    assert journal is not None
    download = art.download_url(galley_id, file=True)
    pdf_url = json.dumps(download).replace("/", "\\/")  # PHP json_encode escapes slashes
    return _render(
        journal.release,
        "plugins/generic/pdfJsViewer/display.html",
        journal=journal,
        art=art,
        download=download,
        pdf_url=_written(pdf_url),
    )


def html_view_page(art: SimArticle, galley_id: int) -> str:
    """The HtmlArticleGalley page: the file in an iframe (``src`` with tabs, a newline and ?inline=1)."""
    journal = art.owner
    assert journal is not None
    return _render(
        journal.release,
        "plugins/generic/htmlArticleGalley/display.html",
        journal=journal,
        art=art,
        download=art.download_url(galley_id),
    )


# ----------------------------------------------------------------------------------------------------
# Other pages: login, the theme's "not found", the site index, a non-OJS site
# ----------------------------------------------------------------------------------------------------


def login_page(journal: SimJournal, source: str) -> str:
    """``/login``, where OJS sends requests for unknown issues (``?source=`` the page asked for)."""
    token = hashlib.md5(journal.path.encode(), usedforsecurity=False).hexdigest()
    return _page(
        journal,
        "frontend/pages/userLogin.html",
        "Login",
        "pkp_page_login pkp_op_index",
        crumb_current="Login",
        source=source,
        token=token,
    )


def soft_404_page(journal: SimJournal) -> str:
    """The theme's error page, served with 200: no article markup, no citation_* meta."""
    return _page(
        journal,
        "frontend/pages/error.html",
        "Not Found",
        "pkp_page_article pkp_op_view",
        crumb_current="Not Found",
    )


def site_index_page(site: OjsSite) -> str:
    """The site's home when it hosts several journals (``page_index_site``)."""
    return _render(site.release, "frontend/pages/indexSite.html", journals=list(site.journals.values()))


def non_ojs_page(site: OjsSite, prefix: str, slug: str) -> str | None:
    """A small WordPress-style blog (no OJS markup) linking to the first journal, or None if unknown."""
    if slug not in _POSTS:
        return None
    return _render(
        site.release,
        "non_ojs/blog.html",
        prefix=prefix,
        slug=slug,
        title=_POSTS[slug]["title"],
        text=_POSTS[slug]["text"],
        posts=_POSTS,
        journal=next(iter(site.journals.values()), None),
    )
