"""A MIB view computed at request time: GET and GETNEXT over tables whose rows come from a model.

The static part (which tables exist, their columns and how each cell is computed) is built once
and shared by every simulated device; only the rows are computed per request, from the model, and
memoised in the request's context so a GETBULK of 6 columns by 25 rows lists the interfaces once.

A scalar group is a table with one row whose index is ``0``, so ``sysName.0`` and
``ifDescr.3`` are found the same way: the column is located by bisecting the sorted column OIDs
(OIDs compare as integer tuples, which is SNMP's lexicographic order), then the row by bisecting
the row indexes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter
from typing import Any, Generic, TypeVar

from ward_core.lab.snmp.ber import (
    NO_SUCH_INSTANCE_VALUE,
    NO_SUCH_OBJECT_VALUE,
    OBJECT_IDENTIFIER,
    Oid,
    oid_content,
    subids,
    tlv,
)

C = TypeVar("C", bound="RequestContext")
R = TypeVar("R")

Getter = Callable[[C, R], bytes | None]
"""Computes one cell: the encoded value, or None when this row has no such cell (sparse tables)."""


class RequestContext:
    """Per-request memo of table rows. Subclasses add what the getters need (device, network...)."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[int, Rows[Any]] = {}


class Rows(Generic[R]):
    """The rows of a table at one instant: index tuples in ascending order, and their objects."""

    __slots__ = ("_encoded", "keys", "objects")

    def __init__(self, keys: Sequence[Oid], objects: Sequence[R]) -> None:
        self.keys = keys
        self.objects = objects
        self._encoded: list[bytes] | None = None

    @staticmethod
    def of(pairs: Sequence[tuple[Oid, R]]) -> Rows[R]:
        """Rows from ``(index, object)`` pairs in any order."""
        ordered = sorted(pairs, key=itemgetter(0))
        return Rows([k for k, _ in ordered], [o for _, o in ordered])

    def encoded_keys(self) -> list[bytes]:
        """Each index as OID content octets, to append to a column's encoded OID."""
        if self._encoded is None:
            self._encoded = [subids(key) for key in self.keys]
        return self._encoded


_SINGLE_ROW: Rows[None] = Rows([(0,)], [None])


class Table(Generic[C, R]):
    """A conceptual table (or a scalar group): an entry OID, its columns and a row source.

    Rows are memoised per request by row source, so tables indexed alike (ifTable and ifXTable)
    can share one source and compute their rows once.
    """

    def __init__(
        self,
        name: str,
        entry: Oid,
        rows: Callable[[C], Rows[R]],
        columns: dict[int, Getter[C, R]],
    ) -> None:
        self.name = name
        self.entry = entry
        self.rows_of = rows
        self.columns = columns

    def rows(self, ctx: C) -> Rows[R]:
        """The rows as of this request (computed once per request)."""
        key = id(self.rows_of)
        found = ctx._rows.get(key)
        if found is None:
            found = ctx._rows[key] = self.rows_of(ctx)
        return found


def scalars(name: str, group: Oid, columns: dict[int, Getter[C, None]]) -> Table[C, None]:
    """A scalar group: ``group.<n>.0`` for each ``n`` in ``columns``."""
    return Table(name, group, _single_row, columns)


def _single_row(_: object) -> Rows[None]:
    return _SINGLE_ROW


@dataclass(frozen=True, slots=True)
class _Column(Generic[C]):
    oid: Oid
    content: bytes
    table: Table[C, Any]
    getter: Getter[C, Any]


Instance = tuple[Oid, bytes, bytes]
"""One MIB instance: its OID, the OID as an encoded TLV, and its encoded value."""


class MibView(Generic[C]):
    """GET and GETNEXT over a fixed set of tables, each cell computed when asked for."""

    def __init__(self, tables: Sequence[Table[C, Any]]) -> None:
        columns = sorted(
            (
                _Column((*table.entry, sub), oid_content((*table.entry, sub)), table, getter)
                for table in tables
                for sub, getter in table.columns.items()
            ),
            key=lambda c: c.oid,
        )
        for before, after in pairwise(columns):
            if after.oid[: len(before.oid)] == before.oid:
                raise ValueError(f"column {before.oid} of {before.table.name} contains {after.oid}")
        self._columns = columns
        self._oids = [c.oid for c in columns]
        self.tables = list(tables)

    def get(self, ctx: C, oid: Oid) -> bytes:
        """The encoded value at ``oid``, or noSuchObject / noSuchInstance."""
        i = bisect_right(self._oids, oid) - 1
        if i < 0:
            return NO_SUCH_OBJECT_VALUE
        column = self._columns[i]
        size = len(column.oid)
        if oid[:size] != column.oid:
            return NO_SUCH_OBJECT_VALUE
        rows = column.table.rows(ctx)
        instance = oid[size:]
        i = bisect_left(rows.keys, instance)
        if i == len(rows.keys) or rows.keys[i] != instance:
            return NO_SUCH_INSTANCE_VALUE
        value = column.getter(ctx, rows.objects[i])
        return NO_SUCH_INSTANCE_VALUE if value is None else value

    def next(self, ctx: C, oid: Oid) -> tuple[Oid, bytes] | None:
        """The first instance after ``oid`` and its value; None at the end of the MIB view."""
        for found, _, value in self.walk(ctx, oid):
            return found, value
        return None

    def walk(self, ctx: C, oid: Oid) -> Iterator[Instance]:
        """Every instance after ``oid``, in order, to the end of the view.

        A GETBULK repeater keeps one of these, so each further row costs one cell, not a search.
        """
        i = bisect_right(self._oids, oid) - 1
        start = 0
        if i >= 0 and oid[: len(self._oids[i])] == self._oids[i]:
            start = bisect_right(self._columns[i].table.rows(ctx).keys, oid[len(self._oids[i]) :])
        else:
            i += 1
        for column in self._columns[i:]:
            rows = column.table.rows(ctx)
            keys, objects, getter, prefix, content = (
                rows.keys,
                rows.objects,
                column.getter,
                column.oid,
                column.content,
            )
            encoded = rows.encoded_keys() if start < len(keys) else []
            for j in range(start, len(keys)):
                value = getter(ctx, objects[j])
                if value is not None:
                    name = content + encoded[j]
                    size = len(name)
                    name = (
                        bytes((OBJECT_IDENTIFIER, size)) + name
                        if size < 0x80
                        else tlv(OBJECT_IDENTIFIER, name)
                    )
                    yield (*prefix, *keys[j]), name, value
            start = 0
