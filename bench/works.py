"""The cost of works: ingest with clustering against the same ingest without it.

Two ways in, each timed with and without works in the same run, on copies of the same
starting SQLite file:

- store ingest: oai_dc-shaped records built in memory (titles, two authors, DOI, issue, ISSN,
  an abstract) written page by page (100 records, one transaction each, as a harvest does)
  with ``store.ingest.ingest_records``: the strictest view, the store's own cost only;
- OAI backfill: ``harvest_source`` (kind ``backfill``) from the test suite's OJS-shaped server
  in its own process: requests, strict XML parsing and the store, as a harvest really runs.

Each in two situations: (1) an empty store and ``--records`` records (default 20,000); (2) a
store already holding ``--existing`` records (default 200,000) of another source, then the
same ``--records`` (for the store ingest a share ``--twins``, default 0.1, are twins of stored
articles: their DOI, or no DOI and the same title, year and first author).

(a) baseline: the ingest with the works hook replaced by a no-op; (b) the ingest as shipped
(identifiers checked, works clustered, problems listed).  CPU seconds of this process (SQLite
runs in it; a shared machine's other load does not count), best of ``--repeat`` rounds; prints
seconds, records/s and the ratio (b)/(a) (target: at most 1.15): the median of each round's
ratio, (a) and (b) run one after the other, since the speed of this machine drifts by a
third over minutes (seen: the same baseline at 1.3 s and at 2.0 s in one session).  For the
OAI backfill it prints the ratio of wall seconds too, what a user waits: there the store
works while the next pages are fetched and parsed, so works cost less than their CPU.
Where a record is parsed (the helper process of a long window) its keys for clustering are
computed too: that cost, in no contender's process, is printed first.

    python bench/works.py [--records 20000] [--existing 200000] [--twins 0.1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester.config import DatabaseSettings, HttpSettings, Settings, SourceSettings
from harvester.harvest.job import HarvestRequest
from harvester.harvest.pipeline import harvest_source
from harvester.model import Article, Author, IssueRef, OaiRecord, RecordHeader
from harvester.store import Store, articles
from harvester.store.feed import RunContext
from harvester.store.ingest import ingest_records
from harvester.store.runs import ensure_source

_SENTENCE = (
    "river memory trade famine empire coast language music land water city labour debt ritual "
    "border archive colonial monsoon grammar poetry village market railway forest law courts"
)
WORDS = tuple(_SENTENCE.split(" "))
PAGE = 100
ROOT = Path(__file__).resolve().parents[1]


def _article(rng: random.Random, n: int, prefix: str, *, twin_of: int | None = None) -> Article:
    """Article ``n`` (or a twin of stored article ``twin_of``: same title, year, first author)."""
    seed = twin_of if twin_of is not None else n + (10_000_000 if prefix == "new" else 0)  # no look-alikes
    local = random.Random(seed)
    title = " ".join(local.choice(WORDS) for _ in range(7)).capitalize() + f" {seed}"
    year = 1990 + seed % 35
    doi = (
        None if twin_of is not None and seed % 2 else f"10.5555/{prefix if twin_of is None else 'old'}.{seed}"
    )
    return Article(
        title=title.upper() if twin_of is not None else title,
        titles={"en": title},
        authors=(
            Author(name=f"Amina Family{seed}", given="Amina", family=f"Family{seed}"),
            Author(name="Ravi Menon", given="Ravi", family="Menon"),
        ),
        abstract=" ".join(rng.choice(WORDS) for _ in range(150)),
        published=f"{year}-03-01",
        doi=doi,
        url=f"https://{prefix}.example.org/index.php/j/article/view/{n}",
        ojs_id=n,
        issue=IssueRef(journal_title="Journal", volume=str(year - 1989), number="1", year=year),
        issns=("0317-8471",),
        keywords=("history", "south asia"),
    )


def _pages(prefix: str, count: int, *, twins: int = 0, share: float = 0.0) -> Iterator[list[OaiRecord]]:
    """Pages of ``count`` records; a ``share`` of them twins of one of the first ``twins``
    articles of the ``old`` source."""
    rng = random.Random(7)
    page: list[OaiRecord] = []
    for n in range(1, count + 1):
        twin = rng.randrange(1, twins + 1) if twins and rng.random() < share else None
        header = RecordHeader(f"oai:{prefix}.example.org:article/{n}", "2024-05-01T00:00:00Z", ("j:ART",))
        page.append(OaiRecord(header, _article(rng, n, prefix, twin_of=twin)))
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def _ingest(url: str, name: str, pages: Iterable[list[OaiRecord]]) -> Timing:
    """CPU and wall seconds to write every page, one transaction each (building the pages is
    not timed when they come as a list)."""
    store = Store(url)
    with store.write() as conn:
        ids = ensure_source(
            conn, SourceSettings(name=name, url=f"https://{name}.example.org/index.php/j"), _now()
        )
    started = _clocks()
    for page in pages:
        with store.write() as conn:
            ingest_records(conn, RunContext(ids.source_id, ids.journal_id, None, _now()), page)
    elapsed = _since(started)
    store.close()
    return elapsed


Timing = tuple[float, float]  # CPU seconds of this process (SQLite runs in it), wall seconds


def _clocks() -> Timing:
    return time.process_time(), time.perf_counter()


def _since(started: Timing) -> Timing:
    cpu, wall = _clocks()
    return cpu - started[0], wall - started[1]


def _now() -> datetime:
    return datetime.now(UTC)


def _without_works() -> Callable[[], None]:
    """Replace the works hook by a no-op; returns the function that puts it back."""
    hook = articles.cluster_page

    def nothing(*_: Any) -> None:
        return None

    articles.cluster_page = nothing  # type: ignore[assignment]

    def restore() -> None:
        articles.cluster_page = hook

    return restore


def _measure(
    start: Path | None, work: Path, run: Callable[[str], Timing], repeat: int
) -> tuple[float, float, float, float]:
    """Best CPU seconds (baseline, with works) of ``run`` onto a copy of ``start`` (or
    nothing), and the medians of the rounds' CPU and wall ratios; each round runs both, in
    turns first."""
    best = [float("inf"), float("inf")]
    ratios, wall_ratios = [], []
    for round_ in range(repeat):
        seconds: list[Timing] = [(0.0, 0.0), (0.0, 0.0)]
        for variant in (0, 1) if round_ % 2 == 0 else (1, 0):
            target = work / f"v{variant}.db"
            target.unlink(missing_ok=True)
            if start is not None:
                shutil.copyfile(start, target)
            restore = _without_works() if variant == 0 else None
            try:
                seconds[variant] = run(f"sqlite:///{target}")
            finally:
                if restore:
                    restore()
            best[variant] = min(best[variant], seconds[variant][0])
        ratios.append(seconds[1][0] / seconds[0][0])
        wall_ratios.append(seconds[1][1] / seconds[0][1])
    return best[0], best[1], statistics.median(ratios), statistics.median(wall_ratios)


def _pages_run(records: int, twins: int = 0, share: float = 0.0) -> Callable[[str], Timing]:
    """Ingest of prepared pages (building them is not timed).  Each record is encoded and its
    keys for clustering computed up front, as the helper process hands it over
    (``OaiRecord.encoded``, ``OaiRecord.work_keys``; ``_keys_cost`` prints what the keys cost
    there): the contenders then pay the same, where otherwise the first would pay for both
    (both are cached on the record)."""
    pages = list(_pages("new", records, twins=twins, share=share))
    for page in pages:
        for record in page:
            record.encoded  # noqa: B018 - computed once, before either contender runs
            record.work_keys  # noqa: B018 - the same
    return lambda url: _ingest(url, "new", pages)


def _keys_cost(records: int) -> None:
    """Print the CPU the keys for clustering cost where records are parsed (the helper process
    of a long window), which neither contender's process pays."""
    pages = list(_pages("new", records))
    started = time.process_time()
    for page in pages:
        for record in page:
            record.work_keys  # noqa: B018 - what the helper computes
    elapsed = time.process_time() - started
    print(f"keys for clustering, where records are parsed: {elapsed / records * 1e6:.1f} µs/record")


