"""How one SNMP batch runs, read and checked from its :class:`~ward_core.types.ProbeOptions`.

=================== ======================================================================
option              meaning
=================== ======================================================================
``timeout``         seconds one attempt at one device may take, all its requests included
``retries``         extra attempts after an attempt that timed out (other failures are final)
``concurrency``     most devices polled at once
``count``           not used: one poll per device
``backoff``         param, seconds before the first retry (default 0.2); doubled at each retry,
                    with jitter, at most ``backoff_max``
``backoff_max``     param, longest wait between two attempts in seconds (default 2.0)
``max_repetitions`` param, most rows one GETBULK asks for (default 50); a walk asks for the
                    table's row count + 1 when the device says it (ifNumber), so a column of a
                    small table takes one request
=================== ======================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ward_core.errors import ConfigError
from ward_core.types import JsonObject, ProbeOptions

DEFAULT_BACKOFF = 0.2
DEFAULT_BACKOFF_MAX = 2.0
DEFAULT_MAX_REPETITIONS = 50
MAX_REPETITIONS_LIMIT = 1000
KNOWN_PARAMS = ("backoff", "backoff_max", "max_repetitions")


@dataclass(frozen=True, slots=True, kw_only=True)
class PollSettings:
    """Everything a batch needs to know, checked."""

    timeout: float = 1.0
    retries: int = 0
    concurrency: int = 500
    backoff: float = DEFAULT_BACKOFF
    backoff_max: float = DEFAULT_BACKOFF_MAX
    max_repetitions: int = DEFAULT_MAX_REPETITIONS

    @classmethod
    def from_options(cls, options: ProbeOptions) -> PollSettings:
        """Read ``options``; ConfigError naming the offending option otherwise.

        >>> PollSettings.from_options(ProbeOptions(retries=2, params={"backoff": 0.05})).backoff
        0.05
        >>> PollSettings.from_options(ProbeOptions(params={"max_repetitions": 0}))
        Traceback (most recent call last):
        ...
        ward_core.errors.ConfigError: snmp option 'max_repetitions' must be an integer from 1 to 1000, got 0
        """
        params = options.params
        unknown = sorted(set(params) - set(KNOWN_PARAMS))
        if unknown:
            raise ConfigError(
                f"snmp does not know the option(s) {', '.join(map(repr, unknown))}"
                f" (known: {', '.join(KNOWN_PARAMS)})"
            )
        repetitions = params.get("max_repetitions", DEFAULT_MAX_REPETITIONS)
        if (
            not isinstance(repetitions, int)
            or isinstance(repetitions, bool)
            or not 1 <= repetitions <= MAX_REPETITIONS_LIMIT
        ):
            raise ConfigError(
                f"snmp option 'max_repetitions' must be an integer from 1 to {MAX_REPETITIONS_LIMIT}, "
                f"got {repetitions!r}"
            )
        backoff = _seconds(params, "backoff", DEFAULT_BACKOFF)
        backoff_max = _seconds(params, "backoff_max", max(DEFAULT_BACKOFF_MAX, backoff))
        if backoff_max < backoff:
            raise ConfigError(
                f"snmp option 'backoff_max' ({backoff_max}) must not be less than 'backoff' ({backoff})"
            )
        return cls(
            timeout=options.timeout,
            retries=options.retries,
            concurrency=options.concurrency,
            backoff=backoff,
            backoff_max=backoff_max,
            max_repetitions=repetitions,
        )


def _seconds(params: JsonObject, name: str, default: float) -> float:
    """The finite number of seconds ``params[name]`` (at least 0), or ``default``."""
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"snmp option {name!r} must be a number of seconds, at least 0, got {value!r}")
    return float(value)
