"""Stopping long-running commands on SIGTERM and SIGINT, safely.

A signal handler runs between two bytecodes of the main thread, possibly while that thread holds
a lock; :meth:`threading.Event.set` takes the event's lock, so calling it from a handler can
deadlock the process it is meant to stop. :class:`StopFlag` is set with a plain assignment and
polled instead.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Protocol

POLL_S = 0.1


class Stopper(Protocol):
    """What a loop that runs until told to stop needs (:class:`threading.Event` is one too)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class StopFlag:
    """A stop request that signal handlers may set.

    >>> flag = StopFlag()
    >>> flag.wait(0.01), flag.is_set()
    (False, False)
    >>> flag.set()
    >>> flag.wait(10), flag.is_set()
    (True, True)
    """

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        """Ask to stop (safe in a signal handler: no lock is taken)."""
        self._set = True

    def is_set(self) -> bool:
        """True once stopping was asked for."""
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until asked to stop or ``timeout`` seconds passed; whether stopping was asked."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._set:
            left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self._set


def stop_on_signals() -> StopFlag:
    """A flag that SIGTERM and SIGINT set (call from the main thread)."""
    flag = StopFlag()

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        flag.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return flag
