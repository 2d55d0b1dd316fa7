"""``harvester serve`` on a large store: memory stays flat, compared with ``harvester export``.

Harvests the test suite's OJS-shaped OAI-PMH server (N oai_dc records) into a fresh SQLite
file with ``harvester backfill`` (or reuses ``--db``), then, each in a fresh process:

  (a) baseline: ``harvester export`` of the same rows as JSON lines (a streaming read);
  (b) ``harvester serve``, harvested by Sickle (ListRecords through every token): the last
      tenth of the list (a ``from`` window) and then all N records.

Prints wall time, records/s and each process's peak RSS, the ratio of serve's peak to the
export's (target: at most 2x) and of serve's peak at N to its peak at N/10 (flat: about 1).

    python bench/serve_memory.py [--records 100000] [--db sqlite:///big.db]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oai_throughput import CONFIG, _start_server, _timed
from sickle import Sickle

PAGE_SIZE = 500


def _store(records: int, tmp: Path) -> tuple[Path, str]:
    """A config and a database holding ``records`` harvested articles."""
    server, base_url = _start_server(records)
    config = tmp / "bench.toml"
    config.write_text(
        CONFIG.format(journal_url=f"{base_url}/index.php/jsas") + f"\n[serve]\npage_size = {PAGE_SIZE}\n"
    )
    url = f"sqlite:///{tmp}/serve.db"
    try:
        seconds, _ = _timed("backfill", [*_harvester(config, url), "backfill", "bench"])
    finally:
        server.terminate()
        server.wait()
    print(f"store: {records} records harvested in {seconds:.0f} s")
    return config, url


def _harvester(config: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "harvester", "-q", "--config", str(config), "--db", url]


def _start(config: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [*_harvester(config, url), "serve", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip().rsplit(" ", 1)[-1]


def _stop(server: subprocess.Popen[str]) -> float:
    """Stop a server; its peak RSS (MB)."""
    server.send_signal(signal.SIGINT)
    _, _, usage = os.wait4(server.pid, 0)
    return usage.ru_maxrss / 1024


def _served(config: Path, url: str, **window: str) -> tuple[int, float, float]:
    """Records Sickle got, wall seconds and the server's peak RSS (MB)."""
    server, endpoint = _start(config, url)
    start = time.perf_counter()
    records = Sickle(endpoint).ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **window)
    count = sum(1 for _ in records)
    elapsed = time.perf_counter() - start
    return count, elapsed, _stop(server)


def _last_tenth(config: Path, url: str) -> dict[str, str]:
    """A ``from`` that leaves about the last tenth of the list (datestamps grow along it)."""
    server, endpoint = _start(config, url)
    headers = Sickle(endpoint).ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
    stamps = [header.datestamp for header in headers]
    _stop(server)
    return {"from": stamps[len(stamps) * 9 // 10]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", help="an already harvested store (with --config)")
    parser.add_argument("--config", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config, url = (args.config, args.db) if args.db else _store(args.records, Path(tmp))
        export_seconds, export_peak = _timed("export", [*_harvester(config, url), "export"])
        small = _served(config, url, **_last_tenth(config, url))
        full = _served(config, url)
    print(f"harvester export (jsonl)   {full[0] / export_seconds:8.0f} records/s  peak {export_peak:5.0f} MB")
    for label, (count, seconds, peak) in (("serve, a from window", small), ("serve, everything", full)):
        print(
            f"{label:26} {count / seconds:8.0f} records/s  {count:7d} records  {seconds:6.1f} s  "
            f"peak {peak:5.0f} MB"
        )
    print(f"serve peak / export peak: {full[2] / export_peak:.2f}x (target <= 2x)")
    print(f"serve peak, all / from window: {full[2] / small[2]:.2f}x (flat: ~1x)")


if __name__ == "__main__":
    main()
