"""Fleet throughput: journals harvested per minute against the number of ``harvester worker``s.

Several OJS-shaped hosts on loopback addresses (``tests/fleet_hosts.py``), each with several
journals, listed in a beacon CSV and imported into a fresh PostgreSQL schema; then harvested by
``harvester run`` alone (the baseline), and by ``run`` plus N workers, each configuration on its
own fresh schema.  Every host keeps its politeness budget (``--rps`` requests per second), so one
process with ``--slots`` slots works at most that many hosts at once, and more processes work
more hosts at once: the ratio shows what the fleet adds.  Time runs from the processes' start
until every journal has a successful run.

    python bench/fleet.py [--db URL] [--hosts 12] [--journals 3] [--workers 0,1,2] [--slots 2]

``--db`` defaults to ``$HARVESTER_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fleet_hosts import beacon_csv, loopback_hosts


def _config(directory: Path, rps: float, slots: int) -> Path:
    path = directory / "harvester.toml"
    path.write_text(
        f'[http]\nrequests_per_second = {rps}\nmax_retries = 1\n\n[fleet]\ntick = "1s"\nslots = {slots}\n',
        encoding="utf-8",
    )
    return path


def _harvester(config: Path, db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "harvester", "--config", str(config), "--db", db, *args]


def _one_configuration(admin_url: str, config: Path, beacon: Path, workers: int, journals: int) -> float:
    """Seconds for ``run`` plus ``workers`` workers to harvest every journal once."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in admin_url else "?"
    db = f"{admin_url}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        imported = subprocess.run(
            _harvester(config, db, "sources", "import", "--no-check", "--strategy", "oai", str(beacon)),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert f"{journals} added" in imported.stdout, imported.stdout
        start = time.monotonic()
        commands = [["run"]] + [["worker"]] * workers
        processes = [
            subprocess.Popen(_harvester(config, db, *c), stderr=subprocess.DEVNULL) for c in commands
        ]
        done = f"SELECT count(DISTINCT source_id) FROM {schema}.runs WHERE status = 'ok'"
        with admin.connect() as conn:
            while conn.execute(text(done)).scalar() != journals:
                time.sleep(0.2)
        elapsed = time.monotonic() - start
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default=os.environ.get("HARVESTER_TEST_POSTGRES_URL"))
    parser.add_argument("--hosts", type=int, default=12)
    parser.add_argument("--journals", type=int, default=3, help="journals per host")
    parser.add_argument("--articles", type=int, default=6, help="articles per journal")
    parser.add_argument("--rps", type=float, default=2.0, help="requests per second per host")
    parser.add_argument("--slots", type=int, default=2, help="[fleet] slots of each process")
    parser.add_argument("--workers", default="0,1,2", help="worker counts beside run, comma-separated")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db postgresql+psycopg://… or set HARVESTER_TEST_POSTGRES_URL")
    hosts = loopback_hosts(args.hosts, journals=args.journals, articles=args.articles, page_size=10)
    total = args.hosts * args.journals
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        config = _config(directory, args.rps, args.slots)
        beacon = directory / "beacon.csv"
        beacon.write_text(beacon_csv(hosts), encoding="utf-8")
        print(
            f"{args.hosts} hosts x {args.journals} journals ({total}), {args.articles} articles each, "
            f"{args.rps:g} requests/s per host, {args.slots} slots per process"
        )
        baseline = None
        for workers in (int(n) for n in args.workers.split(",")):
            seconds = _one_configuration(args.db, config, beacon, workers, total)
            rate = total / seconds * 60
            baseline = baseline or rate
            label = "run alone" if workers == 0 else f"run + {workers} worker(s)"
            print(f"{label:22} {seconds:7.1f} s  {rate:7.1f} journals/min  {rate / baseline:5.2f}x")
    for site in hosts:
        site.close()


if __name__ == "__main__":
    main()
