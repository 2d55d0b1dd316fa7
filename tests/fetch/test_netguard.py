"""SitePolicy: which URLs the mirror may fetch (IP literals, so no name is resolved)."""

from __future__ import annotations

import re

import pytest

from harvester.errors import RefusedURLError
from harvester.fetch.netguard import SitePolicy

PUBLIC_JOURNAL = "https://93.184.216.34/index.php/j"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.216.34/f.pdf", "not an http(s) URL"),
        ("https://93.184.216.35/f.pdf", "93.184.216.35 is not the journal's site"),
        ("http://10.0.0.5/f.pdf", "10.0.0.5 is a private address"),
        ("http://169.254.169.254/latest", "169.254.169.254 is a private address"),
        ("http://[::1]/f.pdf", "::1 is a private address"),
    ],
)
def test_off_site_and_private_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    policy = SitePolicy.of([PUBLIC_JOURNAL], ["10.0.0.5", "169.254.169.254", "::1"])
    with pytest.raises(RefusedURLError, match=re.escape(reason)):
        policy.check(url)


def test_the_journals_own_hosts_and_allowed_hosts_pass() -> None:
    policy = SitePolicy.of([PUBLIC_JOURNAL, "https://8.8.8.8/oai"], ["1.1.1.1"])
    for url in ("https://93.184.216.34/f.pdf", "http://8.8.8.8/x", "https://1.1.1.1/cdn/f.pdf"):
        policy.check(url)


def test_a_journal_on_a_private_address_may_use_private_addresses() -> None:
    policy = SitePolicy.of(["http://127.0.0.1:8080/index.php/j"], ["10.0.0.5"])
    policy.check("http://10.0.0.5/f.pdf")
    with pytest.raises(RefusedURLError, match="not the journal's site"):
        policy.check("http://127.0.0.2/f.pdf")
