"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from harvester.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
