"""The ``snmp.interfaces`` poll: sysUpTime and ifNumber, then only the IF-MIB columns needed.

Requests, for a device with ``n`` interfaces and both tables (``n`` + 1 within ``max_repetitions``):
one GET (sysUpTime.0, ifNumber.0), then one GETBULK per column of
:data:`~ward_snmp.interface_table.PRIMARY_COLUMNS` (ten). Rows without 64-bit counters (or without
a name or ifHighSpeed) cost one more GET for up to 20 cells, or one walk per fallback column when
more are missing (a device without ifXTable).
"""

from __future__ import annotations

from gufo.snmp import ValueType
from gufo.snmp.aio import SnmpSession

from ward_core.types import Metric
from ward_snmp.interface_table import PRIMARY_COLUMNS, build_rows, missing_cells, row_indexes
from ward_snmp.oids import IF_NUMBER, SYS_UPTIME, Column
from ward_snmp.system import uptime_metric
from ward_snmp.walk import GET_CHUNK, as_int, get_values, walk_column

FALLBACK_GET_LIMIT = GET_CHUNK
"""Up to this many missing cells are read with a GET; more, and their columns are walked."""


def repetitions(if_number: int | None, limit: int) -> int:
    """GETBULK repetitions for a table of ``if_number`` rows: all of them and the column's end.

    >>> repetitions(6, 50), repetitions(300, 50), repetitions(None, 50), repetitions(0, 50)
    (7, 50, 50, 1)
    """
    if if_number is None or if_number < 0:
        return limit
    return max(1, min(limit, if_number + 1))


async def poll_interfaces(session: SnmpSession, max_repetitions: int) -> list[Metric]:
    """``sys.uptime_s`` and every interface's metrics (see :mod:`ward_snmp.interface_table`)."""
    scalars = await session.get_many([SYS_UPTIME, IF_NUMBER])
    uptime = uptime_metric(scalars)
    reps = repetitions(as_int(scalars.get(IF_NUMBER)), max_repetitions)
    cells: dict[Column, dict[str, ValueType]] = {}
    for column in PRIMARY_COLUMNS:
        cells[column] = await walk_column(session, column, reps)
    wanted = missing_cells(cells, row_indexes(cells))
    if sum(len(rows) for rows in wanted.values()) <= FALLBACK_GET_LIMIT:
        oids = {
            column.instance(index): (column, str(index)) for column, rows in wanted.items() for index in rows
        }
        for oid, value in (await get_values(session, oids)).items():
            if oid in oids:
                column, index = oids[oid]
                cells.setdefault(column, {})[index] = value
    else:
        for column in wanted:
            cells[column] = await walk_column(session, column, reps)
    metrics = [uptime]
    for row in build_rows(cells):
        metrics.extend(row.metrics())
    return metrics
