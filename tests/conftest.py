"""Shared fixtures: a fresh database per test, on SQLite and (given a URL) PostgreSQL; the test OJS site
(``tests/site/fixtures.py``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine

from harvester.store import Store

pytest_plugins = ["tests.site.fixtures"]  # the test OJS site: ojs_site, site

PG_URL = os.environ.get("HARVESTER_TEST_POSTGRES_URL")
PG_SKIP = (
    "PostgreSQL tests skipped: set HARVESTER_TEST_POSTGRES_URL "
    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[object]:
    """An engine on the test PostgreSQL; connection failure is an error, never a skip."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # fails loudly when the URL is set but the server is down
        conn.exec_driver_sql("SELECT 1")
    yield engine
    engine.dispose()


def _postgres_url(pg_admin: object) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in str(PG_URL) else "?"
    yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: SQLite in a temp dir, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'harvester.db'}"
        return
    yield from _postgres_url(request.getfixturevalue("pg_admin"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on ``db_url``."""
    opened = Store(db_url)
    yield opened
    opened.close()
