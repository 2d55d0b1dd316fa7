"""Configuration: one pipeline from TOML file to frozen, typed settings.

read (file) → override (environment, then command line) → normalise → validate.  Every
problem is reported at once, each with its key path (``sources[1].schedule: …``), as one
``ConfigError``.  Settings are handed to constructors; nothing here is global.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import __version__
from .errors import ConfigError
from .values import (
    ByteSize,
    Duration,
    HttpUrl,
    MimeTypes,
    format_errors,
    http_url,
    is_duration,
    parse_duration,
    read_toml,
    split_listen,
)

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
    "find_config_file",
    "load_settings",
    "source_from_url",
]

#: Where the configuration is looked for when neither ``--config`` nor ``$HARVESTER_CONFIG``
#: names a file.
CONFIG_SEARCH_PATH = (Path("config/harvester.toml"), Path("/etc/ojs-harvester/harvester.toml"))

_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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

    overlap: Duration = timedelta(hours=1)
    full_sweep: Duration = timedelta(days=7)
    max_empty_pages: int = Field(3, ge=1, le=1000)
    keep_raw: bool = True
    # The HTML crawl: the archive and the newest ``recent_issues`` issues (their tables of
    # contents and article pages) are checked on every run; older pages when last checked
    # ``revisit`` ago, so corrections to old articles are still found.
    recent_issues: int = Field(2, ge=0)
    revisit: Duration = timedelta(days=7)


class SchedulerSettings(_Frozen):
    """``[scheduler]``: the daemon's worker pool and timing."""

    workers: int = Field(4, ge=1)
    jitter: Duration = timedelta(minutes=5)
    misfire_grace_time: Duration = timedelta(hours=1)


class FleetSettings(_Frozen):
    """``[fleet]``: the job queue of a PostgreSQL store (``harvester run`` and ``harvester worker``)."""

    enabled: bool = True  # false: `harvester run` on PostgreSQL is the single-process daemon
    slots: int = Field(4, ge=1, le=256)  # jobs one process works at once
    tick: Duration = timedelta(
        minutes=1
    )  # how often the scheduler defers due journals and retries stalled jobs
    heartbeat: float = Field(10.0, gt=0, le=600, allow_inf_nan=False)  # seconds between a worker's beats
    stalled_after: float = Field(30.0, gt=0, le=86400, allow_inf_nan=False)  # no beat this long: dead
    backoff: Duration = timedelta(
        minutes=5
    )  # a failing host's first wait, doubled with each failure in a row
    max_backoff: Duration = timedelta(days=1)
    keep_failed: Duration = timedelta(days=30)  # failed jobs stay this long for reading, then go

    @field_validator("keep_failed")
    @classmethod
    def _check_keep_failed(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):  # procrastinate counts a finished job's age in hours
            raise ValueError(f"{value} is shorter than an hour")
        return value


class ServiceSettings(_Frozen):
    """``[service]``: what the daemon offers its supervisor besides systemd notifications."""

    listen: str | None = Field(None, description="HOST:PORT of /healthz, /readyz and /metrics")

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is not None:
            split_listen(value)
        return value


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
    token_lifetime: Duration = timedelta(days=1)
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

    path: str | None = None  # default: see ``mirror.files.files_path``
    max_file_size: ByteSize = 200 * 1024 * 1024
    allowed_types: MimeTypes = DEFAULT_FILE_TYPES
    # A galley mirrored from a server that sends no ETag/Last-Modified (OJS) can only be checked
    # by downloading it again: that happens when it was last checked this long ago.
    recheck: Duration = timedelta(days=30)
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
        if is_duration(value):
            parse_duration(value)
            return value
        from .cron import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is neither an interval like '6h' nor a cron line ({exc})") from exc
        return value

    @property
    def interval(self) -> timedelta | None:
        """The schedule as an interval; None when it is a cron line."""
        return parse_duration(self.schedule) if is_duration(self.schedule) else None

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


def source_from_url(url: str) -> SourceSettings:
    """A one-off source for a journal URL that is not in the config."""
    try:
        clean = http_url(url)
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
    raw: dict[str, Any] = read_toml(path) if path else {}
    url = database_url or environ.get("HARVESTER_DATABASE_URL")
    if url:
        raw["database"] = {**raw.get("database", {}), "url": url}
    raw["path"] = str(path) if path else None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(str(path or "configuration"), exc)) from None
