"""Galley mirror throughput and memory: ``harvester mirror`` against the script a user would write.

For each file size asked for, starts the test suite's OJS-shaped site (a separate process) with
N articles whose PDF and EPUB galley files are padded to that size, harvests its pages once
(not timed), then measures, each in a fresh process:

  (a) baseline: ``requests.get(url)`` of every file URL (handed to it: it resolves no viewer
      page, checks nothing and records nothing), the whole body in memory, sha256, one write;
  (b) ``harvester mirror``: view page → file URL, streamed download through the polite
      client, sniffing, atomic placement by sha256, one transaction per galley.

Prints MB/s for each, the ratio, and each process's peak memory: streaming keeps (b) flat as
files grow, while (a) holds each whole file (and requests' copy of it).

    python bench/mirror_throughput.py [--articles 10] [--sizes 5,50]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = textwrap.dedent(
    """
    import hashlib, sys
    from pathlib import Path
    import requests

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    with requests.Session() as session:
        for url in sys.argv[2:]:
            body = session.get(url, timeout=600).content
            (target / hashlib.sha256(body).hexdigest()).write_bytes(body)
            total += len(body)
    print(total)
    """
)

CONFIG = textwrap.dedent(
    """
    [http]
    requests_per_second = 1000
    max_retries = 0
    [mirror]
    path = "{files}"
    max_file_size = "1GB"
    [[sources]]
    name = "bench"
    url = "{journal_url}"
    strategy = "html"
    mirror_galleys = true
    """
)


def _start_server(articles: int, file_size: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.site.ojs_site", "--journals", "1"]
    command += ["--articles", str(articles), "--file-size", str(file_size)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    if not line.startswith("READY "):
        server.kill()
        sys.exit(f"bench: the site did not start: {line!r}")
    return server, line.removeprefix("READY ")


def _timed(label: str, command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process, which must succeed."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {label} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024


def _mirrored(database: Path) -> tuple[list[str], int]:
    """The file URLs ``harvester mirror`` found, and the bytes it stored."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT file_url, size FROM current_galleys WHERE status = 'ok'").fetchall()
    return [url for url, _ in rows], sum(size for _, size in rows)


def _one_size(articles: int, size_mb: float, tmp: Path) -> dict[str, tuple[float, float, int]]:
    server, base_url = _start_server(articles, int(size_mb * 1024 * 1024))
    try:
        config = tmp / "bench.toml"
        config.write_text(CONFIG.format(files=tmp / "files", journal_url=f"{base_url}/index.php/jsas"))
        ours = [
            sys.executable,
            "-m",
            "harvester",
            "-q",
            "--config",
            str(config),
            "--db",
            f"sqlite:///{tmp}/h.db",
        ]
        subprocess.run([*ours, "harvest", "bench"], check=True, stdout=subprocess.DEVNULL)
        seconds, peak = _timed("harvester mirror", [*ours, "mirror"])
        urls, stored = _mirrored(tmp / "h.db")
        results = {"harvester mirror": (seconds, peak, stored)}
        naive = [sys.executable, "-c", BASELINE, str(tmp / "naive"), *urls]
        seconds, peak = _timed("baseline", naive)
        results["baseline (get + write)"] = (seconds, peak, stored)
    finally:
        server.terminate()
        server.wait()
    return results


def main() -> None:
    """Run both contenders for each file size and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10, help="articles (about one large file each)")
    parser.add_argument("--sizes", default="5,50", help="file sizes in MB, comma-separated")
    args = parser.parse_args()
    for size in (float(text) for text in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            results = _one_size(args.articles, size, Path(tmp))
        print(f"files of {size:g} MB:")
        rates = {}
        for label, (seconds, peak, stored) in results.items():
            rates[label] = stored / 1048576 / seconds
            amount = f"{stored / 1048576:7.1f} MB"
            print(f"  {label:24} {rates[label]:7.1f} MB/s  {seconds:6.1f} s  {amount}  peak {peak:5.0f} MB")
        ratio = rates["harvester mirror"] / rates["baseline (get + write)"]
        print(f"  ratio (harvester mirror / baseline): {ratio:.2f}x")


if __name__ == "__main__":
    main()
