"""An OJS-shaped server (OAI-PMH and the journals' HTML pages) for tests and benchmarks: the entry module.

It re-exports what tests use (``OjsSite``, the ``Sim*`` data classes, the granularities) and runs a
generated site from the command line: ``python -m tests.site.ojs_site --journals 1 --articles 20000
--page-size 100`` serves a large site (OAI and pages) in the foreground, prints ``READY
http://127.0.0.1:PORT`` once listening and exits on SIGTERM.

The site copies a real OJS 3.3.0-11 install (``shared/samples/sites/jsas_ojs3.3.0-11``) and, with
``release=``, the later releases of ``ojs_releases``. Several journals share one host, each with its
endpoint ``/index.php/PATH/oai`` (records rendered once and cached as bytes: a page of 100 records in a
few milliseconds) and its default-theme pages under ``/index.php/PATH`` (home, issue archive, tables
of contents, article pages, pdf.js and HTML galley pages, downloads, login). Pages can carry ETag and
Last-Modified validators and answer conditional requests (real OJS sends neither:
``validators=False``). Mutations and fault injections are thread-safe.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.site.handler import XML_CONTENT_TYPE, HtmlRequest
from tests.site.model import SimArticle, SimAuthor, SimIssue, SimJournal
from tests.site.oai import GRANULARITY_DAYS, GRANULARITY_SECONDS
from tests.site.server import OjsSite

__all__ = [
    "GRANULARITY_DAYS",
    "GRANULARITY_SECONDS",
    "XML_CONTENT_TYPE",
    "HtmlRequest",
    "OjsSite",
    "SimArticle",
    "SimAuthor",
    "SimIssue",
    "SimJournal",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """Serve a generated site in the foreground until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--journals", type=int, default=1)
    parser.add_argument("--articles", type=int, default=25, help="articles per journal")
    parser.add_argument("--page-size", type=int, default=10)
    parser.add_argument("--archive-page-size", type=int, default=4)
    parser.add_argument("--no-validators", action="store_true", help="no ETag/Last-Modified, as real OJS")
    parser.add_argument("--non-ojs-path", default=None, help='also serve a plain non-OJS site, e.g. "/blog/"')
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--file-size", type=int, default=0, help="pad PDF and EPUB galley files to this many bytes"
    )
    parser.add_argument(
        "--granularity", choices=[GRANULARITY_SECONDS, GRANULARITY_DAYS], default=GRANULARITY_SECONDS
    )
    opts = parser.parse_args(argv)
    site = OjsSite.generate(
        journals=opts.journals,
        articles_per_journal=opts.articles,
        seed=opts.seed,
        page_size=opts.page_size,
        port=opts.port,
        granularity=opts.granularity,
        archive_page_size=opts.archive_page_size,
        validators=not opts.no_validators,
        non_ojs_path=opts.non_ojs_path,
    )
    for art in site.articles():
        art.file_size = opts.file_size
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with site:
        print(f"READY {site.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
