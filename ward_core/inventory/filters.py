"""Dynamic-group filter expressions.

A filter is a boolean expression over a device's attributes::

    site.region == "west" and role == "branch-router"
    "branch" in tags and not (platform in ["cisco_xr", "juniper_junos"])
    vars.asn == 65001 or "core" in groups

Operators: ``==``, ``!=``, ``in``, ``not in``, ``and``, ``or``, ``not`` and parentheses. Literals:
strings (single or double quotes), numbers, ``true``/``false``/``null`` and lists of literals.
Attributes (:data:`ATTRIBUTES`): ``name``, ``host``, ``port``, ``platform``, ``role``, ``site`` (the
site's name, also ``site.name``), ``site.region`` (also ``region``), ``tags``, ``groups`` (the static
groups the device is a member of) and ``vars.<key>`` (custom values, nested keys with more dots).
A ``vars`` key a device doesn't have reads as ``null``.

>>> f = parse_filter('site.region == "west" and role == "branch-router"')
>>> f.matches({"site.region": "west", "role": "branch-router"})
True
>>> f.matches({"site.region": "east", "role": "branch-router"})
False
>>> parse_filter('"branch" in tags').matches({"tags": ["branch", "router"]})
True
>>> parse_filter('vars.asn not in [65001, 65002]').matches({"vars": {"asn": 65003}})
True
>>> parse_filter('role = "core"')
Traceback (most recent call last):
...
ward_core.errors.FilterError: filter 'role = "core"' at column 6: unexpected character '='
>>> parse_filter('role == "core" and')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ward_core.errors.FilterError: filter 'role == "core" and' at column 19: the expression ends too early, ...
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, v_args
from lark.exceptions import UnexpectedToken, VisitError

from ward_core.errors import FilterError

ATTRIBUTES = frozenset(
    {
        "name",
        "host",
        "port",
        "platform",
        "role",
        "site",
        "site.name",
        "site.region",
        "region",
        "tags",
        "groups",
    }
)
"""Attribute paths a filter may use, besides ``vars.<key>``."""

ALIASES = {"site.name": "site", "region": "site.region"}

GRAMMAR = r"""
    ?start: or_expr
    ?or_expr: and_expr (_OR and_expr)*       -> or_
    ?and_expr: not_expr (_AND not_expr)*     -> and_
    ?not_expr: _NOT not_expr                 -> not_
             | atom
    ?atom: comparison
         | "(" or_expr ")"
    comparison: operand OPERATOR operand
    ?operand: path | literal
    path: NAME ("." NAME)*
    ?literal: STRING     -> string
            | NUMBER     -> number
            | TRUE       -> true
            | FALSE      -> false
            | NULL       -> null
            | list
    list: "[" [literal ("," literal)*] "]"

    OPERATOR: "==" | "!=" | NOT_IN | IN
    NOT_IN.3: /not[ \t]+in\b/
    IN.2: /in\b/
    _AND.2: /and\b/
    _OR.2: /or\b/
    _NOT.2: /not\b/
    TRUE.2: /true\b/
    FALSE.2: /false\b/
    NULL.2: /null\b/
    NAME: /[A-Za-z_][A-Za-z0-9_-]*/
    STRING: /"(?:[^"\\]|\\.)*"/ | /'(?:[^'\\]|\\.)*'/
    NUMBER: /-?\d+(\.\d+)?/

    %ignore /[ \t\r\n]+/
