"""Attempts: a deadline each, retries after timeouts only, backoff with jitter."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import pytest
from ward_snmp.retry import AttemptsTimedOut, RetryPolicy, with_retries


def test_delays_double_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(timeout=1.0, backoff=0.1, backoff_max=0.8)
    rng = random.Random(7)
    for retry, base in enumerate([0.1, 0.2, 0.4, 0.8, 0.8]):
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert all(base / 2 <= d <= base for d in delays)
        assert max(delays) - min(delays) > base / 4, "jitter spreads the delays"


def test_a_timed_out_attempt_is_retried_until_one_succeeds() -> None:
    calls: list[float] = []

    async def attempt() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            await asyncio.sleep(10)
        return "answer"

    policy = RetryPolicy(timeout=0.1, retries=3, backoff=0.05, backoff_max=0.05)
    assert asyncio.run(with_retries(attempt, policy)) == "answer"
    assert len(calls) == 3
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(0.1 + 0.025 - 0.01 <= gap < 0.5 for gap in gaps), gaps


def test_every_attempt_timing_out_says_how_many() -> None:
    async def attempt() -> None:
        raise TimeoutError("no answer")

    policy = RetryPolicy(timeout=1.0, retries=2, backoff=0.01, backoff_max=0.01)
    with pytest.raises(AttemptsTimedOut) as raised:
        asyncio.run(with_retries(attempt, policy))
    assert (raised.value.attempts, str(raised.value)) == (3, "3 attempts of 1 s")
    assert isinstance(raised.value.last, TimeoutError) and str(raised.value.last) == "no answer"


def test_other_failures_are_not_retried() -> None:
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise PermissionError("refused")

    with pytest.raises(PermissionError):
        asyncio.run(with_retries(attempt, RetryPolicy(timeout=1.0, retries=5)))
    assert calls == 1
