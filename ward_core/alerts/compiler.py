"""Rule text to :class:`~ward_core.alerts.nodes.RuleExpression`, with every problem located.

The parse (:mod:`.grammar`) catches syntax errors; this module catches the rest, all of them at
once: unknown metrics (a raw counter is named with the rate to use instead), unknown functions,
wrong arguments, type errors (``and`` on numbers, arithmetic on conditions), a condition that is not
a condition, repeated clauses, unknown groups and bad ``where`` attributes. Each problem carries its
offset in the rule text, so callers can point at file, line and column.

>>> vocabulary = Vocabulary(metrics=frozenset({"ping.loss_pct"}), functions=BUILTINS)
>>> rule = compile_rule("avg(ping.loss_pct, 5m) > 10 for 1m", vocabulary)
>>> rule.for_s, rule.metrics
(60.0, frozenset({'ping.loss_pct'}))
>>> try:
...     compile_rule("avg(ping.loss, 5m) > 10 and ping.loss_pct + true > 1", vocabulary)
... except RuleInvalid as exc:
...     for problem in exc.problems:
...         print(problem)
line 1, column 5: unknown metric 'ping.loss' (did you mean 'ping.loss_pct'?)
line 1, column 43: '+' needs numbers on both sides, got a condition on the right
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lark import Token, Tree

from ward_core.alerts.durations import parse_duration
from ward_core.alerts.functions import BUILTINS, FunctionInfo
from ward_core.alerts.grammar import RuleSyntaxError, parse_rule
from ward_core.alerts.nodes import (
    Arith,
    Compare,
    Const,
    Invert,
    Logic,
    Matcher,
    MatchOp,
    Negate,
    Node,
    RuleExpression,
    Selector,
    WindowCall,
    kind_of,
)
from ward_core.errors import FilterError
from ward_core.inventory.filters import parse_filter

__all__ = ["BUILTINS", "ExprProblem", "RuleInvalid", "Vocabulary", "compile_rule"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Vocabulary:
    """What a rule may name: metrics (probe kinds' plus derived rates), raw counters (mapped to the
    rate to use), functions, and groups (None: groups are not checked)."""

    metrics: frozenset[str]
    functions: Mapping[str, FunctionInfo] = field(default_factory=lambda: dict(BUILTINS))
    counters: Mapping[str, str] = field(default_factory=dict)
    groups: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ExprProblem:
    """One problem at ``offset`` (0-based) of the rule text; ``line``/``column`` are 1-based."""

    offset: int
    line: int
    column: int
    detail: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.detail}"


class RuleInvalid(ValueError):
    """The rule text is refused; ``problems`` lists every problem found, in text order."""

    def __init__(self, problems: list[ExprProblem]) -> None:
        self.problems = problems
        super().__init__(";\n".join(str(p) for p in problems))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _start(item: Tree[Token] | Token) -> int:
    if isinstance(item, Token):
        return item.start_pos or 0
    meta = item.meta
    return meta.start_pos if not meta.empty else 0


def _closest(name: str, known: frozenset[str] | set[str] | list[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_MATCH_OPS: dict[str, MatchOp] = {"=": "=", "!=": "!=", "=~": "=~", "!~": "!~"}
_KIND_NAMES = {"number": "a number", "bool": "a condition"}


class _Compiler:
    def __init__(self, text: str, vocabulary: Vocabulary) -> None:
        self.text = text
        self.vocabulary = vocabulary
        self.problems: list[ExprProblem] = []

    def problem(self, at: int | Tree[Token] | Token, detail: str) -> None:
        offset = at if isinstance(at, int) else _start(at)
        line, column = _position(self.text, offset)
        self.problems.append(ExprProblem(offset, line, column, detail))

    # ---------------------------------------------------------------- clauses

    def rule(self, tree: Tree[Token]) -> RuleExpression:
        expr, *clauses = tree.children
        assert isinstance(expr, Tree | Token)
        condition = self.expr(expr)
        self.expect_condition(condition, expr, "a rule")
        seen: set[str] = set()
        rule = RuleExpression(text=self.text, condition=condition or Const(False, "bool"))
        for clause in clauses:
            assert isinstance(clause, Tree)
            name = str(clause.data)
            key = "where" if name.startswith("where") else name
            if key in seen:
                self.problem(clause, f"the {_clause_word(key)} clause is given twice")
                continue
            seen.add(key)
            rule = self.clause(rule, name, clause)
        return rule

    def clause(self, rule: RuleExpression, name: str, clause: Tree[Token]) -> RuleExpression:
        parts = clause.children
        if name == "for_clause":
            return replace(rule, for_s=self.duration(_token(parts[1])))
        if name == "keep_clause":
            return replace(rule, keep_firing_for_s=self.duration(_token(parts[1])))
        if name == "clear_clause":
            item = parts[2]
            assert isinstance(item, Tree | Token)
            node = self.expr(item)
            self.expect_condition(node, item, "the clear condition")
            return replace(rule, clear=node)
        if name == "by_clause":
            labels = [str(t) for t in parts[1:]]
            for token in parts[1:]:
                if labels.count(str(token)) > 1:
                    self.problem(_token(token), f"label {str(token)!r} is listed twice in by (...)")
                    break
            return replace(rule, by=tuple(dict.fromkeys(labels)))
        if name == "where_group":
            token = _token(parts[2])
            group = _unquote(str(token))
            known = self.vocabulary.groups
            if known is not None and group not in known:
                listing = ", ".join(sorted(known)) or "none"
                self.problem(token, f"unknown group {group!r}{_closest(group, known)} (known: {listing})")
            return replace(rule, group=group)
        selector = parts[1]
        assert isinstance(selector, Tree | Token)
        start = _start(selector)
        end = selector.meta.end_pos if isinstance(selector, Tree) else start + len(str(selector))
        try:
            return replace(rule, where=parse_filter(self.text[start:end]))
        except FilterError as exc:
            self.problem(start + (exc.column or 1) - 1, f"in the where selector: {exc.detail}")
            return rule

    def duration(self, token: Token) -> float:
        try:
            return parse_duration(str(token))
        except ValueError as exc:
            self.problem(token, str(exc))
            return 0.0

    def expect_condition(self, node: Node | None, at: Tree[Token] | Token, what: str) -> None:
        if node is not None and kind_of(node) != "bool":
            self.problem(at, f"{what} must be a condition (a comparison, nodata(), and/or/not), not a number")

    # ---------------------------------------------------------------- expressions

    def expr(self, item: Tree[Token] | Token) -> Node | None:
        if isinstance(item, Token):
            self.problem(item, f"unexpected {str(item)!r}")
            return None
        data = str(item.data)
        handler = getattr(self, f"node_{data}", None)
        if handler is None:
            self.problem(item, f"{data} is not allowed here")
            return None
        result: Node | None = handler(item)
        return result

    def operands(self, item: Tree[Token]) -> list[Tree[Token] | Token]:
        return [c for c in item.children if isinstance(c, Tree | Token)]

    def node_number(self, item: Tree[Token]) -> Node:
        return Const(float(str(item.children[0])), "number")

    def node_true(self, item: Tree[Token]) -> Node:
        return Const(True, "bool")

    def node_false(self, item: Tree[Token]) -> Node:
        return Const(False, "bool")

    def node_neg(self, item: Tree[Token]) -> Node | None:
        part = self.expr(item.children[0])
        if part is None:
            return None
        if kind_of(part) != "number":
            self.problem(item, "'-' needs a number, got a condition")
            return None
        if isinstance(part, Const):
            return Const(-float(part.value), "number")
        return Negate(part)

    def node_not_(self, item: Tree[Token]) -> Node | None:
        part = self.expr(item.children[1])
        if part is None:
            return None
        if kind_of(part) != "bool":
            self.problem(item, "'not' needs a condition, got a number")
            return None
        return Invert(part)

    def _logic(self, item: Tree[Token], op: str) -> Node | None:
        subtrees = [c for c in item.children if not (isinstance(c, Token) and c.type in ("AND", "OR"))]
        parts: list[Node] = []
        for sub in subtrees:
            node = self.expr(sub)
            if node is None:
                continue
            if kind_of(node) != "bool":
                self.problem(sub, f"'{op}' joins conditions, got a number")
                continue
            parts.append(node)
        if len(parts) != len(subtrees):
            return None
        return Logic("and" if op == "and" else "or", tuple(parts))

    def node_and_expr(self, item: Tree[Token]) -> Node | None:
        return self._logic(item, "and")

    def node_or_expr(self, item: Tree[Token]) -> Node | None:
        return self._logic(item, "or")

    def node_comparison(self, item: Tree[Token]) -> Node | None:
        left_item, op, right_item = item.children
        left = self.expr(left_item)
        right = self.expr(right_item)
        if left is None or right is None:
            return None
        bad = [side for side, node in (("left", left), ("right", right)) if kind_of(node) != "number"]
        if bad:
            self.problem(op, f"{str(op)!r} compares numbers, got a condition on the {' and '.join(bad)}")
            return None
        return Compare(str(op), left, right)

    def _arith(self, item: Tree[Token]) -> Node | None:
        children = item.children
        node = self.expr(children[0])
        ok = node is not None
        for index in range(1, len(children), 2):
            op, right_item = children[index], children[index + 1]
            right = self.expr(right_item)
            if node is None or right is None:
                ok = False
                continue
            bad = [s for s, n in (("left", node), ("right", right)) if kind_of(n) != "number"]
            if bad:
                self.problem(op, f"{str(op)!r} needs numbers on both sides, got a condition on the {bad[0]}")
                ok = False
                continue
            node = Arith(str(op), node, right)
        return node if ok else None

    def node_sum(self, item: Tree[Token]) -> Node | None:
        return self._arith(item)

    def node_product(self, item: Tree[Token]) -> Node | None:
        return self._arith(item)

    def node_ref(self, item: Tree[Token]) -> Node | None:
        selector = self.selector(item)
        if selector is None:
            return None
        return WindowCall("last", selector, None, (), "number")

    def node_range(self, item: Tree[Token]) -> Node | None:
        self.problem(item, "a range (metric[5m]) is only allowed as a function's first argument")
        return None

    def node_duration(self, item: Tree[Token]) -> Node | None:
        self.problem(item, "a duration is only allowed as a function's window or in for/keep_firing_for")
        return None

    def node_call(self, item: Tree[Token]) -> Node | None:
        name_token, *args = item.children
        assert isinstance(name_token, Token)
        name = str(name_token)
        info = self.vocabulary.functions.get(name)
        if info is None:
            known = sorted(self.vocabulary.functions)
            self.problem(
                name_token, f"unknown function {name!r}{_closest(name, known)} (known: {', '.join(known)})"
            )
            return None
        usage = f"{name} takes {info.signature}"
        if not args or not isinstance(args[0], Tree) or str(args[0].data) not in ("ref", "range"):
            self.problem(args[0] if args else name_token, f"{usage}: its first argument is a metric")
            return None
        first = args[0]
        selector = self.selector(first)
        window: float | None = None
        rest = list(args[1:])
        if str(first.data) == "range":
            window = self.duration(_token(first.children[-1]))
        elif rest and isinstance(rest[0], Tree) and str(rest[0].data) == "duration":
            window = self.duration(_token(_tree(rest.pop(0)).children[0]))
        if window is None and info.window == "required":
            self.problem(
                name_token, f"{usage}: the window is missing (e.g. {name}({first.children[0]!s}, 5m))"
            )
            return None
        if window is not None and window <= 0:
            self.problem(first, f"{usage}: the window must be longer than 0s")
        params: list[float] = []
        for arg in rest:
            value = self.constant(arg)
            if value is None:
                self.problem(arg, f"{usage}: parameters are plain numbers")
                return None
            params.append(value)
        if len(params) != len(info.params):
            wanted = ", ".join(info.params) or "no parameters"
            self.problem(
                name_token, f"{usage}: expected {wanted} after the metric and window, got {len(params)}"
            )
            return None
        if selector is None:
            return None
        return WindowCall(name, selector, window, tuple(params), info.returns)

    def constant(self, item: Tree[Token] | Token) -> float | None:
        if isinstance(item, Tree) and str(item.data) == "number":
            return float(str(item.children[0]))
        if isinstance(item, Tree) and str(item.data) == "neg":
            inner = self.constant(item.children[0])
            return None if inner is None else -inner
        return None

    def selector(self, item: Tree[Token]) -> Selector | None:
        name = item.children[0]
        assert isinstance(name, Token)
        metric = str(name)
        matchers: list[Matcher] = []
        ok = self.check_metric(name)
        for child in item.children[1:]:
            if isinstance(child, Tree) and str(child.data) == "matchers":
                for matcher in child.children:
                    assert isinstance(matcher, Tree)
                    built = self.matcher(matcher)
                    if built is None:
                        ok = False
                    else:
                        matchers.append(built)
        return Selector(metric, tuple(matchers)) if ok else None

    def check_metric(self, token: Token) -> bool:
        metric = str(token)
        vocabulary = self.vocabulary
        if metric in vocabulary.metrics:
            return True
        if metric in vocabulary.counters:
            self.problem(
                token,
                f"{metric!r} is a raw counter, not stored as a series: rules read its rate "
                f"{vocabulary.counters[metric]!r}",
            )
        elif "." not in metric:
            self.problem(
                token, f"unknown metric {metric!r}: metrics are written kind.name, e.g. ping.loss_pct"
            )
        else:
            self.problem(token, f"unknown metric {metric!r}{_closest(metric, vocabulary.metrics)}")
        return False

    def matcher(self, item: Tree[Token]) -> Matcher | None:
        label, op, value_token = item.children
        value = _unquote(str(value_token))
        pattern = None
        if str(op) in ("=~", "!~"):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                self.problem(value_token, f"bad regular expression {value!r}: {exc}")
                return None
        operator: MatchOp = _MATCH_OPS[str(op)]
        return Matcher(str(label), operator, value, pattern)


def _token(item: object) -> Token:
    assert isinstance(item, Token)
    return item


def _tree(item: object) -> Tree[Token]:
    assert isinstance(item, Tree)
    return item


def _unquote(text: str) -> str:
    """The value of a quoted string token.

    >>> _unquote('"a\\\\"b"'), _unquote("'x'")
    ('a"b', 'x')
    """
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _clause_word(key: str) -> str:
    return {
        "for_clause": "'for'",
        "keep_clause": "'keep_firing_for'",
        "clear_clause": "'clear when'",
        "by_clause": "'by'",
        "where": "'where'",
    }.get(key, key)


def compile_rule(text: str, vocabulary: Vocabulary) -> RuleExpression:
    """Parse and check ``text``; :class:`RuleInvalid` lists every problem with its position."""
    try:
        tree = parse_rule(text)
    except RuleSyntaxError as exc:
        raise RuleInvalid([ExprProblem(exc.offset, exc.line, exc.column, exc.detail)]) from None
    compiler = _Compiler(text, vocabulary)
    rule = compiler.rule(tree)
    if compiler.problems:
        raise RuleInvalid(compiler.problems)
    return rule
