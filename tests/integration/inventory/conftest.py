"""Databases for storage tests: a PostgreSQL schema of its own per test (cheap, isolated, on the
run's fresh database) and a SQLite file in ``tmp_path`` (the embedded default)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def _count_writes(engine: Engine) -> Iterator[list[str]]:
    writes: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def count_writes() -> Callable[[Engine], AbstractContextManager[list[str]]]:
    """``with count_writes(engine) as writes:`` collects every INSERT/UPDATE/DELETE sent meanwhile
    (one entry per execute call, however many rows it carries)."""
    return _count_writes
