"""Several OJS-shaped hosts on loopback for fleet tests and the fleet benchmark.

Each host is an ``OjsSite`` on its own loopback address (127.0.0.2, 127.0.0.3, …): the
harvester paces requests per host name, so distinct addresses are distinct hosts to it, as
distinct servers are in the wild.  Every host records when each request arrived, so a test
can check the spacing the fleet kept, whichever process sent them.
"""

from __future__ import annotations

import csv
import io
import itertools
import time
from collections.abc import Mapping
from typing import Any, Self

from tests.site.handler import Response
from tests.site.ojs_site import OjsSite


class LoopbackHost(OjsSite):
    """An ``OjsSite`` bound to ``address``, recording the arrival time of every request."""

    def start(self) -> Self:
        self.arrivals: list[float] = []
        self.arrived: list[tuple[float, str]] = []
        return super().start()

    def handle(
        self, path: str, query: str, headers: Mapping[str, str] | None = None, method: str = "GET"
    ) -> Response:
        arrived = time.monotonic()
        with self._lock:
            self.arrivals.append(arrived)
            self.arrived.append((arrived, f"{path}?{query}"))
        return super().handle(path, query, headers, method)

    def closest(self) -> str:
        """The two requests that came closest, for a failing assertion's message."""
        pairs = sorted(self.arrived)
        gap, first, second = min(((b[0] - a[0], a[1], b[1]) for a, b in itertools.pairwise(pairs)))
        return f"{gap:.4f}s between {first} and {second}"

    def min_spacing(self) -> float:
        """The shortest gap between two requests that reached this host (inf for fewer than two)."""
        times = sorted(self.arrivals)
        return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def loopback_hosts(count: int, journals: int, articles: int, **kwargs: Any) -> list[LoopbackHost]:
    """``count`` started hosts with ``journals`` journals of ``articles`` articles each."""
    hosts = []
    for index in range(count):
        site = LoopbackHost.generate(
            journals=journals, articles_per_journal=articles, seed=index + 1, **kwargs
        )
        site.address = f"127.0.0.{index + 2}"
        for art in site.articles():  # the store keeps a DOI to one article: one prefix per host
            art.doi = art.doi.replace("10.5555/", f"10.{5556 + index}/") if art.doi else None
        hosts.append(site.start())
    return hosts


def beacon_csv(hosts: list[LoopbackHost]) -> str:
    """A PKP-beacon-style CSV listing every journal of ``hosts`` (journal-level endpoints)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["application", "version", "admin_email", "oai_url", "set_spec", "context_name"])
    for site in hosts:
        for path, journal in site.journals.items():
            writer.writerow(
                ["ojs", "3.3.0.11", "editor@example.org", site.oai_url(path), path, journal.title]
            )
    return out.getvalue()
