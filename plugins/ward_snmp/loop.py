"""Running a coroutine from ward's synchronous hooks, whatever the calling thread already runs."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[object, object, T]) -> T:
    """Run ``coroutine`` in a new event loop, on a helper thread if this thread already runs one.

    Ward calls hooks from worker threads (no loop there: ``asyncio.run``); a caller inside a loop
    (a test, an async service) gets the batch run on a thread of its own instead of an error.

    >>> async def answer() -> int:
    ...     return 42
    >>> run_sync(answer())
    42
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ward-snmp") as pool:
        return pool.submit(asyncio.run, coroutine).result()
