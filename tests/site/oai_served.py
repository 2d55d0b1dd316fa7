"""``harvester serve`` as a real process on loopback, and a raw OAI-PMH request helper for tests."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from lxml import etree

OAI = "{http://www.openarchives.org/OAI/2.0/}"


class Served:
    """``harvester serve --port 0`` on a config and database; ``url`` is its /oai endpoint."""

    def __init__(self, config: Path, db_url: str, log: Path) -> None:
        self._command = [
            sys.executable,
            "-m",
            "harvester",
            "--config",
            str(config),
            "--db",
            db_url,
            "serve",
            "--port",
            "0",
        ]
        self._log = log
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Self:
        with self._log.open("a", encoding="utf-8") as log:
            self._process = subprocess.Popen(self._command, stdout=subprocess.PIPE, stderr=log, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("serving OAI-PMH at "):
            self.stop()
            raise RuntimeError(f"harvester serve did not start: {line!r}\n{self._log.read_text()}")
        self.url = line.split(" at ", 1)[1].strip()
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def get(self, query: str, *, post: bool = False) -> etree._Element:
        """The parsed response to a raw query string; every OAI-PMH answer is 200 text/xml."""
        if post:
            request = urllib.request.Request(
                self.url,
                data=query.encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        else:
            request = urllib.request.Request(f"{self.url}?{query}")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/xml")
            return etree.fromstring(response.read())

    def error(self, query: str) -> str:
        """The one error code the query is answered with."""
        root = self.get(query)
        errors = root.findall(f"{OAI}error")
        assert len(errors) == 1, etree.tostring(root)
        return str(errors[0].get("code"))


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
