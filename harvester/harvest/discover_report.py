"""What ``harvester discover`` prints: the verdict and its evidence for people, and a
``[[sources]]`` block per journal found, ready to paste into the config file."""

from __future__ import annotations

import json
from collections import Counter

from .discover import Discovery

__all__ = ["format_discovery", "sources_toml"]


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def sources_toml(found: Discovery) -> str:
    """A ``[[sources]]`` block per journal found, ready to paste into the config file."""
    blocks = []
    seen: Counter[str] = Counter()
    for journal in found.journals:
        seen[journal.name] += 1  # source names must be unique in a config
        name = journal.name if seen[journal.name] == 1 else f"{journal.name}-{seen[journal.name]}"
        lines = [f"# {' '.join(journal.title.split())}"] if journal.title else []
        lines += ["[[sources]]", f"name = {_toml_string(name)}", f"url = {_toml_string(journal.base_url)}"]
        if journal.oai_ok:
            lines.append(f"oai_url = {_toml_string(journal.oai_url)}")
        lines.append(f"strategy = {_toml_string(journal.strategy)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def format_discovery(found: Discovery) -> str:
    """The human summary: verdict, evidence, journals, then the config blocks."""
    verdict = (
        (f"OJS {found.version}" if found.version else "OJS (version not shown)")
        if found.is_ojs
        else (f"not OJS (an OAI-PMH repository of {found.other_oai})" if found.other_oai else "not OJS")
    )
    lines = [f"{found.url}: {verdict}", "evidence:", *(f"  - {line}" for line in found.evidence)]
    if found.site_url:
        lines.append(f"site: {found.site_url}")
    others = [j for j in found.site_journals if j.base_url not in {d.base_url for d in found.journals}]
    if others:
        lines.append(
            f"the site also hosts {len(others)} other journal(s); discover any of them for its block:"
        )
        lines += [f"  - {j.path}: {j.title or '(no title shown)'} ({j.base_url})" for j in others]
    for journal in found.journals:
        oai = "answers" if journal.oai_ok else f"does not answer ({journal.oai_error})"
        lines += [
            f"journal {journal.path or '(own host)'}: {journal.title or '(no title shown)'}",
            f"  base URL: {journal.base_url}",
            f"  OAI-PMH:  {journal.oai_url} {oai}",
            f"  strategy: {journal.strategy}",
        ]
    if found.is_ojs and found.journals:
        lines += ["", "# Paste into the config file (config/harvester.toml):", "", sources_toml(found)]
    return "\n".join(lines).rstrip("\n")
