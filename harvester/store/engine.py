"""Opening the database: engines tuned per dialect, write transactions, migrations.

SQLite (the default) runs in WAL mode with ``synchronous=NORMAL`` and a busy timeout, so
other processes can read while the harvester writes; write transactions start with
``BEGIN IMMEDIATE`` so two writers queue up instead of failing half-way.  PostgreSQL is
reached through psycopg 3.  Schema changes go through Alembic; a new database is created from
the metadata and stamped (Alembic's "build from scratch" recipe).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import StoreError
from ..redact import mask
from .schema import metadata
from .views import create_views

__all__ = ["HEAD_REVISION", "connect", "current_revision", "head_revision", "migrate", "write_transaction"]

#: The newest migration; a test checks it against ``migrations/versions``.  Knowing it without
#: importing Alembic keeps every command's start-up fast when no migration is pending.
HEAD_REVISION = "0018"

_MIGRATIONS = Path(__file__).parent / "migrations"
_BUSY_TIMEOUT_MS = 60_000
# Any fixed number: the key of the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK = 0x0A1_0001


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event decide how transactions start (pysqlite would otherwise
    # begin them lazily, and never as IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def connect(url: str) -> Engine:
    """An engine for the URL, with the dialect's settings applied."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"{mask(url)}: not a database URL (e.g. sqlite:///harvester.db)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"{parsed.render_as_string(hide_password=True)}: {exc}") from None


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that takes SQLite's write lock up front (a no-op option elsewhere)."""
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        yield conn


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest schema revision among the migration files (Alembic's view)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    if head is None:
        raise StoreError(f"{_MIGRATIONS}: no migrations found (broken installation)")
    return head


def current_revision(conn: Connection) -> str | None:
    """The schema revision the database is at (None: not created yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return str(revision) if revision else None


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema: create it, or run pending migrations."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        current = current_revision(conn)
        if current == HEAD_REVISION:
            return
        if current is None and not inspect(conn).has_table("sources"):
            metadata.create_all(conn)
            create_views(conn)
            _stamp_head(conn)
            return
        from alembic import command

        command.upgrade(_alembic_config(conn), "head")


# Alembic's version table as Alembic creates it (alembic 1.x ddl/impl.py
# ``version_table_impl``: one String(32) column, primary key ``alembic_version_pkc``).
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _stamp_head(conn: Connection) -> None:
    """What ``alembic stamp head`` writes on a new database, without importing Alembic (a
    third of a first run's start-up): its version table, holding the newest revision."""
    _ALEMBIC_VERSION.create(conn)
    conn.execute(_ALEMBIC_VERSION.insert().values(version_num=HEAD_REVISION))
