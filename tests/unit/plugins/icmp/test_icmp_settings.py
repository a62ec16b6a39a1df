"""Reading the ``icmp`` options out of ProbeOptions: defaults, and errors naming the option."""

from __future__ import annotations

import pytest
from ward_icmp.settings import DEFAULT_INTERVAL, DEFAULT_SIZE, SweepSettings

from ward_core.errors import ConfigError
from ward_core.types import JsonObject, ProbeOptions


def test_defaults_follow_probe_options() -> None:
    settings = SweepSettings.from_options(ProbeOptions(timeout=0.5, count=4, concurrency=64))
    assert (settings.count, settings.timeout, settings.burst) == (4, 0.5, 64)
    assert (settings.interval, settings.size) == (DEFAULT_INTERVAL, DEFAULT_SIZE)
    assert settings.privileged is None
    assert settings.rate is None


def test_params_are_read() -> None:
    params: JsonObject = {
        "interval": 0,
        "size": 1200,
        "privileged": False,
        "rate": 5000,
        "resolve_timeout": 1,
    }
    settings = SweepSettings.from_options(ProbeOptions(params=params))
    assert settings.interval == 0.0
    assert settings.size == 1200
    assert settings.privileged is False
    assert settings.rate == 5000.0
    assert settings.resolve_timeout == 1.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": 70_000}, "'size' must be an integer from 0 to 65000, got 70000"),
        ({"size": "56"}, "'size' must be an integer"),
        ({"size": True}, "'size' must be an integer"),
        ({"interval": -1}, "'interval' must be a number at least 0, got -1"),
        ({"interval": float("nan")}, "'interval' must be a number at least 0"),
        ({"rate": 0}, "'rate' must be a number more than 0, got 0"),
        ({"resolve_timeout": "2s"}, "'resolve_timeout' must be a number more than 0, got '2s'"),
        ({"privileged": "yes"}, "'privileged' must be true, false or absent, got 'yes'"),
        ({"intervall": 1}, "icmp does not know the option(s) 'intervall'"),
    ],
)
def test_bad_params_name_the_option(params: JsonObject, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SweepSettings.from_options(ProbeOptions(params=params))
    assert message in str(caught.value)


def test_count_fits_the_sequence_numbers() -> None:
    assert SweepSettings.from_options(ProbeOptions(count=65_536)).count == 65_536
    with pytest.raises(ConfigError, match="'count' must be at most 65536, got 65537"):
        SweepSettings.from_options(ProbeOptions(count=65_537))
