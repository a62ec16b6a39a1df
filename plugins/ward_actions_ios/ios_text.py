"""Reading IOS output: interface names, running-config sections, status lines, uptimes.

Pure functions, so each is a doctest.
"""

from __future__ import annotations

import re

from ward_core.types import DeviceTarget, JsonObject

INTERFACE_SCHEMA: JsonObject = {
    "type": "string",
    "minLength": 2,
    "maxLength": 64,
    "pattern": r"^[A-Za-z][A-Za-z-]*[0-9][0-9/.:]*$",
    "description": "interface name, e.g. GigabitEthernet1/0/3 or Gi1/0/3",
}

_VOLATILE = re.compile(r"^(Building configuration\.\.\.|Current configuration\s*: \d+ bytes)\s*$")
_STATUS = re.compile(r"^(\S+) is (administratively down|up|down), line protocol is (\w+)", re.MULTILINE)
_UPTIME = re.compile(r"uptime is (.+)$", re.MULTILINE)
_UNITS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1}


def interface_param(device: DeviceTarget, params: JsonObject) -> str:
    """The validated ``interface`` parameter (the schema has checked it; this guards direct calls)."""
    value = params.get("interface")
    if not isinstance(value, str) or not re.fullmatch(str(INTERFACE_SCHEMA["pattern"]), value):
        raise ValueError(f"device {device.name!r}: parameter 'interface' is not an interface name: {value!r}")
    return value


def config_section(output: str) -> str:
    """``show running-config interface X`` output without its volatile header lines.

    >>> config_section("Building configuration...\\n\\nCurrent configuration : 60 bytes\\n!\\n"
    ...                "interface Gi1/0/3\\n description x\\n shutdown\\nend\\n")
    '!\\ninterface Gi1/0/3\\n description x\\n shutdown\\nend'
    """
    lines = [line.rstrip() for line in output.splitlines() if not _VOLATILE.match(line)]
    return "\n".join(lines).strip()


def is_shut(section: str) -> bool:
    """Whether an interface section holds ``shutdown``.

    >>> is_shut("interface Gi1\\n shutdown"), is_shut("interface Gi1\\n no shutdown")
    (True, False)
    """
    return any(line.strip() == "shutdown" for line in section.splitlines())


def status(output: str) -> tuple[str, str] | None:
    """(line status, protocol) of the first ``show interfaces`` status line.

    >>> status("GigabitEthernet1/0/3 is up, line protocol is up (connected)\\n  Hardware is ...")
    ('up', 'up')
    >>> status("Gi0/1 is administratively down, line protocol is down")
    ('administratively down', 'down')
    """
    match = _STATUS.search(output)
    return (match[2], match[3]) if match else None


def uptime_seconds(show_version: str) -> int | None:
    """The device's uptime from ``show version`` output, in seconds (None when absent).

    >>> uptime_seconds("sw1 uptime is 1 day, 2 hours, 3 minutes")
    93780
    >>> uptime_seconds("no such line") is None
    True
    """
    match = _UPTIME.search(show_version)
    if match is None:
        return None
    total = 0
    for number, unit in re.findall(r"(\d+)\s+(year|week|day|hour|minute|second)s?", match[1]):
        total += int(number) * _UNITS[unit]
    return total


def stable_version_lines(show_version: str) -> str:
    """The lines of ``show version`` that do not change while the device runs (software, image,
    model, serial): what a reload's pre-check compares.

    >>> stable_version_lines("Cisco IOS Software, Version 15.2\\nsw1 uptime is 3 minutes\\n"
    ...                      'System image file is "flash:c2960.bin"\\n')
    'Cisco IOS Software, Version 15.2\\nSystem image file is "flash:c2960.bin"'
    """
    keep = re.compile(r"(Software|Version|System image file|Processor board ID|[Cc]isco \S+ .*processor)")
    return "\n".join(
        line.strip() for line in show_version.splitlines() if keep.search(line) and "uptime" not in line
    )
