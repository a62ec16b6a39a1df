"""The rule language's grammar (lark, LALR) and its syntax errors with positions.

A rule is a condition followed by optional clauses, in any order, each at most once::

    <condition> [by (<label>, ...)] [for <duration>] [keep_firing_for <duration>]
                [clear when <condition>] [where <selector> | where group "<name>"]

Conditions: numbers, ``true``/``false``, metric names (``ping.loss_pct``: its newest value),
function calls (``avg(if.in_bps, 10m)``, ``spread(ping.rtt_avg_ms[5m])``), arithmetic
(``+ - * / %``, unary ``-``), comparisons (``> >= < <= == !=``) and ``and``, ``or``, ``not`` with
parentheses. A metric may carry label matchers: ``if.oper_up{ifname="Gi0/1"}``, ``{ifname=~"Gi.*"}``,
``{role!="x"}``, ``{ifname!~"Lo.*"}``. Durations are ``500ms``, ``30s``, ``5m``, ``1h``, ``1d`` or
combinations such as ``1h30m``. The ``where`` selector is the inventory's dynamic-group filter
language (:mod:`ward_core.inventory.filters`).

:func:`parse_rule` returns the lark tree (positions kept); :class:`RuleSyntaxError` carries the
0-based offset, 1-based line and column in the expression, and what was expected there.

>>> tree = parse_rule('last(ping.loss_pct) == 100 for 3s where role == "router"')
>>> [str(child.data) for child in tree.children[1:]]
['for_clause', 'where_selector']
>>> parse_rule("avg(ping.loss_pct, 5m) >")
Traceback (most recent call last):
...
ward_core.alerts.grammar.RuleSyntaxError: line 1, column 25: the rule ends too early, expected ...
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

GRAMMAR = r"""
    start: expr clause*

    ?clause: for_clause | keep_clause | clear_clause | by_clause | where_clause
    for_clause: FOR DURATION
    keep_clause: KEEP_FIRING_FOR DURATION
    clear_clause: CLEAR WHEN expr
    by_clause: BY "(" NAME ("," NAME)* ")"
    where_clause: WHERE GROUP STRING          -> where_group
                | WHERE selector              -> where_selector

    ?expr: or_expr
    ?or_expr: and_expr (OR and_expr)*
    ?and_expr: not_expr (AND not_expr)*
    ?not_expr: NOT not_expr                   -> not_
             | comparison
    ?comparison: sum (COMPARE sum)?
    ?sum: product (ADD_OP product)*
    ?product: unary (MUL_OP unary)*
    ?unary: "-" unary                         -> neg
          | atom
    ?atom: NUMBER                             -> number
         | TRUE                               -> true
         | FALSE                              -> false
         | DURATION                           -> duration
         | call
         | ref
         | "(" expr ")"
    call: NAME "(" [arg ("," arg)*] ")"
    ?arg: expr
        | range
    ref: NAME matchers?
    range: NAME matchers? "[" DURATION "]"
    matchers: "{" [matcher ("," matcher)*] "}"
    matcher: NAME MATCH_OP STRING

    ?selector: sel_and (OR sel_and)*
    ?sel_and: sel_not (AND sel_not)*
    ?sel_not: NOT sel_not                     -> sel_negated
            | sel_atom
    ?sel_atom: sel_comparison
             | "(" selector ")"
    sel_comparison: sel_operand (COMPARE | IN | NOT IN) sel_operand
    ?sel_operand: SEL_PATH | STRING | NUMBER | TRUE | FALSE | NULL | sel_list
    sel_list: "[" [sel_literal ("," sel_literal)*] "]"
    ?sel_literal: STRING | NUMBER | TRUE | FALSE | NULL

    FOR.2: /for\b/
    KEEP_FIRING_FOR.2: /keep_firing_for\b/
    CLEAR.2: /clear\b/
    WHEN.2: /when\b/
    BY.2: /by\b/
    WHERE.2: /where\b/
    GROUP.2: /group\b/
    AND.2: /and\b/
    OR.2: /or\b/
    NOT.2: /not\b/
    IN.2: /in\b/
    TRUE.2: /true\b/
    FALSE.2: /false\b/
    NULL.2: /null\b/

    DURATION.3: /(\d+(\.\d+)?(ms|s|m|h|d))+(?![A-Za-z0-9_.])/
    NUMBER.2: /\d+(\.\d+)?([eE][+-]?\d+)?/
    COMPARE: ">=" | "<=" | "==" | "!=" | ">" | "<"
    MATCH_OP: "=~" | "!~" | "!=" | "="
    ADD_OP: "+" | "-"
    MUL_OP: "*" | "/" | "%"
    NAME: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*/
    SEL_PATH: /[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*/
    STRING: /"(?:[^"\\\n]|\\.)*"/ | /'(?:[^'\\\n]|\\.)*'/

    %ignore /[ \t\r\n]+/
    %ignore /#[^\n]*/
