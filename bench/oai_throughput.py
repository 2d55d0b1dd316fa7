"""OAI-PMH harvest throughput: ``harvester backfill`` against the script a user would write.

Starts the test suite's OJS-shaped OAI-PMH server (a separate process) with N oai_dc records,
100 per page, then measures in the same run, each in a fresh process and a fresh SQLite file:

  (a) baseline: Sickle's record iterator plus one SQLAlchemy ORM ``merge`` per record, the
      usual hand-written harvester, committing after every record (as a script that wants
      to lose nothing on a crash must) and, as a stronger variant, once per 100 records;
  (b) ``harvester backfill`` (versioned store, change feed, raw pages, strict parsing).

Prints records/s for each, the ratio (target: at least 4x) and each process's peak memory
(target for (b): under 200 MB, also at 100,000 records).

    python bench/oai_throughput.py [--records 20000] [--rounds 3] [--no-per-record]
    python bench/oai_throughput.py --records 100000 --memory-only
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = textwrap.dedent(
    """
    import json, sys
    from sickle import Sickle
    from sqlalchemy import create_engine, String, Text, Boolean
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Article(Base):
        __tablename__ = "articles"
        identifier: Mapped[str] = mapped_column(String, primary_key=True)
        datestamp: Mapped[str] = mapped_column(String)
        deleted: Mapped[bool] = mapped_column(Boolean)
        title: Mapped[str | None] = mapped_column(Text)
        creators: Mapped[str] = mapped_column(Text)
        metadata_json: Mapped[str] = mapped_column(Text)

    endpoint, url, commit_every = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    count = 0
    with Session(engine) as session:
        for record in Sickle(endpoint).ListRecords(metadataPrefix="oai_dc"):
            metadata = {} if record.deleted else record.metadata
            session.merge(Article(
                identifier=record.header.identifier,
                datestamp=record.header.datestamp,
                deleted=record.deleted,
                title=(metadata.get("title") or [None])[0],
                creators=json.dumps(metadata.get("creator", [])),
                metadata_json=json.dumps(metadata),
            ))
            count += 1
            if count % commit_every == 0:
                session.commit()
        session.commit()
    print(count)
    """
)

CONFIG = textwrap.dedent(
    """
    [http]
    requests_per_second = 1000
    max_retries = 0
    [[sources]]
    name = "bench"
    url = "{journal_url}"
    strategy = "oai"  # OAI-PMH only: the baselines read nothing else
    """
)


def _start_server(records: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.site.ojs_site",
            "--journals",
            "1",
            "--articles",
            str(records),
            "--page-size",
            "100",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    if not line.startswith("READY "):
        server.kill()
        sys.exit(f"bench: the OAI server did not start: {line!r}")
    return server, line.removeprefix("READY ")


def _timed(label: str, command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process, which must succeed."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench: {label} failed with exit code {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def _harvests(
    journal_url: str, tmp: str, contenders: list[str], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """Wall time and peak memory of each contender in each round, in a fresh SQLite file each;
    the contenders alternate, so a change in the machine's load falls on all of them."""
    config = Path(tmp) / "bench.toml"
    config.write_text(CONFIG.format(journal_url=journal_url))
    baseline = [sys.executable, "-c", BASELINE, f"{journal_url}/oai"]
    ours = [sys.executable, "-m", "harvester", "-q", "--config", str(config), "--db"]
    commands = {
        "baseline, commit per record": lambda db: [*baseline, db, "1"],
        "baseline, commit per 100": lambda db: [*baseline, db, "100"],
        "harvester backfill": lambda db: [*ours, db, "backfill", "bench"],
    }
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in contenders}
    for round_ in range(rounds):
        for n, label in enumerate(contenders):
            db = Path(tmp) / f"{round_}-{n}.db"
            results[label].append(_timed(label, commands[label](f"sqlite:///{db}")))
            db.unlink()
    return results


def main() -> None:
    """Run every contender against one server and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument(
        "--memory-only", action="store_true", help="skip the baselines (for the 100,000-record memory check)"
    )
    parser.add_argument(
        "--no-per-record", action="store_true", help="skip the slow commit-per-record baseline"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians are printed")
    args = parser.parse_args()
    contenders = ["harvester backfill"]
    if not args.memory_only:
        contenders[:0] = ["baseline, commit per 100"]
        if not args.no_per_record:
            contenders[:0] = ["baseline, commit per record"]
    server, base_url = _start_server(args.records)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # The first generated journal.
            results = _harvests(f"{base_url}/index.php/jsas", tmp, contenders, args.rounds)
    finally:
        server.terminate()
        server.wait()
    medians = {
        label: (statistics.median(s for s, _ in runs), max(p for _, p in runs))
        for label, runs in results.items()
    }
    rates = {label: args.records / seconds for label, (seconds, _) in medians.items()}
    print(f"records: {args.records} (100 per page), {args.rounds} round(s), medians")
    for label, (seconds, peak) in medians.items():
        print(f"{label:28} {rates[label]:8.0f} records/s  {seconds:6.1f} s  peak {peak:5.0f} MB")
    ours = rates["harvester backfill"]
    for label in contenders[:-1]:
        print(f"ratio against {label}: {ours / rates[label]:.2f}x (target >= 4x)")
    print("peak memory target for harvester backfill: < 200 MB")


if __name__ == "__main__":
    main()
