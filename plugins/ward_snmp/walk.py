"""Reading tables one column at a time with GETBULK, and scalars with one GET.

A column is walked alone (gufo-snmp walks one subtree per iterator) with max-repetitions sized to
the table, so that a column of a small table comes back in one response and the walk ends
without a second request. Values are what gufo-snmp decodes: ``int`` for integers, counters,
gauges and time ticks, ``bytes`` for octet strings, ``str`` for object identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable

from gufo.snmp import ValueType
from gufo.snmp.aio import SnmpSession

from ward_snmp.oids import Column

MAX_ROWS = 100_000
"""A walk returning more rows than this is an agent looping, not a table."""

GET_CHUNK = 20
"""Most OIDs asked for in one GET (agents answer tooBig to large requests)."""


class BadAnswer(Exception):
    """The agent answered, but with something a poll cannot use (say which, in the message)."""


async def walk_column(session: SnmpSession, column: Column, max_repetitions: int) -> dict[str, ValueType]:
    """Every cell of ``column``, by row index (the OID suffix after the column, e.g. ``"3"``).

    Raises :class:`BadAnswer` when the agent returns OIDs that do not increase (gufo-snmp would
    follow such an agent forever) or more than :data:`MAX_ROWS` rows.
    """
    prefix = column.oid + "."
    rows: dict[str, ValueType] = {}
    last: tuple[int, ...] = ()
    async for oid, value in session.getbulk(column.oid, max_repetitions=max_repetitions):
        if not oid.startswith(prefix):
            break
        index = oid[len(prefix) :]
        position = _arcs(index)
        if position is None or position <= last:
            raise BadAnswer(f"{column.name} ({column.oid}): the agent returned {oid} out of order")
        if len(rows) >= MAX_ROWS:
            raise BadAnswer(f"{column.name} ({column.oid}): more than {MAX_ROWS} rows")
        rows[index] = value
        last = position
    return rows


def _arcs(index: str) -> tuple[int, ...] | None:
    """A row index as integers, for ordering; None if it is not a dotted number.

    >>> _arcs("3"), _arcs("1.10"), _arcs("x")
    ((3,), (1, 10), None)
    """
    try:
        return tuple(int(arc) for arc in index.split("."))
    except ValueError:
        return None


async def get_values(session: SnmpSession, oids: Iterable[str]) -> dict[str, ValueType]:
    """The values of ``oids`` the agent has, by OID, asked for in GETs of :data:`GET_CHUNK` OIDs.

    An OID the agent does not have is absent from the result.
    """
    wanted = list(oids)
    found: dict[str, ValueType] = {}
    for start in range(0, len(wanted), GET_CHUNK):
        found.update(await session.get_many(wanted[start : start + GET_CHUNK]))
    return found


def as_int(value: ValueType) -> int | None:
    """``value`` when it is an integer (counter, gauge, integer, time ticks), else None.

    >>> as_int(7), as_int(b"7"), as_int(True)
    (7, None, None)
    """
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_text(value: ValueType) -> str | None:
    """An octet string as text (UTF-8, undecodable bytes replaced, NULs and blanks trimmed).

    >>> as_text(b"Gi0/1\\x00"), as_text(b""), as_text(5)
    ('Gi0/1', None, None)
    """
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace").strip("\x00 \t\r\n")
        return text or None
    if isinstance(value, str):
        return value.strip() or None
    return None
