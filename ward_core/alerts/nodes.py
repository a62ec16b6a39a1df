"""A compiled rule: typed expression nodes, checked against the known metrics and functions.

Every node knows its :data:`Kind` (``"number"`` or ``"bool"``). Metric reads are
:class:`WindowCall` nodes: ``ping.loss_pct`` alone is ``last(ping.loss_pct)``. Nodes are frozen and
hashable, so an evaluation computes each distinct call once even when rules repeat it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from ward_core.inventory.filters import Filter

Kind: TypeAlias = Literal["number", "bool"]
MatchOp: TypeAlias = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """``label OP "value"``: equality, or a regular expression matching the whole value."""

    label: str
    op: MatchOp
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, hash=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when ``labels`` pass (a missing label reads as the empty string).

        >>> Matcher("ifname", "=~", "Gi.*", re.compile("Gi.*")).matches({"ifname": "Gi0/1"})
        True
        >>> Matcher("ifname", "!=", "Lo0").matches({})
        True
        """
        value = labels.get(self.label, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        found = self.pattern is not None and self.pattern.fullmatch(value) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True, slots=True)
class Selector:
    """A metric and the label matchers its series must pass."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when a series with ``labels`` is selected."""
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Const:
    """A number or boolean written in the rule."""

    value: float | bool
    kind: Kind


@dataclass(frozen=True, slots=True)
class WindowCall:
    """A function over a metric's samples: ``avg(if.in_bps, 10m)``; ``window_s`` None for ``last``
    without a window (the newest value, however old)."""

    function: str
    selector: Selector
    window_s: float | None
    params: tuple[float, ...]
    kind: Kind


@dataclass(frozen=True, slots=True)
class Arith:
    """``left OP right`` with ``+ - * / %``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    part: Node


@dataclass(frozen=True, slots=True)
class Compare:
    """``left OP right`` with ``> >= < <= == !=`` on numbers."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logic:
    """``and`` / ``or`` over two or more conditions (three-valued: see :mod:`.columns`)."""

    op: Literal["and", "or"]
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Invert:
    """``not``."""

    part: Node


Node: TypeAlias = Const | WindowCall | Arith | Negate | Compare | Logic | Invert


def kind_of(node: Node) -> Kind:
    """The type a node evaluates to.

    >>> kind_of(Compare(">", Const(1.0, "number"), Const(2.0, "number")))
    'bool'
    """
    if isinstance(node, Const | WindowCall):
        return node.kind
    if isinstance(node, Arith | Negate):
        return "number"
    return "bool"


def window_calls(node: Node) -> list[WindowCall]:
    """Every metric read under ``node``, depth first, each once."""
    found: dict[WindowCall, None] = {}

    def walk(n: Node) -> None:
        if isinstance(n, WindowCall):
            found.setdefault(n, None)
        elif isinstance(n, Arith | Compare):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Negate | Invert):
            walk(n.part)
        elif isinstance(n, Logic):
            for part in n.parts:
                walk(part)

    walk(node)
    return list(found)


def shown_value(node: Node) -> Node | None:
    """The node whose value an alert shows: the left side of the first comparison (``avg(...)`` in
    ``avg(...) > 10``), else the first metric read."""
    if isinstance(node, Compare):
        return node.left
    if isinstance(node, Logic):
        for part in node.parts:
            found = shown_value(part)
            if found is not None:
                return found
    if isinstance(node, Invert):
        return shown_value(node.part)
    calls = window_calls(node)
    return calls[0] if calls else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleExpression:
    """A parsed and checked rule text.

    ``clear`` is the explicit clear condition (None: the condition no longer holding clears it);
    a firing alert resolves once its clear condition has held for ``keep_firing_for_s``. ``by``
    splits the rule into one alert per value set of those labels. ``where`` and ``group`` select
    the devices it applies to (None: every device).
    """

    text: str
    condition: Node
    clear: Node | None = None
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    by: tuple[str, ...] = ()
    where: Filter | None = None
    group: str | None = None

    @property
    def calls(self) -> list[WindowCall]:
        """Every metric read of the condition and clear condition, each once."""
        calls = window_calls(self.condition)
        if self.clear is not None:
            calls += [c for c in window_calls(self.clear) if c not in calls]
        return calls

    @property
    def metrics(self) -> frozenset[str]:
        """The metrics the rule reads."""
        return frozenset(c.selector.metric for c in self.calls)
