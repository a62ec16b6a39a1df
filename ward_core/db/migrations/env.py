"""Alembic environment for ward.

``ward db upgrade`` hands over an open connection in ``config.attributes["connection"]``; the
``alembic`` command line (used to write new revisions) falls back to ward's settings.
SQLite gets batch mode so that later ALTERs work there as they do on PostgreSQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ward_core.config import load_settings
from ward_core.db import models  # noqa: F401  (registers every table on Base.metadata)
from ward_core.db.base import Base
from ward_core.db.session import get_engine


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the given connection, or one opened from ward's settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine(load_settings())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("ward migrations run online only: use `ward db upgrade`")
run_online()
