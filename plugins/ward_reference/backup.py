"""Configuration backup: which commands to collect, what to hide, what noise to drop."""

from __future__ import annotations

import re

from ward_core import hookimpl

_SECRET = re.compile(
    r"(?P<head>\b(?:password|secret|community)(?:\s+[0-9])?\s+)(?P<value>\S+)",
    re.IGNORECASE,
)
_NOISE = re.compile(
    r"^(?:Building configuration\.\.\.|Current configuration : \d+ bytes"
    r"|! Last configuration change at .*|! NVRAM config last updated at .*|ntp clock-period \d+)\s*$"
)
REDACTED = "<redacted>"


@hookimpl(trylast=True)
def ward_backup_commands(platform: str) -> list[str] | None:
    """A fallback for IOS-like platforms; a dedicated backup plugin, asked first, wins."""
    if platform in {"cisco_ios", "cisco_xe", "arista_eos"}:
        return ["show running-config"]
    return None


@hookimpl
def ward_backup_redact(platform: str, text: str) -> str:
    """Hide the value that follows ``password``, ``secret`` and ``community``.

    >>> print(ward_backup_redact("cisco_ios", "enable secret 5 $1$abc\\nsnmp-server community s3cr3t RO"))
    enable secret 5 <redacted>
    snmp-server community <redacted> RO
    """
    return _SECRET.sub(lambda m: m["head"] + REDACTED, text)


@hookimpl
def ward_backup_normalise(platform: str, text: str) -> str:
    """Drop lines that change without a configuration change, and trailing blanks.

    >>> raw = "Building configuration...\\n! Last configuration change at 10:00\\nhostname sw1  \\n"
    >>> ward_backup_normalise("cisco_ios", raw)
    'hostname sw1\\n'
    """
    lines = [line.rstrip() for line in text.splitlines() if not _NOISE.match(line)]
    return "\n".join(lines).strip("\n") + "\n"
