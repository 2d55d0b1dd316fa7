"""Command start-up: ``harvester --help`` and ``harvester status --help`` against importing the
libraries a harvester is built from.

Baseline: ``python -c "import sickle, requests, lxml.etree, sqlalchemy"``, what any script that
harvests OJS with those libraries pays before it does anything.  Runs each command ``--runs``
times, in turn (baseline, then each command, and again), and prints the median wall time of each
and its ratio to the baseline's median.

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BASELINE = [sys.executable, "-c", "import sickle, requests, lxml.etree, sqlalchemy"]
COMMANDS = {
    "harvester --help": [str(BIN / "harvester"), "--help"],
    "harvester status --help": [str(BIN / "harvester"), "status", "--help"],
}


def seconds(command: list[str]) -> float:
    """Wall seconds of one run of ``command``, its output discarded; it must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"baseline": [], **{name: [] for name in COMMANDS}}
    for command in [BASELINE, *COMMANDS.values()]:
        seconds(command)  # warm the file cache
    for _ in range(args.runs):
        timings["baseline"].append(seconds(BASELINE))
        for name, command in COMMANDS.items():
            timings[name].append(seconds(command))
    base = statistics.median(timings["baseline"])
    print(f"median of {args.runs} runs")
    print(f"{'baseline (import sickle, requests, lxml, sqlalchemy)':54} {base * 1000:7.0f} ms")
    for name in COMMANDS:
        median = statistics.median(timings[name])
        print(f"{name:54} {median * 1000:7.0f} ms  {median / base:5.2f}x  (target <= 0.35x)")


if __name__ == "__main__":
    main()
