"""The store: a deduplicated, versioned mirror in SQLite or PostgreSQL.

Only this package imports SQLAlchemy.  ``Store`` owns the engine; the functions of
``ingest``, ``runs`` and ``queries`` work inside the transactions it hands out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError
from .engine import connect, migrate, write_transaction

__all__ = ["Store"]


class Store:
    """One database, migrated to the newest schema on first use."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = connect(url)
        self._where = self.engine.url.render_as_string(hide_password=True)
        if auto_migrate:
            self.migrate()

    def migrate(self) -> None:
        """Create the schema or apply pending migrations (``harvester db upgrade``)."""
        with self._translated():
            migrate(self.engine)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise StoreError(f"{self._where}: {str(cause).splitlines()[0]}") from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: ``BEGIN IMMEDIATE``); commits on success."""
        with self._translated(), write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction; never blocks the writer."""
        with self._translated(), self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()
