"""Attempts with a deadline each, retried after timeouts only, with exponential backoff and jitter.

gufo-snmp has no retries: a request that gets no answer raises :class:`TimeoutError`. Here a whole
attempt at a device (open a session, every request of the poll) gets ``timeout`` seconds; when it
runs out, the next attempt starts after a pause that doubles each time, with jitter so that a
batch of devices that timed out together does not retry in lockstep. Any other failure (an
authentication error, garbage from the agent) is final: asking again would get the same answer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
_RANDOM = random.Random()


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """``retries`` extra attempts of ``timeout`` seconds each, pausing ``backoff`` to ``backoff_max`` s."""

    timeout: float
    retries: int = 0
    backoff: float = 0.2
    backoff_max: float = 2.0

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first): "equal jitter".

        The base doubles per retry (capped at ``backoff_max``); the pause is half the base plus a
        random share of the other half, so it never collapses to zero.

        >>> policy = RetryPolicy(timeout=1.0, backoff=0.2, backoff_max=1.0)
        >>> [0.1 <= policy.delay(0) <= 0.2, 0.2 <= policy.delay(1) <= 0.4, 0.5 <= policy.delay(5) <= 1.0]
        [True, True, True]
        """
        base = min(self.backoff_max, self.backoff * 2.0**retry)
        share = (rng or _RANDOM).random()
        return base / 2 + share * base / 2


class AttemptsTimedOut(TimeoutError):
    """Every attempt ran out of time; ``attempts`` says how many were made, ``last`` how the last ended."""

    def __init__(self, attempts: int, timeout: float, last: TimeoutError | None = None) -> None:
        self.attempts = attempts
        self.timeout = timeout
        self.last = last
        plural = "s" if attempts != 1 else ""
        super().__init__(f"{attempts} attempt{plural} of {timeout:g} s")


async def with_retries(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Run ``attempt()`` until it returns, at most ``policy.retries + 1`` times.

    Each call gets ``policy.timeout`` seconds; a :class:`TimeoutError` (raised by the attempt or by
    its deadline) leads to a pause and another call, any other exception propagates at once.
    Raises :class:`AttemptsTimedOut` when the last attempt timed out too.
    """
    last: TimeoutError | None = None
    for retry in range(policy.retries + 1):
        if retry:
            await asyncio.sleep(policy.delay(retry - 1))
        try:
            async with asyncio.timeout(policy.timeout):
                return await attempt()
        except TimeoutError as exc:
            last = exc
    raise AttemptsTimedOut(policy.retries + 1, policy.timeout, last)
