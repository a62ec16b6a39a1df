"""Which failures of a probe batch are worth running the message again.

Only transient infrastructure errors are: the database or the broker connection dropped, a
connection pool timed out, SQLite was locked. Everything about devices is data inside the batch's
result and never reaches this far; a bad message (unknown kind, empty batch) or a bug would fail
the same way every time, so it is not retried either.

Dramatiq's ``retry_when`` predicate replaces ``max_retries`` when both are given, so
:class:`RetryPolicy` carries the retry limit itself. The delay between attempts is Dramatiq's
exponential backoff with jitter: ``min_backoff * 2**attempt``, times a random factor between 1 and
2, capped at ``max_backoff``.
"""

from __future__ import annotations

from dataclasses import dataclass

import dramatiq.errors
import psycopg
import redis.exceptions
import sqlalchemy.exc

TRANSIENT: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    dramatiq.errors.BrokerConnectionError,
    ConnectionError,
)
"""Exceptions that mean "the infrastructure hiccuped"; found anywhere in the cause chain."""

MAX_CHAIN = 16


def is_transient(exc: BaseException) -> bool:
    """True when ``exc``, or an exception it was raised from, is a transient infrastructure error.

    >>> is_transient(ConnectionRefusedError("redis"))
    True
    >>> is_transient(ValueError("no such kind"))
    False
    >>> try:
    ...     try:
    ...         raise ConnectionResetError("server closed the connection")
    ...     except ConnectionResetError as cause:
    ...         raise RuntimeError("writing the batch failed") from cause
    ... except RuntimeError as wrapped:
    ...     is_transient(wrapped)
    True
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < MAX_CHAIN:
        if isinstance(current, TRANSIENT):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Dramatiq's ``retry_when``: retry transient errors while fewer than ``max_retries`` were made.

    >>> policy = RetryPolicy(max_retries=2)
    >>> policy(0, ConnectionResetError()), policy(2, ConnectionResetError()), policy(0, KeyError())
    (True, False, False)
    """

    max_retries: int

    def __call__(self, retries: int, exc: BaseException) -> bool:
        return retries < self.max_retries and is_transient(exc)
