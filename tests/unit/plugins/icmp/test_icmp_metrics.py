"""Per-host metrics from the RTTs a host answered with, and the doctests of every plugin module."""

from __future__ import annotations

import doctest
import importlib
import statistics

import pytest
from ward_icmp.metrics import (
    ALL,
    JITTER_MS,
    LOSS_PCT,
    RECEIVED,
    RTT_AVG_MS,
    RTT_MAX_MS,
    RTT_MIN_MS,
    SENT,
    echo_metrics,
    jitter_ms,
)

MODULES = ["packets", "settings", "metrics", "resolve", "channel", "sweep", "probe"]


@pytest.mark.parametrize("module", MODULES)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"ward_icmp.{module}"))
    assert result.failed == 0


def values(rtts: list[float | None]) -> dict[str, float]:
    return {m.name: m.value for m in echo_metrics(rtts)}


def test_every_reply() -> None:
    got = values([2.0, 4.0, 3.0])
    assert got == {
        LOSS_PCT: 0.0,
        SENT: 3.0,
        RECEIVED: 3.0,
        RTT_MIN_MS: 2.0,
        RTT_AVG_MS: 3.0,
        RTT_MAX_MS: 4.0,
        JITTER_MS: 1.5,
    }
    assert set(got) == set(ALL)


def test_no_reply_is_full_loss_without_rtts() -> None:
    assert values([None, None, None]) == {LOSS_PCT: 100.0, SENT: 3.0, RECEIVED: 0.0}


def test_one_reply_has_rtts_but_no_jitter() -> None:
    got = values([None, 7.5, None, None])
    assert got[LOSS_PCT] == 75.0
    assert got[RTT_MIN_MS] == got[RTT_MAX_MS] == got[RTT_AVG_MS] == 7.5
    assert JITTER_MS not in got


def test_jitter_skips_lost_requests() -> None:
    # Replies 1, 3 and 4 came: differences |5-1| and |2-5|.
    assert jitter_ms([1.0, 5.0, 2.0]) == 3.5
    assert values([1.0, None, 5.0, 2.0])[JITTER_MS] == 3.5


def test_jitter_is_the_mean_step_not_the_standard_deviation() -> None:
    # A steady drift: each RTT 1 ms above the previous. Its standard deviation is about 1.41 ms
    # (what ping's mdev would show); the jitter, the mean step between consecutive replies, is 1.
    drift = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert statistics.pstdev(drift) == pytest.approx(1.414, abs=0.001)
    assert jitter_ms(drift) == 1.0
