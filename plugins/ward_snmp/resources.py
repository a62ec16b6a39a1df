"""The ``snmp.resources`` poll: CPU and memory use from the OIDs declared for the device's platform.

For each resource the declarations are tried in order (:mod:`ward_snmp.resource_registry`) and
the first one the device has rows for wins: a Cisco router answers cpmCPUTotal5minRev and the
HOST-RESOURCES-MIB fallback is never walked; a Linux host answers no Cisco OID and the fallback
is. A device answering none of them for any resource is a failed result naming what was tried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gufo.snmp import ValueType
from gufo.snmp.aio import SnmpSession

from ward_core.types import Metric
from ward_snmp.kinds import CPU_UTIL_PCT, MEM_USED_BYTES, MEM_USED_PCT
from ward_snmp.oids import Column
from ward_snmp.resource_types import CpuOids, MemoryOids, ResourceOid
from ward_snmp.walk import BadAnswer, as_int, walk_column

Table = Mapping[str, Mapping[str, ValueType]]
"""Walked columns: column OID, then row index, then value."""


def cpu_metrics(spec: CpuOids, table: Table) -> list[Metric]:
    """``cpu.util_pct``: the mean over the rows (100 minus it for an idle column); [] without rows.

    >>> spec = CpuOids(source="t", load_column="1.2.3")
    >>> cpu_metrics(spec, {"1.2.3": {"1": 10, "2": 30}})
    [Metric(name='cpu.util_pct', value=20.0, labels={})]
    >>> cpu_metrics(CpuOids(source="t", load_column="1.2.3", idle=True), {"1.2.3": {"0": 97}})
    [Metric(name='cpu.util_pct', value=3.0, labels={})]
    """
    loads = [v for v in map(as_int, table.get(spec.load_column, {}).values()) if v is not None]
    if not loads:
        return []
    mean = sum(loads) / len(loads)
    return [Metric(CPU_UTIL_PCT, round(100.0 - mean if spec.idle else mean, 3))]


def memory_metrics(spec: MemoryOids, table: Table) -> list[Metric]:
    """``mem.used_bytes`` and ``mem.used_pct`` summed over the rows kept; [] without rows.

    >>> spec = MemoryOids(source="t", used_column="1.5", free_column="1.6", rows=("1",))
    >>> [(m.name, m.value) for m in memory_metrics(spec, {"1.5": {"1": 300, "2": 50}, "1.6": {"1": 100}})]
    [('mem.used_bytes', 300.0), ('mem.used_pct', 75.0)]
    """
    used_total = 0
    size_total = 0
    rows = 0
    for index, raw_used in table.get(spec.used_column, {}).items():
        if spec.rows and index not in spec.rows:
            continue
        if spec.type_column is not None and table.get(spec.type_column, {}).get(index) != spec.type_value:
            continue
        used = as_int(raw_used)
        if spec.free_column is not None:
            free = as_int(table.get(spec.free_column, {}).get(index))
            size = None if free is None or used is None else used + free
        else:
            size = as_int(table.get(spec.size_column or "", {}).get(index))
        units = as_int(table.get(spec.units_column, {}).get(index)) if spec.units_column else spec.unit_bytes
        if used is None or size is None or units is None or units < 1 or size <= 0:
            continue
        used_total += used * units
        size_total += size * units
        rows += 1
    if not rows:
        return []
    return [
        Metric(MEM_USED_BYTES, float(used_total)),
        Metric(MEM_USED_PCT, round(100.0 * used_total / size_total, 3)),
    ]


def _compute(spec: ResourceOid, table: Table) -> list[Metric]:
    return cpu_metrics(spec, table) if isinstance(spec, CpuOids) else memory_metrics(spec, table)


async def poll_resources(
    session: SnmpSession, specs: Sequence[ResourceOid], max_repetitions: int
) -> list[Metric]:
    """The metrics of the first CPU and the first memory declaration the device answers."""
    if not specs:
        raise BadAnswer("no CPU or memory OIDs are declared for this platform")
    table: dict[str, dict[str, ValueType]] = {}
    metrics: list[Metric] = []
    for resource in (CpuOids, MemoryOids):
        for spec in (s for s in specs if isinstance(s, resource)):
            for oid in spec.columns:
                if oid not in table:
                    table[oid] = await walk_column(session, Column(spec.source, oid), max_repetitions)
            found = _compute(spec, table)
            if found:
                metrics.extend(found)
                break
    if not metrics:
        tried = "; ".join(dict.fromkeys(s.source for s in specs))
        raise BadAnswer(f"answers none of the CPU/memory OIDs declared for its platform (tried: {tried})")
    return metrics
