"""Galley files on disk, content-addressed: ``ROOT/sha256/ab/cd/<sha256>``.

A file is never visible half-written: it is streamed into ``ROOT/tmp/`` (the same
filesystem), flushed to disk, renamed into place with ``os.replace`` (atomic) and the rename
itself flushed.  Identical bytes are one file, however many galleys share them.  A process
killed mid-download leaves at most its temp file behind; ``clean_temp`` removes those of
dead processes when the next mirror starts, never one a live process is writing.

Temp files are named ``HOST_PID_TOKEN.part`` so that a cleaner can tell whose they are.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..config import Settings
from ..errors import FileStoreError
from ..signals import process_alive

__all__ = ["FileStore", "TempFile", "files_path", "hash_file"]

log = logging.getLogger(__name__)

_STARTED = time.time()  # this process's temp files older than this belong to a dead namesake
_UNTOUCHED = 3600.0  # a temp file nobody wrote to for this long is abandoned, whoever owns it
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class TempFile:
    """An open temp file in ``ROOT/tmp/``: write the download to ``file``."""

    path: Path
    file: BinaryIO


def hash_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (where the platform allows opening directories)."""
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FileStore:
    """The directory galley files live in; every method raises ``FileStoreError`` on I/O errors."""

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()  # the store records absolute paths, whatever the cwd
        self.tmp = self.root / "tmp"

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives: ``ROOT/sha256/ab/cd/<sha256>``."""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    @staticmethod
    def present(path: Path, size: int) -> bool:
        """Whether a stored file is there with the size it had (a cheap check, no hashing)."""
        try:
            return path.stat().st_size == size
        except OSError:
            return False

    @contextmanager
    def temp(self) -> Iterator[TempFile]:
        """A new temp file, removed on exit unless ``place`` moved it into the store."""
        name = f"{socket.gethostname()}_{os.getpid()}_{secrets.token_hex(8)}.part"
        path = self.tmp / name
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
            # os.open, not mkstemp: the file gets the umask's mode (readable by the group).
            handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), "w+b")
        except OSError as exc:
            raise FileStoreError(f"{path}: cannot create a temp file: {exc.strerror}") from None
        try:
            yield TempFile(path, handle)
        finally:
            handle.close()
            with suppress(FileNotFoundError):
                path.unlink()

    def place(self, temp: TempFile, sha256: str, size: int) -> Path:
        """Move a complete temp file to its content address; returns the file's path.

        When the same bytes are stored already, the temp file is simply dropped.
        """
        destination = self.path_for(sha256)
        try:
            if self.present(destination, size):
                return destination
            temp.file.flush()
            os.fsync(temp.file.fileno())
            destination.parent.mkdir(parents=True, exist_ok=True)
            temp.path.replace(destination)  # os.replace: atomic
        except OSError as exc:
            raise FileStoreError(f"{destination}: cannot store the file: {exc.strerror}") from None
        _fsync_directory(destination.parent)
        return destination

    def clean_temp(self) -> int:
        """Remove temp files left by dead processes (or untouched for an hour); how many."""
        removed = 0
        host = socket.gethostname()
        for path in self.tmp.glob("*.part") if self.tmp.is_dir() else ():
            if self._abandoned(path, host):
                with suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        if removed:
            log.info("%s: removed %d temp file(s) left by interrupted downloads", self.tmp, removed)
        return removed

    @staticmethod
    def _abandoned(path: Path, host: str) -> bool:
        try:
            touched = path.stat().st_mtime
        except OSError:
            return False
        if time.time() - touched > _UNTOUCHED:
            return True
        parts = path.name.removesuffix(".part").rsplit("_", 2)
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            return False  # another host's: only its age tells
        pid = int(parts[1])
        if pid == os.getpid():
            return touched < _STARTED
        return not process_alive(pid)


def files_path(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """Where galley files live: ``[mirror] path``; else ``files/`` beside the SQLite database;
    else (PostgreSQL) ``files/`` in the state directory: systemd's ``$STATE_DIRECTORY``, then
    ``$XDG_STATE_HOME/ojs-harvester``, then ``~/.local/state/ojs-harvester``."""
    environ = os.environ if environ is None else environ
    if settings.mirror.path:
        return Path(settings.mirror.path).expanduser()
    url = settings.database.url
    if url.startswith("sqlite"):
        database = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return Path(database).expanduser().parent / "files"
    if environ.get("STATE_DIRECTORY"):
        return Path(environ["STATE_DIRECTORY"].split(":")[0]) / "files"
    state = environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(state) / "ojs-harvester" / "files"
