"""How a platform exposes CPU and memory use over SNMP: data that plugins declare per platform.

A plugin returns these from the ``ward_snmp_resource_oids`` hook (:mod:`ward_snmp.hookspecs`);
the ``snmp.resources`` probe walks the columns named and computes the metrics. Columns are numeric
OIDs of table columns (or of scalars without their ``.0``: walking them yields the one row ``0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from ward_core.errors import ConfigError


def _check_oid(owner: str, field: str, oid: str | None) -> None:
    if oid is None:
        return
    parts = oid.split(".")
    if oid.startswith(".") or len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ConfigError(f"{owner}: {field} must be a numeric OID without a leading dot, got {oid!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CpuOids:
    """CPU use: a column of percentages, one row per processor or module, averaged.

    ``idle=True`` when the column holds the idle share (UCD-SNMP-MIB ssCpuIdle): the use is
    100 minus it. ``source`` names the MIB object in messages, e.g. ``"cpmCPUTotal5minRev"``.
    """

    source: str
    load_column: str
    idle: bool = False

    def __post_init__(self) -> None:
        _check_oid(f"CPU OIDs {self.source!r}", "load_column", self.load_column)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns to walk."""
        return (self.load_column,)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryOids:
    """Memory use: used and free (or total) columns, summed over the rows kept.

    Give ``free_column`` (total = used + free, as CISCO-MEMORY-POOL-MIB) or ``size_column`` (as
    hrStorageSize). Values are in bytes times ``unit_bytes``, or times each row's
    ``units_column`` value (hrStorageAllocationUnits). Rows are kept when their ``type_column``
    value equals ``type_value`` (hrStorageType = hrStorageRam) and, if ``rows`` is not empty, when
    their index is listed (pool 1, the processor pool).
    """

    source: str
    used_column: str
    free_column: str | None = None
    size_column: str | None = None
    units_column: str | None = None
    unit_bytes: int = 1
    type_column: str | None = None
    type_value: str | None = None
    rows: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        owner = f"memory OIDs {self.source!r}"
        if (self.free_column is None) == (self.size_column is None):
            raise ConfigError(f"{owner}: give exactly one of free_column and size_column")
        if (self.type_column is None) != (self.type_value is None):
            raise ConfigError(f"{owner}: type_column and type_value go together")
        if self.unit_bytes < 1:
            raise ConfigError(f"{owner}: unit_bytes must be at least 1, got {self.unit_bytes}")
        for name in ("used_column", "free_column", "size_column", "units_column", "type_column"):
            _check_oid(owner, name, getattr(self, name))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns to walk."""
        named = (self.used_column, self.free_column, self.size_column, self.units_column, self.type_column)
        return tuple(c for c in named if c is not None)


ResourceOid: TypeAlias = CpuOids | MemoryOids
"""One way of reading one resource on some platform."""
