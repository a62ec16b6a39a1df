"""Engines and sessions, built from :class:`~ward_core.config.Settings` (never from globals).

``get_engine`` accepts ``postgresql://`` and selects psycopg 3, the only PostgreSQL driver ward
ships with. SQLite connections get foreign keys switched on, a busy timeout and WAL journaling, so
that the embedded default enforces the same constraints as PostgreSQL and tolerates a worker
writing while the CLI reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ward_core.config import Settings
from ward_core.errors import ConfigError

SQLITE_BUSY_TIMEOUT_S = 30


def database_url(source: Settings | str | URL) -> URL:
    """The SQLAlchemy URL ward uses for ``source``, with the driver ward expects.

    >>> database_url("postgresql://ward@db/ward").drivername
    'postgresql+psycopg'
    >>> database_url("sqlite:///ward.db").database
    'ward.db'
    """
    raw = source.database_url if isinstance(source, Settings) else source
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"database_url: not a database URL ({exc})") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def display_url(url: URL) -> str:
    """``url`` as text that is safe to print (the password masked).

    >>> display_url(database_url("postgresql+psycopg://ward:s3cret@db/ward"))
    'postgresql+psycopg://ward:***@db/ward'
    """
    return url.render_as_string(hide_password=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def get_engine(source: Settings | str | URL, **kwargs: Any) -> Engine:
    """A new engine for the configured database. The caller owns it and disposes of it."""
    url = database_url(source)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``. Objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    with session_factory(engine)() as session, session.begin():
        yield session
