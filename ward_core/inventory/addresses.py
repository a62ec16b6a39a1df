"""Management addresses: an IPv4 or IPv6 literal, or a DNS host name.

>>> check_host("10.0.0.1")
'10.0.0.1'
>>> check_host("2001:DB8::0:1")
'2001:db8::1'
>>> check_host("rtr1.branch-001.example.net")
'rtr1.branch-001.example.net'
>>> check_host("10.0.0.300")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: '10.0.0.300' is neither an IP address nor ... (a host name's last label cannot be all digits)
>>> check_host("bad_name.example")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: 'bad_name.example' is neither ... (label 'bad_name' may hold only letters, digits and '-', ...)
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MAX_HOSTNAME_LENGTH = 253


def _hostname_problem(value: str) -> str | None:
    """Why ``value`` is not a valid DNS host name (RFC 1123), or ``None`` when it is."""
    name = value[:-1] if value.endswith(".") else value
    if not name:
        return "it is empty"
    if len(name) > MAX_HOSTNAME_LENGTH:
        return f"a host name has at most {MAX_HOSTNAME_LENGTH} characters"
    labels = name.split(".")
    for label in labels:
        if not label:
            return "it has an empty label"
        if len(label) > 63:
            return f"label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.match(label):
            return f"label {label!r} may hold only letters, digits and '-', not at either end"
    if labels[-1].isdigit():
        return "a host name's last label cannot be all digits"
    return None


def check_host(value: str) -> str:
    """``value`` normalised (IP addresses in their canonical form), or ``ValueError`` saying why not."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        raise ValueError(f"{value!r}: write IPv6 addresses without brackets")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    problem = _hostname_problem(text)
    if problem is not None:
        raise ValueError(f"{value!r} is neither an IP address nor a host name ({problem})")
    return text.lower()
