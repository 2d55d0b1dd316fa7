"""The content-addressed file store on a real filesystem: whole files only, stored once, and
temp files of dead processes (only those) cleaned up."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harvester.errors import FileStoreError
from harvester.mirror.files import FileStore, hash_file


def _write(files: FileStore, body: bytes) -> Path:
    with files.temp() as temp:
        temp.file.write(body)
        return files.place(temp, hashlib.sha256(body).hexdigest(), len(body))


def test_a_file_is_placed_at_its_hash_and_stored_once(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    body = b"%PDF-1.4\n" * 1000
    sha = hashlib.sha256(body).hexdigest()
    first = _write(files, body)
    assert first == tmp_path / "files" / "sha256" / sha[:2] / sha[2:4] / sha
    assert first.read_bytes() == body and hash_file(first) == sha
    inode = first.stat().st_ino
    assert _write(files, body) == first
    assert first.stat().st_ino == inode  # the same file, not a copy
    assert list(files.tmp.iterdir()) == []


def test_a_temp_file_never_placed_is_removed(tmp_path: Path) -> None:
    files = FileStore(tmp_path)

    def fail_half_way() -> None:
        with files.temp() as temp:
            temp.file.write(b"half a file")
            raise RuntimeError("download failed")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert list(files.tmp.iterdir()) == []
    assert not (tmp_path / "sha256").exists()


def test_a_wrong_size_file_in_place_is_replaced(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    body = b"the whole file"
    sha = hashlib.sha256(body).hexdigest()
    files.path_for(sha).parent.mkdir(parents=True)
    files.path_for(sha).write_bytes(b"the who")  # a truncated copy from elsewhere
    assert _write(files, body).read_bytes() == body


def test_only_temp_files_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    files.tmp.mkdir()
    host = socket.gethostname()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    names = {
        "dead": f"{host}_{dead.stdout.strip()}_aa.part",
        "alive": f"{host}_{os.getppid()}_bb.part",  # our parent: alive
        "other host, fresh": f"elsewhere_{os.getpid()}_cc.part",
        "other host, old": "elsewhere_1_dd.part",
        "ours, before we started": f"{host}_{os.getpid()}_ee.part",
    }
    for name in names.values():
        (files.tmp / name).write_bytes(b"x")
    old = time.time() - 7200
    os.utime(files.tmp / names["other host, old"], (old, old))
    os.utime(files.tmp / names["ours, before we started"], (time.time() - 3000,) * 2)
    with files.temp() as ours:  # in use right now: never touched
        assert files.clean_temp() == 3
        left = {path.name for path in files.tmp.iterdir()}
        assert left == {names["alive"], names["other host, fresh"], ours.path.name}


def test_an_unwritable_directory_is_a_file_store_error(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the directory should be")
    with (
        pytest.raises(FileStoreError, match="cannot create a temp file"),
        FileStore(tmp_path / "blocked").temp(),
    ):
        pass


def test_paths_are_absolute_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(FileStore(Path("files")), b"relative config, absolute record")
    assert path.is_absolute() and path.is_relative_to(tmp_path / "files")
