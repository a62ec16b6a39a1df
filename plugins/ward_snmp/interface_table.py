"""From walked IF-MIB columns to interface rows and metrics (pure: no I/O).

Which column each metric comes from:

================== =============================== ================================
metric             first choice                    fallback, for rows without it
================== =============================== ================================
ifname label       ifName (ifXTable)               ifDescr, then ``if<index>``
if.in_octets       ifHCInOctets, 64-bit            ifInOctets, 32-bit
if.out_octets      ifHCOutOctets, 64-bit           ifOutOctets, 32-bit
if.speed_bps       ifHighSpeed x 1,000,000         ifSpeed
if.in/out_errors   ifIn/OutErrors, 32-bit
if.in/out_discards ifIn/OutDiscards, 32-bit
if.oper_up         ifOperStatus = up(1)            (anything else is 0: down, testing, dormant...)
if.admin_up        ifAdminStatus = up(1)
================== =============================== ================================

Every counter carries the ``counter_bits`` label of the column it came from, so ward undoes a
wrap at the right width.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gufo.snmp import ValueType

from ward_core.types import COUNTER_BITS_LABEL, Metric
from ward_snmp.kinds import IF_ADMIN_UP, IF_OPER_UP, IF_SPEED_BPS
from ward_snmp.oids import (
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_IN_OCTETS,
    IF_NAME,
    IF_OPER_STATUS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
    IF_OUT_OCTETS,
    IF_SPEED,
    Column,
)
from ward_snmp.walk import as_int, as_text

Cells = Mapping[Column, Mapping[str, ValueType]]
"""Walked (or fetched) values: column, then row index, then value."""

PRIMARY_COLUMNS = (
    IF_NAME,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    IF_IN_ERRORS,
    IF_OUT_ERRORS,
    IF_IN_DISCARDS,
    IF_OUT_DISCARDS,
)
"""The columns every interface poll walks."""

FALLBACKS = {
    IF_HC_IN_OCTETS: IF_IN_OCTETS,
    IF_HC_OUT_OCTETS: IF_OUT_OCTETS,
    IF_HIGH_SPEED: IF_SPEED,
    IF_NAME: IF_DESCR,
}
"""For a row missing the key column's value, the column read instead."""

UP = 1
MEGABIT = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Counter:
    """A counter value and its width in bits."""

    value: int
    bits: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceRow:
    """What one interface reported; None where the agent had nothing usable."""

    if_index: int
    name: str
    admin_up: bool | None = None
    oper_up: bool | None = None
    speed_bps: int | None = None
    in_octets: Counter | None = None
    out_octets: Counter | None = None
    in_errors: Counter | None = None
    out_errors: Counter | None = None
    in_discards: Counter | None = None
    out_discards: Counter | None = None

    def metrics(self) -> list[Metric]:
        """The row's metrics, labelled ``ifname`` and ``ifindex`` (counters also ``counter_bits``).

        >>> row = InterfaceRow(if_index=2, name="Gi0/1", oper_up=True, in_octets=Counter(value=5, bits=64))
        >>> for metric in row.metrics():
        ...     print(metric.key)
        if.in_octets{counter_bits="64",ifindex="2",ifname="Gi0/1"}
        if.oper_up{ifindex="2",ifname="Gi0/1"}
        """
        labels = {"ifname": self.name, "ifindex": str(self.if_index)}
        out: list[Metric] = []
        counters = (
            ("if.in_octets", self.in_octets),
            ("if.out_octets", self.out_octets),
            ("if.in_errors", self.in_errors),
            ("if.out_errors", self.out_errors),
            ("if.in_discards", self.in_discards),
            ("if.out_discards", self.out_discards),
        )
        for name, counter in counters:
            if counter is not None:
                out.append(
                    Metric(name, float(counter.value), {**labels, COUNTER_BITS_LABEL: str(counter.bits)})
                )
        for name, flag in ((IF_OPER_UP, self.oper_up), (IF_ADMIN_UP, self.admin_up)):
            if flag is not None:
                out.append(Metric(name, 1.0 if flag else 0.0, labels))
        if self.speed_bps is not None:
            out.append(Metric(IF_SPEED_BPS, float(self.speed_bps), labels))
        return out


