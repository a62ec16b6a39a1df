"""Schema migrations, run programmatically so that an installed wheel needs no ``alembic.ini``.

``upgrade`` brings a database to the newest revision; ``schema_status`` says where it is now;
``require_current_schema`` turns an unmigrated database into a clear :class:`StorageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ward_core.db.session import display_url
from ward_core.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class SchemaStatus:
    """Which revision a database is at, and which one this version of ward needs."""

    database: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when no migration is pending."""
        return self.current == self.head


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped with ward."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision this version of ward ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def schema_status(engine: Engine) -> SchemaStatus:
    """The revision ``engine``'s database is at (``None`` for an empty or missing database).

    A missing SQLite file is reported as empty without being created.
    """
    url = engine.url
    file_path = url.database if url.get_backend_name() == "sqlite" and url.database != ":memory:" else None
    if file_path and not Path(file_path).exists():
        return SchemaStatus(database=display_url(url), current=None, head=head_revision())
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the schema revision of {display_url(engine.url)}: {exc}") from exc
    return SchemaStatus(database=display_url(engine.url), current=current, head=head_revision())


def upgrade(engine: Engine, revision: str = "head") -> SchemaStatus:
    """Apply every pending migration up to ``revision``, in one transaction per run."""
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"migrating {display_url(engine.url)} failed: {exc}") from exc
    return schema_status(engine)


def require_current_schema(engine: Engine) -> None:
    """Raise :class:`StorageError` unless the database is at the newest revision."""
    status = schema_status(engine)
    if not status.up_to_date:
        where = f"at revision {status.current}" if status.current else "empty"
        raise StorageError(
            f"database {status.database} is {where}, ward needs revision {status.head}: run `ward db upgrade`"
        )
