"""A Redis database of the test's own, on a real Redis server, for tests that run ward's workers.

:func:`claimed_redis_db` claims one of the databases 1-15 with a ``SET NX`` key that expires (so
two test runs, or two suites of one run, never share one, and a crashed run frees it after
:data:`CLAIM_TTL_S`), deletes ward's keys (``ward:*``) before and after, and gives its URL::

    with claimed_redis_db() as url:   # "redis://127.0.0.1:6379/3"
        ...

Without a reachable server the test is skipped, or failed under ``CI=true``; with every database
claimed it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
CLAIM_KEY = "ward-test:claimed"
CLAIM_TTL_S = 1800
DATABASES = range(1, 16)


def delete_ward_keys(client: redis.Redis) -> None:
    """Delete every key of ward's queues (``ward:*``) in ``client``'s database."""
    keys = list(client.scan_iter(match="ward:*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def claimed_redis_db(host: str = REDIS_HOST, port: int = REDIS_PORT) -> Iterator[str]:
    """``redis://host:port/<n>`` for a database nobody else is using (see the module docstring)."""
    token = uuid.uuid4().hex
    for db in DATABASES:
        client = redis.Redis(host=host, port=port, db=db)
        try:
            claimed = client.set(CLAIM_KEY, token, nx=True, ex=CLAIM_TTL_S)
        except redis.ConnectionError as exc:
            client.close()
            message = f"Redis unreachable at {host}:{port}: {exc}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        if not claimed:
            client.close()
            continue
        delete_ward_keys(client)
        try:
            yield f"redis://{host}:{port}/{db}"
        finally:
            delete_ward_keys(client)
            if client.get(CLAIM_KEY) == token.encode():
                client.delete(CLAIM_KEY)
            client.close()
        return
    pytest.fail(f"every Redis database {DATABASES.start}-{DATABASES.stop - 1} is claimed by another test run")
