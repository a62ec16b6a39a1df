"""Batch options: defaults, params, and errors that name the option."""

from __future__ import annotations

import pytest
from ward_snmp.settings import DEFAULT_MAX_REPETITIONS, PollSettings

from ward_core.errors import ConfigError
from ward_core.types import JsonValue, ProbeOptions


def test_defaults_follow_the_probe_options() -> None:
    settings = PollSettings.from_options(ProbeOptions(timeout=2.5, retries=3, concurrency=7))
    assert (settings.timeout, settings.retries, settings.concurrency) == (2.5, 3, 7)
    assert settings.max_repetitions == DEFAULT_MAX_REPETITIONS
    assert settings.backoff <= settings.backoff_max


def test_params_are_read() -> None:
    options = ProbeOptions(params={"backoff": 0.5, "backoff_max": 4, "max_repetitions": 10})
    settings = PollSettings.from_options(options)
    assert (settings.backoff, settings.backoff_max, settings.max_repetitions) == (0.5, 4.0, 10)


def test_a_large_backoff_raises_the_default_cap() -> None:
    assert PollSettings.from_options(ProbeOptions(params={"backoff": 5})).backoff_max == 5.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"retry": 2}, "snmp does not know the option(s) 'retry'"),
        ({"max_repetitions": 0}, "'max_repetitions' must be an integer from 1 to 1000, got 0"),
        ({"max_repetitions": 2.5}, "'max_repetitions' must be an integer"),
        ({"max_repetitions": True}, "'max_repetitions' must be an integer"),
        ({"backoff": -1}, "'backoff' must be a number of seconds, at least 0, got -1"),
        ({"backoff": "fast"}, "'backoff' must be a number of seconds"),
        ({"backoff": 1.0, "backoff_max": 0.5}, "'backoff_max' (0.5) must not be less than 'backoff' (1.0)"),
    ],
)
def test_bad_params_name_the_option(params: dict[str, JsonValue], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        PollSettings.from_options(ProbeOptions(params=params))
    assert message in str(raised.value)
