"""Config pipeline: defaults, the shipped file, precedence, and every problem reported at once."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from harvester.config import (
    DatabaseSettings,
    MirrorSettings,
    Settings,
    load_settings,
    source_from_url,
)
from harvester.errors import ConfigError
from harvester.mirror.files import files_path
from harvester.values import parse_duration, parse_size, split_listen

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "harvester.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid_and_names_ciss_insight() -> None:
    settings = load_settings(str(ROOT / "config" / "harvester.toml"), environ={})
    (source,) = settings.sources
    assert source.name == "ciss-insight"
    assert source.url == "https://journal.ciss.org.pk/index.php/ciss-insight"
    assert source.endpoint == "https://journal.ciss.org.pk/index.php/ciss-insight/oai"
    assert settings.database.url == "sqlite:///harvester.db"
    assert "ojs-harvester/0." in settings.http.user_agent
    assert settings.mirror == MirrorSettings()  # the file shows every default
    assert source.mirror_galleys is False


def test_environment_overrides_file_and_command_line_overrides_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, '[database]\nurl = "sqlite:///from-file.db"\n')
    env = {"HARVESTER_CONFIG": str(path), "HARVESTER_DATABASE_URL": "sqlite:///from-env.db"}
    assert load_settings(environ=env).database.url == "sqlite:///from-env.db"
    assert load_settings(database_url="sqlite:///cli.db", environ=env).database.url == "sqlite:///cli.db"
    assert load_settings(environ={"HARVESTER_CONFIG": str(path)}).database.url == "sqlite:///from-file.db"


def test_every_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[http]
requests_per_second = 0
[[sources]]
name = "ok"
url = "https://example.org/index.php/a"
[[sources]]
name = "bad name"
url = "ftp://example.org"
schedule = "every day"
colour = "blue"
""",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(str(path), environ={})
    message = str(info.value)
    for expected in (
        "http.requests_per_second",
        "sources[1].name",
        "sources[1].url",
        "sources[1].schedule",
        "sources[1].colour",
    ):
        assert expected in message
    assert str(path) in message


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[sources]]\nname = "a"\nurl = "https://x.org/index.php/a"\n'
        '[[sources]]\nname = "a"\nurl = "https://x.org/index.php/b"\n',
    )
    with pytest.raises(ConfigError, match="unique: a"):
        load_settings(str(path), environ={})


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[http\nuser_agent = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(str(path), environ={})


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_durations_are_read_once_into_timedeltas(tmp_path: Path) -> None:
    text = '[harvest]\noverlap = "90m"\n[mirror]\nrecheck = "2w"\n[[sources]]\nname = "a"\nurl = "https://x.org/index.php/a"\n'
    settings = load_settings(str(_write(tmp_path, text)), environ={})
    assert settings.harvest.overlap == timedelta(minutes=90)
    assert settings.mirror.recheck == timedelta(weeks=2)
    assert settings.harvest.full_sweep == timedelta(days=7)  # a default is a timedelta too
    assert settings.sources[0].interval == timedelta(hours=6)


def test_cron_schedule_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '[[sources]]\nname = "a"\nurl = "https://x.org/index.php/a"\nschedule = "0 */6 * * *"\n'
    )
    assert load_settings(str(path), environ={}).sources[0].schedule == "0 */6 * * *"


def test_source_from_url_derives_name_and_endpoint() -> None:
    source = source_from_url("https://journal.ciss.org.pk/index.php/ciss-insight/")
    assert source.name == "journal.ciss.org.pk-ciss-insight"
    assert source.endpoint == "https://journal.ciss.org.pk/index.php/ciss-insight/oai"
    query_form = source_from_url("https://x.org/index.php?journal=abc")
    assert query_form.endpoint == "https://x.org/index.php?journal=abc&page=oai"


def test_cli_bad_config_exits_2_with_one_message_and_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "[http]\ntimeout = -1\n")
    done = subprocess.run(
        [sys.executable, "-m", "harvester", "--config", str(path), "sources"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "http.timeout" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("127.0.0.1:9308", ("127.0.0.1", 9308)), ("[::1]:0", ("::1", 0)), ("localhost:80", ("localhost", 80))],
)
def test_service_listen_is_host_and_port(tmp_path: Path, listen: str, expected: tuple[str, int]) -> None:
    settings = load_settings(str(_write(tmp_path, f'[service]\nlisten = "{listen}"\n')), environ={})
    assert settings.service.listen == listen
    assert split_listen(listen) == expected
    assert load_settings(str(_write(tmp_path, "")), environ={}).service.listen is None  # off by default


