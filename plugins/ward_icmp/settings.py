"""How one sweep runs, read and checked from the batch's :class:`~ward_core.types.ProbeOptions`.

=================== ======================================================================
option              meaning
=================== ======================================================================
``count``           echo requests per host (rounds), at most 65,536; ``ProbeOptions.count``
``timeout``         seconds a reply may take; the sweep ends at the last send + timeout
``concurrency``     requests sent back to back before the replies waiting are read (a burst)
``retries``         not used: the ``count`` echoes are the retries
``interval``        param, seconds between the start of two rounds (default 1.0, like ping)
``size``            param, payload bytes per request (default 56, like ping; 0-65,000)
``privileged``      param, true: raw socket only; false: datagram socket only; absent: raw,
                    else datagram
``rate``            param, most requests per second over the whole batch (default: no limit)
``resolve_timeout`` param, seconds to resolve the batch's host names (default 2.0)
=================== ======================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

from ward_core.errors import ConfigError
from ward_core.types import JsonObject, ProbeOptions

DEFAULT_INTERVAL = 1.0
DEFAULT_SIZE = 56
MAX_SIZE = 65_000
MAX_COUNT = 0x10000
"""One sequence number per echo of a host, and sequence numbers have 16 bits."""
DEFAULT_RESOLVE_TIMEOUT = 2.0
KNOWN_PARAMS = ("interval", "size", "privileged", "rate", "resolve_timeout")


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSettings:
    """Everything one sweep needs to know, checked."""

    count: int = 1
    timeout: float = 1.0
    interval: float = DEFAULT_INTERVAL
    size: int = DEFAULT_SIZE
    burst: int = 500
    privileged: bool | None = None
    rate: float | None = None
    resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT

    @classmethod
    def from_options(cls, options: ProbeOptions) -> SweepSettings:
        """Read ``options``; ConfigError naming the offending option otherwise.

        >>> SweepSettings.from_options(ProbeOptions(count=3, params={"interval": 0.02})).interval
        0.02
        >>> SweepSettings.from_options(ProbeOptions(params={"size": -1}))
        Traceback (most recent call last):
        ...
        ward_core.errors.ConfigError: icmp option 'size' must be an integer from 0 to 65000, got -1
        """
        params = options.params
        unknown = sorted(set(params) - set(KNOWN_PARAMS))
        if unknown:
            raise ConfigError(
                f"icmp does not know the option(s) {', '.join(map(repr, unknown))}"
                f" (known: {', '.join(KNOWN_PARAMS)})"
            )
        if options.count > MAX_COUNT:
            raise ConfigError(f"icmp option 'count' must be at most {MAX_COUNT}, got {options.count}")
        size = params.get("size", DEFAULT_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SIZE:
            raise ConfigError(f"icmp option 'size' must be an integer from 0 to {MAX_SIZE}, got {size!r}")
        privileged = params.get("privileged")
        if privileged is not None and not isinstance(privileged, bool):
            raise ConfigError(f"icmp option 'privileged' must be true, false or absent, got {privileged!r}")
        return cls(
            count=options.count,
            timeout=options.timeout,
            interval=_number(params, "interval", DEFAULT_INTERVAL, positive=False),
            size=size,
            burst=options.concurrency,
            privileged=privileged,
            rate=_number(params, "rate", None, positive=True),
            resolve_timeout=_number(params, "resolve_timeout", DEFAULT_RESOLVE_TIMEOUT, positive=True),
        )


@overload
def _number(params: JsonObject, name: str, default: float, *, positive: bool) -> float: ...
@overload
def _number(params: JsonObject, name: str, default: None, *, positive: bool) -> float | None: ...
def _number(params: JsonObject, name: str, default: float | None, *, positive: bool) -> float | None:
    """The finite number ``params[name]`` (or ``default``): more than 0 if ``positive``, else at least 0."""
    value = params.get(name)
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        bound = "more than 0" if positive else "at least 0"
        raise ConfigError(f"icmp option {name!r} must be a number {bound}, got {value!r}")
    return float(value)
