"""Configuration: one pipeline from TOML file to frozen, typed settings.

read (file) → override (environment, then command line) → normalise → validate.  Every
problem is reported at once, each with its key path (``sources[1].schedule: …``), as one
``ConfigError``.  Settings are handed to constructors; nothing here is global.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import __version__
from .errors import ConfigError

__all__ = [
    "CONFIG_SEARCH_PATH",
    "DatabaseSettings",
    "FleetSettings",
    "HarvestSettings",
    "HttpSettings",
    "MirrorSettings",
    "SchedulerSettings",
    "ServeSettings",
    "ServiceSettings",
    "Settings",
    "SourceSettings",
    "files_path",
    "find_config_file",
    "load_settings",
    "parse_duration",
    "parse_size",
    "source_from_url",
    "split_listen",
]

#: Where the configuration is looked for when neither ``--config`` nor ``$HARVESTER_CONFIG``
#: names a file.
CONFIG_SEARCH_PATH = (Path("config/harvester.toml"), Path("/etc/ojs-harvester/harvester.toml"))

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_DURATION = 100 * 365 * 86400
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
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


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


Duration = Annotated[str, AfterValidator(_duration)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
ByteSize = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSettings(_Frozen):
    """``[database]``: where the store lives."""

    url: str = "sqlite:///harvester.db"


class HttpSettings(_Frozen):
    """``[http]``: the one polite client every request goes through."""

    # Upper bounds keep a typo (or 1e309, which TOML reads as infinity) from meaning "forever".
    user_agent: str = f"ojs-harvester/{__version__} (+mailto:ops@example.org)"
    requests_per_second: float = Field(1.0, gt=0, le=1000, allow_inf_nan=False)
    timeout: float = Field(60.0, gt=0, le=3600, allow_inf_nan=False)
    connect_timeout: float = Field(10.0, gt=0, le=600, allow_inf_nan=False)
    max_retries: int = Field(4, ge=0, le=100)
    backoff: float = Field(1.0, ge=0, le=300, allow_inf_nan=False)
    max_retry_after: float = Field(300.0, ge=0, le=86400, allow_inf_nan=False)
    max_response_bytes: int = Field(50 * 1024 * 1024, gt=0, le=2**40)
    respect_robots: bool = True
    max_crawl_delay: float = Field(60.0, ge=0, le=86400, allow_inf_nan=False)

    @field_validator("user_agent")
    @classmethod
    def _expand_version(cls, value: str) -> str:
        # The documented placeholders: "{version}" and the "VERSION" of older sample files.
        return value.replace("{version}", __version__).replace("VERSION", __version__)


class HarvestSettings(_Frozen):
    """``[harvest]``: how incremental windows are chosen and checked."""

    overlap: Duration = "1h"
    full_sweep: Duration = "7d"
    max_empty_pages: int = Field(3, ge=1, le=1000)
    keep_raw: bool = True
    # The HTML crawl: the archive and the newest ``recent_issues`` issues (their tables of
    # contents and article pages) are checked on every run; older pages when last checked
    # ``revisit`` ago, so corrections to old articles are still found.
    recent_issues: int = Field(2, ge=0)
    revisit: Duration = "7d"


class SchedulerSettings(_Frozen):
    """``[scheduler]``: the daemon's worker pool and timing."""

    workers: int = Field(4, ge=1)
    jitter: Duration = "5m"
    misfire_grace_time: Duration = "1h"


class FleetSettings(_Frozen):
    """``[fleet]``: the job queue of a PostgreSQL store (``harvester run`` and ``harvester worker``)."""

    enabled: bool = True  # false: `harvester run` on PostgreSQL is the single-process daemon
    slots: int = Field(4, ge=1, le=256)  # jobs one process works at once
    tick: Duration = "1m"  # how often the scheduler defers due journals and retries stalled jobs
    heartbeat: float = Field(10.0, gt=0, le=600, allow_inf_nan=False)  # seconds between a worker's beats
    stalled_after: float = Field(30.0, gt=0, le=86400, allow_inf_nan=False)  # no beat this long: dead
    backoff: Duration = "5m"  # a failing host's first wait, doubled with each failure in a row
    max_backoff: Duration = "1d"


class ServiceSettings(_Frozen):
    """``[service]``: what the daemon offers its supervisor besides systemd notifications."""

    listen: str | None = Field(None, description="HOST:PORT of /healthz, /readyz and /metrics")

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is not None:
            split_listen(value)
        return value


def split_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9308"`` or ``"[::1]:9308"`` as (host, port)."""
    host, colon, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{value!r} is not HOST:PORT, like '127.0.0.1:9308'")
    return host, int(port)


_REPOSITORY_ID = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