def row_indexes(cells: Cells) -> list[int]:
    """Every interface index any primary column has a row for, in order (non-integer ones skipped).

    >>> row_indexes({IF_OPER_STATUS: {"1": 1, "3": 2}, IF_NAME: {"2": b"x", "a.b": b"y"}})
    [1, 2, 3]
    """
    found: set[int] = set()
    for column in PRIMARY_COLUMNS:
        for index in cells.get(column, {}):
            if index.isdigit():
                found.add(int(index))
    return sorted(found)


def missing_cells(cells: Cells, indexes: Iterable[int]) -> dict[Column, list[int]]:
    """The fallback cells to read: per fallback column, the rows whose first choice is missing.

    >>> cells = {IF_NAME: {"1": b"a", "2": b"b"}, IF_HC_IN_OCTETS: {"1": 10}, IF_HC_OUT_OCTETS: {"1": 5},
    ...          IF_HIGH_SPEED: {"1": 1000, "2": 10}}
    >>> {column.name: rows for column, rows in missing_cells(cells, [1, 2]).items()}
    {'ifInOctets': [2], 'ifOutOctets': [2]}
    """
    wanted: dict[Column, list[int]] = {}
    for primary, fallback in FALLBACKS.items():
        have = cells.get(primary, {})
        for index in indexes:
            value = have.get(str(index))
            usable = as_text(value) if primary is IF_NAME else as_int(value)
            if usable is None:
                wanted.setdefault(fallback, []).append(index)
    return wanted


def build_rows(cells: Cells) -> list[InterfaceRow]:
    """One row per interface index found, from primary and fallback cells.

    >>> cells = {IF_DESCR: {"7": b"eth0"}, IF_IN_OCTETS: {"7": 99}, IF_OPER_STATUS: {"7": 2},
    ...          IF_SPEED: {"7": 10_000_000}}
    >>> row = build_rows(cells)[0]
    >>> row.name, row.in_octets, row.oper_up, row.speed_bps
    ('eth0', Counter(value=99, bits=32), False, 10000000)
    """
    rows = []
    for index in row_indexes(cells):
        key = str(index)

        def cell(column: Column, key: str = key) -> ValueType:
            return cells.get(column, {}).get(key)

        def counter(hc: Column | None, low: Column, key: str = key) -> Counter | None:
            wide = as_int(cells.get(hc, {}).get(key)) if hc is not None else None
            if wide is not None:
                return Counter(value=wide, bits=64)
            narrow = as_int(cells.get(low, {}).get(key))
            return Counter(value=narrow, bits=32) if narrow is not None else None

        high_speed = as_int(cell(IF_HIGH_SPEED))
        speed = high_speed * MEGABIT if high_speed is not None else as_int(cell(IF_SPEED))
        admin = as_int(cell(IF_ADMIN_STATUS))
        oper = as_int(cell(IF_OPER_STATUS))
        rows.append(
            InterfaceRow(
                if_index=index,
                name=as_text(cell(IF_NAME)) or as_text(cell(IF_DESCR)) or f"if{index}",
                admin_up=None if admin is None else admin == UP,
                oper_up=None if oper is None else oper == UP,
                speed_bps=speed,
                in_octets=counter(IF_HC_IN_OCTETS, IF_IN_OCTETS),
                out_octets=counter(IF_HC_OUT_OCTETS, IF_OUT_OCTETS),
                in_errors=counter(None, IF_IN_ERRORS),
                out_errors=counter(None, IF_OUT_ERRORS),
                in_discards=counter(None, IF_IN_DISCARDS),
                out_discards=counter(None, IF_OUT_DISCARDS),
            )
        )
    return rows
