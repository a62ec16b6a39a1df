"""Times and durations written the way IOS writes them (UTC: the lab's devices run ``clock timezone UTC``)."""

from __future__ import annotations

import time

_UNITS = (("year", 365 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def timestamp(epoch: float) -> str:
    """The stamp of ``! Last configuration change at ...`` and ``System restarted at ...``.

    >>> timestamp(1796034942.5)
    '10:35:42 UTC Mon Nov 30 2026'
    >>> timestamp(1796169600)
    '00:00:00 UTC Wed Dec 2 2026'
    """
    t = time.gmtime(epoch)
    return f"{time.strftime('%H:%M:%S', t)} UTC {time.strftime('%a %b', t)} {t.tm_mday} {t.tm_year}"


def clock(epoch: float) -> str:
    """``show clock``: milliseconds, no leading ``*`` because the lab's clocks are NTP-synchronised.

    >>> clock(1796034942.25)
    '10:35:42.250 UTC Mon Nov 30 2026'
    """
    millis = int((epoch % 1) * 1000)
    hms, rest = timestamp(epoch).split(" ", 1)
    return f"{hms}.{millis:03d} {rest}"


def uptime(seconds: float) -> str:
    """``show version``'s uptime: every unit from the largest non-zero one down to minutes.

    >>> uptime(42)
    '0 minutes'
    >>> uptime(3 * 86400 + 3600 + 60)
    '3 days, 1 hour, 1 minute'
    >>> uptime(8 * 86400)
    '1 week, 1 day, 0 hours, 0 minutes'
    """
    remaining = max(0, int(seconds))
    parts: list[str] = []
    for name, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts or name == "minute":
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return ", ".join(parts)


def since(seconds: float | None) -> str:
    """Short elapsed time of ``Last input``, ``Last clearing`` and neighbour tables.

    >>> since(None), since(2), since(3725), since(86400 + 7200), since(16 * 86400)
    ('never', '00:00:02', '01:02:05', '1d02h', '2w2d')
    """
    if seconds is None:
        return "never"
    s = max(0, int(seconds))
    if s < 86400:
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
    days = s // 86400
    if days < 7:
        return f"{days}d{s % 86400 // 3600:02d}h"
    if days < 365:
        return f"{days // 7}w{days % 7}d"
    return f"{days // 365}y{days % 365 // 7}w"