"""

_TOKEN_NAMES = {
    "NAME": "a metric, function or label name",
    "SEL_PATH": "an inventory attribute",
    "NUMBER": "a number",
    "DURATION": "a duration (30s, 5m, 1h)",
    "STRING": "a quoted string",
    "COMPARE": "a comparison (> >= < <= == !=)",
    "MATCH_OP": "a label match (= != =~ !~)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
    "MINUS": "'-'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "FOR": "'for'",
    "KEEP_FIRING_FOR": "'keep_firing_for'",
    "CLEAR": "'clear'",
    "WHEN": "'when'",
    "BY": "'by'",
    "WHERE": "'where'",
    "GROUP": "'group'",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "IN": "'in'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
    "$END": "the end of the rule",
}


class RuleSyntaxError(ValueError):
    """The rule text does not parse: ``offset`` (0-based), ``line`` and ``column`` (1-based) in the
    expression, ``detail`` says what was found and what was expected."""

    def __init__(self, detail: str, *, offset: int, line: int, column: int) -> None:
        self.detail = detail
        self.offset = offset
        self.line = line
        self.column = column
        super().__init__(f"line {line}, column {column}: {detail}")


def _expected(names: set[str] | frozenset[str]) -> str:
    shown = sorted({_TOKEN_NAMES.get(name, name) for name in names if not name.startswith("__")})
    return ", ".join(shown) if shown else "something else"


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``.

    >>> _position("a\\nbc", 3)
    (2, 2)
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def describe_error(exc: UnexpectedInput, text: str) -> RuleSyntaxError:
    """A :class:`RuleSyntaxError` for lark's error, saying what was found and what was expected."""
    end = len(text.rstrip())
    if isinstance(exc, UnexpectedEOF):
        offset = end
        detail = f"the rule ends too early, expected {_expected(set(exc.expected))}"
    elif isinstance(exc, UnexpectedToken):
        expected = _expected(exc.accepts or exc.expected)
        if exc.token.type == "$END":
            offset = end
            detail = f"the rule ends too early, expected {expected}"
        else:
            offset = exc.token.start_pos if exc.token.start_pos is not None else exc.pos_in_stream or 0
            detail = f"unexpected {str(exc.token)!r}, expected {expected}"
    elif isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        allowed = _expected(exc.allowed) if exc.allowed else "something else"
        detail = f"unexpected character {text[offset]!r}, expected {allowed}"
    else:
        offset = exc.pos_in_stream or 0
        detail = str(exc)
    line, column = _position(text, offset)
    return RuleSyntaxError(detail, offset=offset, line=line, column=column)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_rule(text: str) -> Tree[Token]:
    """The parse tree of rule ``text``; :class:`RuleSyntaxError` when it does not parse."""
    if not text.strip():
        raise RuleSyntaxError("the rule is empty", offset=0, line=1, column=1)
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        raise describe_error(exc, text) from None
