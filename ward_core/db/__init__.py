"""Ward's storage: SQLAlchemy 2 models, engines and sessions, and Alembic migrations.

PostgreSQL (psycopg 3) in production and SQLite as the embedded default, through the same models,
migrations and queries.
"""

from __future__ import annotations

from ward_core.db.base import Base
from ward_core.db.migrate import SchemaStatus, require_current_schema, schema_status, upgrade
from ward_core.db.session import database_url, display_url, get_engine, session_factory, session_scope

__all__ = [
    "Base",
    "SchemaStatus",
    "database_url",
    "display_url",
    "get_engine",
    "require_current_schema",
    "schema_status",
    "session_factory",
    "session_scope",
    "upgrade",
]