"""

_TOKEN_NAMES = {
    "OPERATOR": "'==', '!=', 'in', 'not in'",
    "NAME": "an attribute",
    "STRING": "a string",
    "NUMBER": "a number",
    "LSQB": "'['",
    "RSQB": "']'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "_AND": "'and'",
    "_OR": "'or'",
    "_NOT": "'not'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
    "$END": "the end",
}


class Node(Protocol):
    """One node of a parsed filter."""

    def evaluate(self, subject: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Literal:
    """A string, number, boolean, null or list written in the expression."""

    value: Any

    def evaluate(self, subject: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True)
class Attribute:
    """A dotted attribute path, already checked against :data:`ATTRIBUTES`."""

    path: str

    def evaluate(self, subject: Mapping[str, Any]) -> Any:
        if not self.path.startswith("vars."):
            return subject.get(self.path)
        value: Any = subject.get("vars") or {}
        for key in self.path.split(".")[1:]:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value


def _equal(left: Any, right: Any) -> bool:
    """Equality that keeps booleans apart from numbers (``true == 1`` is false)."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _contains(container: Any, item: Any) -> bool:
    """``item in container`` for lists and mappings, substring for text, false for anything else."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    if isinstance(container, list | tuple | set | frozenset):
        return any(_equal(item, element) for element in container)
    return False


@dataclass(frozen=True)
class Comparison:
    """``left OPERATOR right`` with one of ``==``, ``!=``, ``in``, ``not in``."""

    left: Node
    operator: str
    right: Node

    def evaluate(self, subject: Mapping[str, Any]) -> bool:
        left, right = self.left.evaluate(subject), self.right.evaluate(subject)
        if self.operator == "==":
            return _equal(left, right)
        if self.operator == "!=":
            return not _equal(left, right)
        if self.operator == "in":
            return _contains(right, left)
        return not _contains(right, left)


@dataclass(frozen=True)
class And:
    """True when every part is (evaluated left to right, stopping at the first false)."""

    parts: tuple[Node, ...]

    def evaluate(self, subject: Mapping[str, Any]) -> bool:
        return all(part.evaluate(subject) for part in self.parts)


@dataclass(frozen=True)
class Or:
    """True when any part is (stopping at the first true)."""

    parts: tuple[Node, ...]

    def evaluate(self, subject: Mapping[str, Any]) -> bool:
        return any(part.evaluate(subject) for part in self.parts)


@dataclass(frozen=True)
class Not:
    """The negation of its part."""

    part: Node

    def evaluate(self, subject: Mapping[str, Any]) -> bool:
        return not self.part.evaluate(subject)


class _UnknownAttributeError(Exception):
    def __init__(self, path: str, column: int) -> None:
        self.path = path
        self.column = column


@v_args(inline=True)
class _Build(Transformer[Token, Node]):
    def or_(self, *parts: Node) -> Node:
        return Or(parts) if len(parts) > 1 else parts[0]

    def and_(self, *parts: Node) -> Node:
        return And(parts) if len(parts) > 1 else parts[0]

    def not_(self, part: Node) -> Node:
        return Not(part)

    def comparison(self, left: Node, operator: Token, right: Node) -> Node:
        return Comparison(left, "not in" if str(operator).startswith("not") else str(operator), right)

    def path(self, *names: Token) -> Node:
        dotted = ".".join(str(n) for n in names)
        if dotted not in ATTRIBUTES and not (dotted.startswith("vars.") and len(names) > 1):
            raise _UnknownAttributeError(dotted, names[0].column or 0)
        return Attribute(ALIASES.get(dotted, dotted))

    def string(self, token: Token) -> Node:
        return Literal(ast.literal_eval(str(token)))

    def number(self, token: Token) -> Node:
        text = str(token)
        return Literal(float(text) if "." in text else int(text))

    def true(self, _token: Token) -> Node:
        return Literal(True)

    def false(self, _token: Token) -> Node:
        return Literal(False)

    def null(self, _token: Token) -> Node:
        return Literal(None)

    def list(self, *items: Node | None) -> Node:
        return Literal([item.evaluate({}) for item in items if item is not None])


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)


def _describe(exc: UnexpectedInput, expression: str) -> tuple[str, int]:
    """A readable message and the 1-based column for a lark parse error."""
    end = len(expression.rstrip()) + 1
    if isinstance(exc, UnexpectedEOF):
        return "the expression ends too early", end
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}", exc.column
    if isinstance(exc, UnexpectedToken):
        expected = ", ".join(sorted({_TOKEN_NAMES.get(name, name) for name in exc.expected}))
        if exc.token.type == "$END":
            return f"the expression ends too early, expected one of {expected}", end
        return f"unexpected {str(exc.token)!r}, expected one of {expected}", exc.column
    return str(exc), exc.column


@dataclass(frozen=True)
class Filter:
    """A parsed filter expression; :meth:`matches` evaluates it against one device's attributes."""

    expression: str
    root: Node

    def matches(self, subject: Mapping[str, Any]) -> bool:
        """True when the device described by ``subject`` (attribute path → value) passes."""
        return bool(self.root.evaluate(subject))


@lru_cache(maxsize=256)
def parse_filter(expression: str) -> Filter:
    """Parse ``expression``; a syntax error or unknown attribute raises :class:`FilterError`.

    >>> parse_filter("site.nmae == 'x'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ward_core.errors.FilterError: filter "site.nmae == 'x'" at column 1: unknown attribute 'site.nmae' ...
    """
    if not expression.strip():
        raise FilterError("the expression is empty", expression=expression)
    try:
        tree = _parser().parse(expression)
        root = _Build().transform(tree)
    except UnexpectedInput as exc:
        message, column = _describe(exc, expression)
        raise FilterError(message, expression=expression, column=column) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _UnknownAttributeError):
            known = ", ".join([*sorted(ATTRIBUTES), "vars.<key>"])
            raise FilterError(
                f"unknown attribute {exc.orig_exc.path!r} (known: {known})",
                expression=expression,
                column=exc.orig_exc.column,
            ) from None
        raise
    return Filter(expression=expression, root=root)
