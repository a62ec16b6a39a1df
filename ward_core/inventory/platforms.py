"""Device platforms are netmiko ``device_type`` names; this module knows which ones exist.

>>> check_platform("cisco_ios")
'cisco_ios'
>>> check_platform("cisco_iosxx")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown platform 'cisco_iosxx' (not a netmiko device_type; did you mean cisco_ios, ...?)
"""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache


@lru_cache(maxsize=1)
def netmiko_platforms() -> frozenset[str]:
    """Every ``device_type`` the installed netmiko knows."""
    dispatcher = importlib.import_module("netmiko.ssh_dispatcher")
    return frozenset(str(name) for name in dispatcher.CLASS_MAPPER)


def check_platform(value: str) -> str:
    """``value`` if netmiko knows it, else ``ValueError`` with the closest names."""
    known = netmiko_platforms()
    if value in known:
        return value
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown platform {value!r} (not a netmiko device_type{hint})")
