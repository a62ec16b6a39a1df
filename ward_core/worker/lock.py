"""One scheduler at a time decides about a schedule's next cycle.

:func:`locked_session` opens the transaction in which a scheduler looks at a schedule's cycles and
starts, skips or waits, and yields it only if no other scheduler holds the same schedule:

- PostgreSQL: ``pg_try_advisory_xact_lock`` on a key derived from the schedule name, taken as the
  first statement and released by the database when the transaction ends, even if the scheduler
  dies;
- SQLite (one machine by nature): an exclusive ``flock`` on a file beside the database, held until
  the transaction has committed; the kernel releases it if the process dies.

The lock covers the decision only; what prevents overlapping cycles is the decision itself (no new
cycle while the previous one has outstanding batches), and the lock makes that check and the start
of the next cycle one atomic step across schedulers.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ward_core.db.session import session_scope
from ward_core.errors import StorageError


def advisory_key(schedule: str) -> int:
    """The signed 64-bit PostgreSQL advisory lock key of ``schedule`` (stable across processes).

    >>> advisory_key("probes") == advisory_key("probes") != advisory_key("other")
    True
    """
    digest = hashlib.blake2b(f"ward.schedule:{schedule}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_path(engine: Engine, schedule: str) -> Path | None:
    """The lock file of ``schedule`` beside a SQLite database file (None for in-memory ones)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.schedule-{schedule}.lock")


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"cannot open the scheduler lock file {path}: {exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def locked_session(engine: Engine, schedule: str) -> Iterator[Session | None]:
    """A transaction holding ``schedule``'s lock, or None when another scheduler holds it.

    The transaction commits when the block succeeds and rolls back when it raises.
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        path = lock_path(engine, schedule)
        if path is None:
            with session_scope(engine) as session:
                yield session
            return
        with _file_lock(path) as held:
            if not held:
                yield None
                return
            with session_scope(engine) as session:
                yield session
        return
    if dialect != "postgresql":
        raise StorageError(f"unsupported database {dialect!r}: ward schedules on PostgreSQL or SQLite")
    with session_scope(engine) as session:
        held = bool(session.scalar(select(func.pg_try_advisory_xact_lock(advisory_key(schedule)))))
        yield session if held else None
