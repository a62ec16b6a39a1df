"""A lab service on an event loop thread of its own, for code that blocks.

:class:`BackgroundService` owns the loop and its thread; a subclass says how the service starts
(:meth:`~BackgroundService._start`) and closes (:meth:`~BackgroundService._close`) on that loop.
Model changes go through :meth:`~BackgroundService.call` so that they happen on the service's loop,
between requests.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")

START_TIMEOUT = 60.0
"""Seconds a start, a stop or a :meth:`BackgroundService.call` may take."""


def free_port(address: str, kind: socket.SocketKind) -> int:
    """A port of ``kind`` (TCP or UDP) that the kernel reports free on ``address`` right now."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


class BackgroundService:
    """A context manager running a lab service on a private event loop thread."""

    def __init__(self, thread_name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=thread_name, daemon=True)

    async def _start(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Release what the service held outside the loop, after the thread stopped."""

    def __enter__(self) -> Self:
        self._thread.start()
        try:
            self._run(self._start())
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._run(self._close())
        finally:
            self._stop()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the service's loop and return its result."""

        async def run() -> T:
            return fn()

        return self._run(run())

    def _run(self, work: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(START_TIMEOUT)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        self._loop.close()
        self._cleanup()
