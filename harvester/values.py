"""Config values as people write them, parsed once: durations ("6h"), sizes ("200MB"), MIME
type patterns, http(s) URLs and HOST:PORT addresses, as pydantic field types; and the config
file read, its problems reported each with its key path (``sources[1].schedule: …``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from .errors import ConfigError

__all__ = [
    "ByteSize",
    "Duration",
    "HttpUrl",
    "MimeTypes",
    "format_errors",
    "http_url",
    "is_duration",
    "parse_duration",
    "parse_size",
    "read_toml",
    "split_listen",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_DURATION = 100 * 365 * 86400
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB)\s*$", re.IGNORECASE)
_UNIT_BYTES = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
_MIME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$")


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"6h"``, ``"1d"``, ``"2w"`` as a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like '30m', '6h' or '1d'")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds > _MAX_DURATION:  # dates this far back or ahead overflow
        raise ValueError(f"{text!r} is longer than 100 years")
    return timedelta(seconds=seconds)


def parse_size(value: int | str) -> int:
    """A byte count: an integer, or ``"200MB"``, ``"512KB"``, ``"1.5GB"`` (binary units: 1 MB = 2**20)."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size like 200MB, 512KB or a number of bytes")
    return int(float(match[1]) * _UNIT_BYTES[match[2].upper()])


def _mime_types(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [item for item in value if not _MIME_PATTERN.match(item)]
    if bad:
        raise ValueError(f"not MIME types like 'application/pdf' or 'image/*': {', '.join(map(repr, bad))}")
    return value


def _duration(value: object) -> timedelta:
    """A duration as the config writes it ("6h") parsed once, here; a timedelta passes."""
    return value if isinstance(value, timedelta) else parse_duration(str(value))


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


Duration = Annotated[timedelta, BeforeValidator(_duration)]
MimeTypes = Annotated[tuple[str, ...], AfterValidator(_mime_types)]
HttpUrl = Annotated[str, AfterValidator(http_url)]
ByteSize = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]


def split_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9308"`` or ``"[::1]:9308"`` as (host, port)."""
    host, colon, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{value!r} is not HOST:PORT, like '127.0.0.1:9308'")
    return host, int(port)


def is_duration(text: str) -> bool:
    """Whether ``text`` is written as a duration ("6h"), not, say, a cron line."""
    return _DURATION.match(text) is not None


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file as a dict; one ``ConfigError`` line when it cannot be read or parsed."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _key_path(location: Sequence[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def format_errors(where: str, error: ValidationError) -> str:
    """Every problem of a validation at once, each on its own line with its key path."""
    lines = [f"{where}: invalid configuration ({error.error_count()} problem(s)):"]
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {_key_path(item['loc'])}: {message}")
    return "\n".join(lines)
