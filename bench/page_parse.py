"""Article page parsing against lxml's own parse of the same bytes.

Reads every real article page in ``shared/samples`` (the recorded OJS 3.3.0-11 and 3.5.0-1 sites,
the 3.5 site's Spanish pages, First Monday's 3.1.2 page; status 200), then times, over the same
bytes:

  (a) baseline: ``lxml.html.fromstring(content)``, what any scraper pays before reading a field;
  (b) ``parse_article_page(content, url)``: the whole ``Article`` (meta tags, authors, abstracts
      per language, galleys, keywords, dates).

Prints microseconds per page for each and the ratio (b)/(a): the cost of our reading above the
parse itself.  CPU time, best of ``--repeat`` rounds, each parsing every page once with each.

    python bench/page_parse.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

from harvester.parse.html import parse_article_page

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
SITES = SAMPLES / "sites"


def _recorded(index: Path, body_key: str) -> list[tuple[bytes, str]]:
    """(body, URL) of the article pages answered with 200 in one recording's index."""
    pages = []
    for line in index.read_text().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "article" and entry["status"] == 200:
            pages.append(((index.parent / entry[body_key]).read_bytes(), f"http://127.0.0.1{entry['path']}"))
    return pages


def article_pages() -> list[tuple[bytes, str]]:
    """Every real article page in the samples: the recorded sites, their other-locale pages, First Monday."""
    pages = [page for index in sorted(SITES.glob("*/index.jsonl")) for page in _recorded(index, "body")]
    pages += [
        page for index in sorted(SAMPLES.glob("raw/*/manifest.jsonl")) for page in _recorded(index, "file")
    ]
    pages += [
        (path.read_bytes(), f"http://127.0.0.1/{path.name}")
        for path in SAMPLES.glob("real/*/*landingpage*.html")
    ]
    return pages


def _seconds(work: Callable[[bytes, str], object], pages: list[tuple[bytes, str]]) -> float:
    start = time.process_time()
    for body, url in pages:
        work(body, url)
    return time.process_time() - start


def best_rounds(
    works: list[Callable[[bytes, str], object]], pages: list[tuple[bytes, str]], repeat: int
) -> list[float]:
    """CPU seconds per page of each of ``works``, the best of ``repeat`` interleaved rounds."""
    best = [float("inf")] * len(works)
    for _ in range(repeat):
        best = [min(b, _seconds(work, pages)) for b, work in zip(best, works, strict=True)]
    return [b / len(pages) for b in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    pages = article_pages()
    if not pages:
        sys.exit(f"no recorded article pages under {SITES}")
    baseline, ours = best_rounds(
        [lambda body, _url: lxml.html.fromstring(body), parse_article_page], pages, args.repeat
    )
    print(f"{len(pages)} article pages, best of {args.repeat} rounds")
    print(f"lxml.html.fromstring   {baseline * 1e6:8.0f} µs/page")
    print(f"parse_article_page     {ours * 1e6:8.0f} µs/page")
    print(f"ratio                  {ours / baseline:8.2f}×  (target ≤ 3×)")


if __name__ == "__main__":
    main()
