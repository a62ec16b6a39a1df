"""Durations in rules: ``500ms``, ``30s``, ``5m``, ``1h``, ``1d`` and sums such as ``1h30m``."""

from __future__ import annotations

import re

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError when it is not a duration.

    >>> parse_duration("5m"), parse_duration("1h30m"), parse_duration("500ms")
    (300.0, 5400.0, 0.5)
    >>> parse_duration("5")
    Traceback (most recent call last):
    ...
    ValueError: '5' is not a duration (write 30s, 5m, 1h, 1d or 1h30m)
    """
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"{text!r} is not a duration (write 30s, 5m, 1h, 1d or 1h30m)")
    return sum(float(amount) * UNITS[unit] for amount, unit in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """A short spelling of ``seconds``.

    >>> format_duration(5400), format_duration(3), format_duration(0.25), format_duration(0)
    ('1h30m', '3s', '250ms', '0s')
    """
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)