def _oai_run(journal_url: str) -> Callable[[str], Timing]:
    """A whole ``backfill`` over OAI-PMH from the loopback server: requests, strict XML
    parsing, the store; the server runs in its own process, so only the harvester's CPU counts."""

    def run(url: str) -> Timing:
        settings = Settings(
            database=DatabaseSettings(url=url), http=HttpSettings(requests_per_second=1000, max_retries=0)
        )
        store = Store(url)
        started = _clocks()
        result = harvest_source(
            SourceSettings(name="new", url=journal_url, strategy="oai"),  # type: ignore[arg-type]
            settings,
            store,
            HarvestRequest("backfill"),
        )
        elapsed = _since(started)
        store.close()
        if result.status != "ok":
            sys.exit(f"bench: the harvest failed: {result.error}")
        return elapsed

    return run


def _start_server(records: int) -> tuple[subprocess.Popen[str], str]:
    """The test suite's OJS-shaped server with one journal of ``records`` articles."""
    command = [sys.executable, "-m", "tests.site.ojs_site", "--journals", "1"]
    server = subprocess.Popen(
        [*command, "--articles", str(records), "--page-size", "100"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    if not line.startswith("READY "):
        server.kill()
        sys.exit(f"bench: the OAI server did not start: {line!r}")
    return server, line.removeprefix("READY ") + "/index.php/jsas"


def _report(
    label: str, records: int, baseline: float, with_works: float, ratio: float, wall_ratio: float
) -> None:
    wall = f", wall {wall_ratio:.3f}" if label.startswith("OAI") else ""  # the same as CPU in-process
    print(
        f"{label}: baseline {baseline:.2f} s ({records / baseline:,.0f} records/s), "
        f"with works {with_works:.2f} s ({records / with_works:,.0f} records/s), "
        f"ratio CPU {ratio:.3f}{wall} (medians of the rounds; target <= 1.15)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--existing", type=int, default=200_000)
    parser.add_argument("--twins", type=float, default=0.1, help="share of new records that are twins")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server, journal_url = _start_server(args.records)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _compare(Path(tmp), args, journal_url)
    finally:
        server.terminate()
        server.wait()


def _compare(work: Path, args: argparse.Namespace, journal_url: str) -> None:
    records, existing = args.records, args.existing
    _keys_cost(records)
    for label, run in (("store ingest", _pages_run(records)), ("OAI backfill", _oai_run(journal_url))):
        _report(
            f"{label}, empty store, {records:,} records", records, *_measure(None, work, run, args.repeat)
        )
    start = work / "existing.db"
    print(f"filling a store with {existing:,} records (works on) ...", flush=True)
    _ingest(f"sqlite:///{start}", "old", _pages("old", existing))
    runs = (
        (f"store ingest, {args.twins:.0%} twins", _pages_run(records, existing, args.twins)),
        ("OAI backfill", _oai_run(journal_url)),
    )
    for label, run in runs:
        measured = _measure(start, work, run, args.repeat)
        _report(f"{label}, store holding {existing:,}, {records:,} more", records, *measured)


if __name__ == "__main__":
    main()
