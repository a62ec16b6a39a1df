"""One asyncio event loop in a background thread, shared by every collection of the process.

Ward calls ``ward_topology_neighbours`` once per device from many threads at once. Rather than
start an event loop per call, each call hands its coroutine to this loop and waits for the
answer, so hundreds of SNMP sessions run concurrently in one loop while the calling threads just
wait (gufo-snmp's sessions are non-blocking sockets).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """A started event loop in a daemon thread; :meth:`run` executes coroutines on it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="ward-lldp-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and return its result (or raise its exception)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure()).result()

    def stop(self) -> None:
        """Stop the loop and its thread (a later :meth:`run` starts new ones)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
