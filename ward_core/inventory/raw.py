"""Records as read from a file, before validation, with enough position data to name the line
(YAML) or row (CSV) and field of every problem found later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ward_core.errors import InventoryError

SECTIONS = ("regions", "sites", "credentials", "groups", "devices")
"""Sections of an inventory file, in the order they are imported."""

Path = tuple[str | int, ...]
"""Where a value sits inside a record, as pydantic reports it: ``("snmp", "port")``."""


@dataclass(frozen=True)
class RawRecord:
    """One record of one section. ``locate`` turns a field path into (location, field label)."""

    section: str
    data: dict[str, Any]
    location: str
    locate: Callable[[Path], tuple[str, str]]
    implicit: bool = False
    """True for records a file implies rather than declares (a CSV row's site and region)."""

    def error(self, message: str, path: Path, source: str) -> InventoryError:
        """An :class:`InventoryError` at ``path`` of this record."""
        location, label = self.locate(path)
        return InventoryError(message, source=source, location=location, field=label or None)


@dataclass
class RawInventory:
    """Everything read from one file: records and the errors met while reading."""

    source: str
    records: list[RawRecord] = field(default_factory=list)
    errors: list[InventoryError] = field(default_factory=list)
