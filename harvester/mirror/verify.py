"""``harvester verify-files``: every stored galley file re-hashed against the store's record.

A file can go missing (deleted, a disk replaced) or change on disk (bit rot, an editor
saving over it).  Both are reported with the galleys that use the file.  ``repair`` moves a
corrupt file aside (``<path>.corrupt``), so that the next mirror run, finding no file where
the store expects one, downloads it again (a missing file is downloaded again anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..store import Store
from ..store.galleys import StoredBlob, galleys_using, stored_blobs
from .files import hash_file

__all__ = ["BadFile", "VerifyReport", "verify_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadFile:
    """A stored file that is not what the store says it is."""

    sha256: str
    path: str
    problem: str  # "missing", "unreadable: …", "corrupt: …"
    galleys: tuple[str, ...]  # view URLs of the galleys that use it

    def describe(self) -> str:
        """One line: the path, what is wrong, which galleys lose their file."""
        used = f" (galleys: {', '.join(self.galleys)})" if self.galleys else ""
        return f"{self.path}: {self.problem}{used}"


@dataclass
class VerifyReport:
    """What ``verify_files`` found."""

    checked: int = 0
    size: int = 0  # bytes read
    bad: list[BadFile] = field(default_factory=list)
    repaired: int = 0

    def summary(self) -> str:
        """One line for people."""
        missing = sum(item.problem == "missing" for item in self.bad)
        return (
            f"{self.checked} stored files ({self.size / 1048576:.1f} MB) checked: "
            f"{missing} missing, {len(self.bad) - missing} corrupt or unreadable"
            + (f", {self.repaired} moved aside for the next mirror run" if self.repaired else "")
        )


def _problem(blob: StoredBlob) -> str | None:
    path = Path(blob.path)
    if not path.is_file():
        return "missing"
    try:
        actual = hash_file(path)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    if actual != blob.sha256:
        return f"corrupt: its sha256 is now {actual} ({path.stat().st_size} bytes, {blob.size} stored)"
    return None


def verify_files(
    store: Store, *, repair: bool = False, progress: Callable[[int, int], None] | None = None
) -> VerifyReport:
    """Re-hash every stored file; ``progress(done, total)`` after each one."""
    with store.read() as conn:
        blobs = stored_blobs(conn)
    report = VerifyReport()
    for blob in blobs:
        problem = _problem(blob)
        report.checked += 1
        report.size += blob.size if problem != "missing" else 0
        if problem is not None:
            with store.read() as conn:
                galleys = tuple(galleys_using(conn, blob.sha256))
            report.bad.append(BadFile(blob.sha256, blob.path, problem, galleys))
            log.warning("%s: %s", blob.path, problem)
            if repair and problem.startswith("corrupt"):
                Path(blob.path).replace(f"{blob.path}.corrupt")
                report.repaired += 1
        if progress:
            progress(report.checked, len(blobs))
    return report