@pytest.mark.parametrize("listen", ["9308", "127.0.0.1", ":9308", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_service_listen_is_refused_with_its_key_path(tmp_path: Path, listen: str) -> None:
    with pytest.raises(ConfigError, match=r"service\.listen: .* is not HOST:PORT"):
        load_settings(str(_write(tmp_path, f'[service]\nlisten = "{listen}"\n')), environ={})


@pytest.mark.parametrize(
    ("value", "size"),
    [(1000, 1000), ("1000", 1000), ("512KB", 524288), ("200MB", 209715200), ("1.5gb", 1610612736)],
)
def test_sizes(value: int | str, size: int) -> None:
    assert parse_size(value) == size


def test_mirror_settings_are_validated(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[mirror]\nmax_file_size = "lots"\nallowed_types = ["application/pdf", "pdf"]\nrecheck = "monthly"\n'
        '[[sources]]\nname = "a"\nurl = "https://x.org/index.php/a"\nmirror_galleys = "yes please"\n',
    )
    with pytest.raises(ConfigError) as info:
        load_settings(str(path), environ={})
    for key in (
        "mirror.max_file_size",
        "mirror.allowed_types",
        "mirror.recheck",
        "sources[0].mirror_galleys",
    ):
        assert key in str(info.value)
    good = _write(tmp_path, '[mirror]\nmax_file_size = "1KB"\nallowed_types = ["image/*"]\n')
    mirror = load_settings(str(good), environ={}).mirror
    assert (mirror.max_file_size, mirror.allowed_types) == (1024, ("image/*",))


def test_serve_settings_are_validated(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[serve]\nport = 70000\nrepository_id = "not a domain"\npage_size = 0\ntoken_lifetime = "soon"\n'
        'admin_email = "nobody"\n',
    )
    with pytest.raises(ConfigError) as info:
        load_settings(str(path), environ={})
    for key in (
        "serve.port",
        "serve.repository_id",
        "serve.page_size",
        "serve.token_lifetime",
        "serve.admin_email",
    ):
        assert key in str(info.value)
    serve = load_settings(str(_write(tmp_path, '[serve]\nhost = "::1"\nport = 9\n')), environ={}).serve
    assert serve.oai_url == "http://[::1]:9/oai"
    proxied = _write(tmp_path, '[serve]\nbase_url = "https://mirror.example.org/oai"\n')
    assert load_settings(str(proxied), environ={}).serve.oai_url == "https://mirror.example.org/oai"


def test_files_path_beside_sqlite_or_in_the_state_directory(tmp_path: Path) -> None:
    def settings(url: str, path: str | None = None) -> Settings:
        return Settings(database=DatabaseSettings(url=url), mirror=MirrorSettings(path=path))

    assert files_path(settings("sqlite:///harvester.db"), {}) == Path("files")
    assert files_path(settings("sqlite:////var/lib/h/harvester.db"), {}) == Path("/var/lib/h/files")
    assert files_path(settings("sqlite:///x.db", str(tmp_path / "f")), {}) == tmp_path / "f"
    postgres = settings("postgresql+psycopg://db/h")
    assert files_path(postgres, {"STATE_DIRECTORY": "/var/lib/o:/x"}) == Path("/var/lib/o/files")
    assert files_path(postgres, {"XDG_STATE_HOME": "/s"}) == Path("/s/ojs-harvester/files")
    assert files_path(postgres, {}) == Path("~/.local/state/ojs-harvester/files").expanduser()


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("[http]\ntimeout = 1e309", "http.timeout"),
        ("[http]\ntimeout = nan", "http.timeout"),
        ("[http]\nmax_retries = 100000000", "http.max_retries"),
        ("[http]\nbackoff = 1e300", "http.backoff"),
        ("[http]\nmax_retry_after = 1e12", "http.max_retry_after"),
        ("[mirror]\ntimeout = inf", "mirror.timeout"),
        ('[harvest]\noverlap = "99999999999999999999w"', "harvest.overlap"),
    ],
)
def test_values_past_their_upper_bound_are_refused_with_the_key(tmp_path: Path, line: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(str(_write(tmp_path, line + "\n")), environ={})


def test_fleet_keep_failed_reads_a_duration_and_refuses_less_than_an_hour(tmp_path: Path) -> None:
    settings = load_settings(str(_write(tmp_path, '[fleet]\nkeep_failed = "7d"\n')), environ={})
    assert settings.fleet.keep_failed == timedelta(days=7)
    assert load_settings(str(_write(tmp_path, "")), environ={}).fleet.keep_failed == timedelta(days=30)
    with pytest.raises(ConfigError, match=r"fleet\.keep_failed: .*shorter than an hour"):
        load_settings(str(_write(tmp_path, '[fleet]\nkeep_failed = "30m"\n')), environ={})