class ServeSettings(_Frozen):
    """``[serve]``: the OAI-PMH data provider over the store (``harvester serve``)."""

    host: str = "127.0.0.1"
    port: int = Field(8380, ge=0, le=65535)
    base_url: HttpUrl | None = None  # the endpoint as clients reach it; default http://HOST:PORT/oai
    # The middle part of every identifier (oai:REPOSITORY_ID:SOURCE/ID): a domain name you own.
    repository_id: str = "localhost"
    repository_name: str = "OJS journals mirrored by ojs-harvester"
    admin_email: str = Field("ops@example.org", pattern=r"^[^@\s]+@[^@\s]+$")
    page_size: int = Field(100, ge=1, le=10000)
    token_lifetime: Duration = "1d"  # noqa: S105 (a duration, not a password)
    threads: int = Field(4, ge=1, le=64)

    @field_validator("repository_id")
    @classmethod
    def _check_repository_id(cls, value: str) -> str:
        if not _REPOSITORY_ID.match(value):
            raise ValueError(f"{value!r} is not a domain name like 'mirror.example.org'")
        return value

    @property
    def oai_url(self) -> str:
        """The endpoint's base URL, as Identify and every response name it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.base_url or f"http://{host}:{self.port}/oai"


#: What ``[mirror] allowed_types`` accepts by default: the formats OJS journals publish.
DEFAULT_FILE_TYPES = (
    "application/pdf",
    "application/epub+zip",
    "text/html",
    "application/xml",
    "text/xml",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
)


class MirrorSettings(_Frozen):
    """``[mirror]``: where and how galley files are kept (for sources with ``mirror_galleys``)."""

    path: str | None = None  # default: see ``files_path``
    max_file_size: ByteSize = 200 * 1024 * 1024
    allowed_types: Annotated[tuple[str, ...], AfterValidator(_mime_types)] = DEFAULT_FILE_TYPES
    # A galley mirrored from a server that sends no ETag/Last-Modified (OJS) can only be checked
    # by downloading it again: that happens when it was last checked this long ago.
    recheck: Duration = "30d"
    timeout: float = Field(600.0, gt=0, le=86400, allow_inf_nan=False)  # seconds for one whole file
    # Galley files are fetched only on the journal's own hosts and these (a CDN, say).
    allowed_hosts: tuple[str, ...] = ()


class SourceSettings(_Frozen):
    """One ``[[sources]]`` entry: a journal to keep mirrored."""

    name: str
    url: HttpUrl
    oai_url: HttpUrl | None = None
    # auto: OAI-PMH plus the HTML pages when the OAI endpoint answers, the HTML pages alone
    # when it does not; oai / html: one of them only; oai+html: both, always.
    strategy: Literal["auto", "oai", "html", "oai+html"] = "auto"
    schedule: str = "6h"
    metadata_prefix: Literal["oai_dc"] = "oai_dc"
    sets: tuple[str, ...] = ()
    enabled: bool = True
    mirror_galleys: bool = False  # keep the galley files too (``[mirror]``; daemon and ``mirror``)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _SOURCE_NAME.match(value):
            raise ValueError(f"{value!r} must be letters, digits, '.', '_' or '-'")
        return value

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        if _DURATION.match(value):
            return value
        from .scheduler import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is neither an interval like '6h' nor a cron line ({exc})") from exc
        return value

    @property
    def endpoint(self) -> str:
        """The OAI-PMH base URL: configured, or OJS's ``BASE/oai`` convention."""
        return self.oai_url or derive_oai_url(self.url)


class Settings(_Frozen):
    """The whole configuration, frozen."""

    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    harvest: HarvestSettings = HarvestSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    fleet: FleetSettings = FleetSettings()
    service: ServiceSettings = ServiceSettings()
    mirror: MirrorSettings = MirrorSettings()
    serve: ServeSettings = ServeSettings()
    sources: tuple[SourceSettings, ...] = ()
    path: str | None = Field(None, description="the file these settings were read from")

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
        return self

    def source(self, name: str) -> SourceSettings | None:
        """The configured source of that name, if any."""
        return next((s for s in self.sources if s.name == name), None)


def derive_oai_url(journal_url: str) -> str:
    """OJS serves OAI-PMH at ``JOURNAL_BASE/oai``; the ``index.php?journal=`` form uses ``page=oai``."""
    parts = urlsplit(journal_url)
    if "journal=" in parts.query:
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{parts.query}&page=oai"
    return journal_url.rstrip("/") + "/oai"


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


def source_from_url(url: str) -> SourceSettings:
    """A one-off source for a journal URL that is not in the config."""
    try:
        clean = _http_url(url)
    except ValueError as exc:
        raise ConfigError(f"{url}: {exc}") from None
    parts = urlsplit(clean)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parts.netloc}-{tail}").strip("-")
    return SourceSettings(name=name, url=clean)


def find_config_file(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    """The config file to read: ``--config``, ``$HARVESTER_CONFIG``, then the search path."""
    chosen = explicit or environ.get("HARVESTER_CONFIG")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return path
    return next((path for path in CONFIG_SEARCH_PATH if path.is_file()), None)


def _read_toml(path: Path) -> dict[str, Any]:
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


def _format_errors(where: str, error: ValidationError) -> str:
    lines = [f"{where}: invalid configuration ({error.error_count()} problem(s)):"]
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {_key_path(item['loc'])}: {message}")
    return "\n".join(lines)


def load_settings(
    config_path: str | None = None,
    *,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, override and validate the configuration.

    Precedence: defaults < file < environment (``$HARVESTER_DATABASE_URL``) < command line.
    Without any file, the defaults (and no sources) are used.
    """
    environ = os.environ if environ is None else environ
    path = find_config_file(config_path, environ)
    raw: dict[str, Any] = _read_toml(path) if path else {}
    url = database_url or environ.get("HARVESTER_DATABASE_URL")
    if url:
        raw["database"] = {**raw.get("database", {}), "url": url}
    raw["path"] = str(path) if path else None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(str(path or "configuration"), exc)) from None
