"""Rule values for many alert instances at once: one list of values, plus the faults.

A rule is evaluated for every instance (device, label set) in one pass per node: each operator runs
as one list comprehension over all instances, which keeps thousands of devices times dozens of
rules well under a second in plain Python. An instance whose value could not be computed (no data
in a window, division by zero, a plugin function raising) has a *fault*: its message is in
``faults`` and its slot in ``values`` holds a placeholder (0.0 or False).

Faults follow three-valued logic: ``and`` is false when one side is false whatever the other,
``or`` true when one side is true; otherwise a fault on either side makes the result a fault. So
``nodata(m, 5m) or avg(m, 5m) > 10`` works on a device that stopped reporting ``m``.

>>> a = Column([1.0, 2.0, 0.0], {2: "no data"})
>>> b = Column.constant(1.5, 3)
>>> compare(">", a, b)
Column(values=[False, True, False], faults={2: 'no data'})
>>> logic("or", [compare(">", a, b), Column([True, False, False], {})])
Column(values=[True, True, False], faults={2: 'no data'})
>>> arith("/", b, Column([3.0, 0.0, 1.0], {}))
Column(values=[0.5, 0.0, 1.5], faults={1: 'division by zero'})
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITH: dict[str, Callable[[Any, Any], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


@dataclass(slots=True)
class Column:
    """Values for every instance, and the faulted instances' messages by position."""

    values: list[Any]
    faults: dict[int, str] = field(default_factory=dict)

    @classmethod
    def constant(cls, value: float | bool, size: int) -> Column:
        """The same value for ``size`` instances."""
        return cls([value] * size, {})

    def truth(self, index: int) -> bool | None:
        """True, False, or None for a fault."""
        if index in self.faults:
            return None
        return bool(self.values[index])


def _merge(a: Column, b: Column) -> dict[int, str]:
    if not a.faults:
        return dict(b.faults)
    if not b.faults:
        return dict(a.faults)
    merged = dict(b.faults)
    merged.update(a.faults)
    return merged


def compare(op: str, a: Column, b: Column) -> Column:
    """``a OP b`` element-wise; faults propagate."""
    values = list(map(_COMPARE[op], a.values, b.values))
    faults = _merge(a, b)
    for index in faults:
        values[index] = False
    return Column(values, faults)


def arith(op: str, a: Column, b: Column) -> Column:
    """``a OP b`` element-wise; division or modulo by zero and overflow are faults."""
    faults = _merge(a, b)
    if op in _ARITH:
        values = list(map(_ARITH[op], a.values, b.values))
    else:
        divide = operator.truediv if op == "/" else math.fmod
        values = [divide(x, y) if y else 0.0 for x, y in zip(a.values, b.values, strict=True)]
        if 0.0 in b.values:
            for index, y in enumerate(b.values):
                if not y and index not in faults:
                    faults[index] = "division by zero" if op == "/" else "modulo by zero"
    if faults:
        for index in faults:
            values[index] = 0.0
    for index, value in enumerate(values):
        if not math.isfinite(value) and index not in faults:
            faults[index] = f"'{op}' gave {value}"
            values[index] = 0.0
    return Column(values, faults)


def negate(a: Column) -> Column:
    """Unary minus."""
    return Column([-x for x in a.values], dict(a.faults))


def invert(a: Column) -> Column:
    """``not``: a fault stays a fault."""
    values = [not x for x in a.values]
    for index in a.faults:
        values[index] = False
    return Column(values, dict(a.faults))


def logic(op: str, parts: Sequence[Column]) -> Column:
    """``and``/``or`` over ``parts`` with three-valued faults (see the module docstring)."""
    first, *rest = parts
    values = list(first.values)
    faults = dict(first.faults)
    decisive = op == "or"
    for part in rest:
        previous = values
        if op == "and":
            values = [x and y for x, y in zip(previous, part.values, strict=True)]
        else:
            values = [x or y for x, y in zip(previous, part.values, strict=True)]
        if not faults and not part.faults:
            continue
        merged: dict[int, str] = {}
        for index, message in (*faults.items(), *part.faults.items()):
            mine = None if index in faults else bool(previous[index])
            theirs = None if index in part.faults else bool(part.values[index])
            if mine is decisive or theirs is decisive:
                values[index] = decisive
                continue
            merged.setdefault(index, message)
        faults = merged
    for index in faults:
        values[index] = False
    return Column([bool(v) for v in values], faults)
