"""Config files for tests that run the ``harvester`` command: fast, still polite settings."""

from __future__ import annotations

from pathlib import Path

FAST_HTTP = """
[http]
requests_per_second = 500
backoff = 0.01
max_retries = 1
"""


def write_config(
    directory: Path,
    sources: dict[str, str],
    *,
    extra: str = "",
    source_extra: str = "",
    strategy: str = "oai",
) -> Path:
    """``harvester.toml`` in ``directory`` with one ``[[sources]]`` per name → journal URL
    (OAI-PMH only unless ``strategy`` says otherwise)."""
    blocks = [FAST_HTTP, extra]
    blocks += [
        f'[[sources]]\nname = "{name}"\nurl = "{url}"\nstrategy = "{strategy}"\n{source_extra}'
        for name, url in sources.items()
    ]
    path = directory / "harvester.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path
