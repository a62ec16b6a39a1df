"""Parsing ``show lldp neighbors detail`` and ``show cdp neighbors detail`` into records (pure).

ntc-templates does the parsing. Its templates raise on a line they do not know, so one odd entry
would cost the whole table: when the whole output fails, each entry (the text between separator
lines) is parsed alone, and an entry that still fails becomes a record holding what a plain
reading of its ``Local Intf:``/``Interface:`` and name lines gives, so that discovery records and
explains it instead of losing it silently.

Field names (ntc-templates 9): LLDP ``local_interface`` (short: ``Gi1/0/1``), ``chassis_id``,
``neighbor_port_id``, ``neighbor_interface`` (the port description), ``neighbor_name``,
``mgmt_address``, ``capabilities``; CDP ``neighbor_name`` (``host.domain``), ``mgmt_address``,
``platform``, ``neighbor_interface``, ``local_interface`` (long names), ``capabilities``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from ntc_templates.parse import parse_output
from textfsm import TextFSMError

from ward_core.types import NeighbourRecord

log = logging.getLogger(__name__)

TEMPLATE_PLATFORM = "cisco_ios"
LLDP_COMMAND = "show lldp neighbors detail"
CDP_COMMAND = "show cdp neighbors detail"

_SEPARATOR = re.compile(r"^-{5,}\s*$", re.MULTILINE)
_LOCAL = re.compile(r"^(?:Local Intf|Interface):\s*([^,\s]+)", re.MULTILINE)
_NAME = re.compile(r"^(?:System Name|Device ID):\s*(\S+)", re.MULTILINE)

Row = Mapping[str, Any]


def _value(row: Row, key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def _rows(command: str, output: str, device: str) -> tuple[list[Row], list[str]]:
    """Parsed rows, and the entries that could not be parsed."""
    try:
        return list(parse_output(platform=TEMPLATE_PLATFORM, command=command, data=output)), []
    except TextFSMError:
        log.info("%s: %r did not parse as a whole; parsing entry by entry", device, command)
    rows: list[Row] = []
    broken: list[str] = []
    for block in _SEPARATOR.split(output):
        if not block.strip() or not (_LOCAL.search(block) or _NAME.search(block)):
            continue
        try:
            rows.extend(parse_output(platform=TEMPLATE_PLATFORM, command=command, data=block))
        except TextFSMError:
            broken.append(block)
    return rows, broken


def _salvaged(device: str, protocol: str, block: str) -> NeighbourRecord:
    """What a plain reading of an unparseable entry gives (possibly nothing usable)."""
    local = _LOCAL.search(block)
    name = _NAME.search(block)
    return NeighbourRecord(
        device=device,
        local_interface=local.group(1) if local else "",
        neighbour=name.group(1) if name else "",
        protocol=protocol,
    )


def _capabilities(text: str | None) -> tuple[str, ...]:
    """``"B,R"`` or ``"Router Switch IGMP"`` as a tuple.

    >>> _capabilities("B,R"), _capabilities("Router Switch IGMP"), _capabilities(None)
    (('B', 'R'), ('Router', 'Switch', 'IGMP'), ())
    """
    return tuple(part for part in re.split(r"[\s,]+", text or "") if part)


def lldp_records(device: str, output: str) -> list[NeighbourRecord]:
    """Records from ``show lldp neighbors detail``."""
    rows, broken = _rows(LLDP_COMMAND, output, device)
    records = [
        NeighbourRecord(
            device=device,
            local_interface=_value(row, "local_interface") or "",
            neighbour=_value(row, "neighbor_name") or "",
            protocol="lldp",
            neighbour_interface=_value(row, "neighbor_interface"),
            neighbour_address=_value(row, "mgmt_address"),
            chassis_id=_value(row, "chassis_id"),
            platform=_value(row, "neighbor_description"),
            capabilities=_capabilities(_value(row, "capabilities")),
            neighbour_port_id=_value(row, "neighbor_port_id"),
        )
        for row in rows
    ]
    return records + [_salvaged(device, "lldp", block) for block in broken]


def cdp_records(device: str, output: str) -> list[NeighbourRecord]:
    """Records from ``show cdp neighbors detail``."""
    rows, broken = _rows(CDP_COMMAND, output, device)
    records = [
        NeighbourRecord(
            device=device,
            local_interface=_value(row, "local_interface") or "",
            neighbour=_value(row, "neighbor_name") or "",
            protocol="cdp",
            neighbour_interface=_value(row, "neighbor_interface"),
            neighbour_address=_value(row, "mgmt_address"),
            platform=_value(row, "platform"),
            capabilities=_capabilities(_value(row, "capabilities")),
        )
        for row in rows
    ]
    return records + [_salvaged(device, "cdp", block) for block in broken]


PARSERS: dict[str, Callable[[str, str], list[NeighbourRecord]]] = {
    LLDP_COMMAND: lldp_records,
    CDP_COMMAND: cdp_records,
}
"""Command to parser, in the order the commands are run."""


def refused(output: str) -> str | None:
    """The IOS error line when the device refused the command (``% LLDP is not enabled``).

    >>> refused("% CDP is not enabled"), refused("Total entries displayed: 0") is None
    ('% CDP is not enabled', True)
    """
    for line in output.splitlines():
        if line.strip():
            return line.strip() if line.strip().startswith("%") else None
    return None
