"""The rule language: what parses, what is refused and where, what a rule means once compiled."""

from __future__ import annotations

import pytest

from ward_core.alerts.compiler import RuleInvalid, Vocabulary, compile_rule
from ward_core.alerts.functions import function_table
from ward_core.alerts.nodes import Compare, Logic, WindowCall
from ward_core.types import AlertFunction, Sample

METRICS = frozenset({"ping.loss_pct", "ping.rtt_avg_ms", "if.oper_up", "if.in_bps", "if.speed_bps"})


def spread(samples: list[Sample] | tuple[Sample, ...], args: list[float] | tuple[float, ...], /) -> float:
    return max(s.value for s in samples) - min(s.value for s in samples)


VOCABULARY = Vocabulary(
    metrics=METRICS,
    counters={"if.in_octets": "if.in_bps"},
    functions=function_table(
        {
            "spread": AlertFunction(
                name="spread", signature="spread(series)", description="", function=spread
            ),
            "pct": AlertFunction(
                name="pct", signature="pct(series, q)", description="", function=spread, params=("q",)
            ),
        }
    ),
    groups=frozenset({"core", "branch"}),
)


def problems(text: str) -> list[str]:
    with pytest.raises(RuleInvalid) as caught:
        compile_rule(text, VOCABULARY)
    return [str(p) for p in caught.value.problems]


def test_the_origin_systems_sentence_compiles() -> None:
    rule = compile_rule(
        "avg(ping.loss_pct, 5m) > 10 and avg(ping.rtt_avg_ms, 5m) > 100 for 5m "
        'where role == "branch-router" and site.region == "west"',
        VOCABULARY,
    )
    assert rule.for_s == 300.0
    assert isinstance(rule.condition, Logic) and rule.condition.op == "and"
    assert rule.where is not None
    assert rule.where.matches({"role": "branch-router", "site.region": "west"})
    assert not rule.where.matches({"role": "branch-router", "site.region": "east"})
    assert [c.function for c in rule.calls] == ["avg", "avg"]


def test_clauses_come_in_any_order_and_each_once() -> None:
    rule = compile_rule(
        'last(if.oper_up) == 0 where group "core" keep_firing_for 1m by (ifname) for 30s', VOCABULARY
    )
    assert (rule.group, rule.keep_firing_for_s, rule.by, rule.for_s) == ("core", 60.0, ("ifname",), 30.0)
    assert problems("last(if.oper_up) == 0 for 1m for 2m") == [
        "line 1, column 30: the 'for' clause is given twice"
    ]


def test_clear_condition_and_hysteresis() -> None:
    rule = compile_rule(
        "last(ping.loss_pct) > 20 clear when last(ping.loss_pct) < 5 keep_firing_for 10s", VOCABULARY
    )
    assert isinstance(rule.clear, Compare) and rule.clear.op == "<"
    assert rule.keep_firing_for_s == 10.0
    assert problems("last(ping.loss_pct) > 20 clear when last(ping.loss_pct)") == [
        "line 1, column 37: the clear condition must be a condition (a comparison, nodata(), and/or/not), "
        "not a number"
    ]


def test_ranges_matchers_and_plugin_functions() -> None:
    rule = compile_rule("spread(ping.rtt_avg_ms[5m]) > 20 and pct(ping.rtt_avg_ms, 1m, 95) > 3", VOCABULARY)
    calls = rule.calls
    assert [(c.function, c.window_s, c.params) for c in calls] == [
        ("spread", 300.0, ()),
        ("pct", 60.0, (95.0,)),
    ]
    matched = compile_rule('last(if.oper_up{ifname=~"Gi.*", ifname!="Gi0/0"}) == 0', VOCABULARY).calls[0]
    assert isinstance(matched, WindowCall)
    assert matched.selector.matches({"ifname": "Gi0/1"})
    assert not matched.selector.matches({"ifname": "Gi0/0"})
    assert not matched.selector.matches({"ifname": "Lo0"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avg(ping.loss_pct, 5m) >", "line 1, column 25: the rule ends too early, expected "),
        (
            "last(ping.loss_pct) = 1",
            "line 1, column 21: unexpected '=', expected '*', '/' or '%', '+' or '-', 'and'",
        ),
        ("last(ping.loss_pct) > 5m", "line 1, column 23: a duration is only allowed as a function's window"),
        (
            "avg(ping.loss_pct) > 1",
            "line 1, column 1: avg takes avg(metric, window) -> number: the window is missing",
        ),
        ("avgg(ping.loss_pct, 5m) > 1", "line 1, column 1: unknown function 'avgg' (did you mean 'avg'?)"),
        (
            "last(if.in_octets) > 1",
            "line 1, column 6: 'if.in_octets' is a raw counter, not stored as a series: "
            "rules read its rate 'if.in_bps'",
        ),
        (
            "last(ping.loss) > 1",
            "line 1, column 6: unknown metric 'ping.loss' (did you mean 'ping.loss_pct'?)",
        ),
        ("loss > 1", "line 1, column 1: unknown metric 'loss': metrics are written kind.name"),
        ("last(ping.loss_pct) + 1", "line 1, column 1: a rule must be a condition"),
        ("not last(ping.loss_pct)", "line 1, column 1: 'not' needs a condition, got a number"),
        (
            "(last(ping.loss_pct) > 1) * 2 > 1",
            "line 1, column 27: '*' needs numbers on both sides, got a condition on the left",
        ),
        (
            'last(ping.loss_pct) > 1 where group "cor"',
            "line 1, column 37: unknown group 'cor' (did you mean 'core'?)",
        ),
        (
            "last(ping.loss_pct) > 1 where sitee == 'x'",
            "line 1, column 31: in the where selector: unknown attribute 'sitee'",
        ),
        ('last(if.oper_up{ifname=~"("}) == 0', "line 1, column 25: bad regular expression '('"),
        (
            "pct(ping.rtt_avg_ms, 1m) > 1",
            "line 1, column 1: pct takes pct(series, q): expected q after the metric and window, got 0",
        ),
        (
            "count(ping.loss_pct, 0s) > 1",
            "line 1, column 7: count takes count(metric, window) -> number: "
            "the window must be longer than 0s",
        ),
        (
            "last(5) > 1",
            "line 1, column 6: last takes last(metric[, window]) -> number: its first argument is a metric",
        ),
        ("", "line 1, column 1: the rule is empty"),
    ],
)
def test_problems_are_located_and_say_what_was_expected(text: str, expected: str) -> None:
    found = problems(text)
    assert found[0].startswith(expected), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems("avg(ping.lss, 5m) > 1 and foo(ping.loss_pct, 1m) > 2 and last(ping.loss_pct) and true")
    assert len(found) == 3
    assert found[0].startswith("line 1, column 5: unknown metric 'ping.lss'")
    assert found[1].startswith("line 1, column 27: unknown function 'foo'")
    assert found[2].startswith("line 1, column 58: 'and' joins conditions, got a number")


def test_multi_line_rules_report_lines() -> None:
    found = problems("avg(ping.loss_pct, 5m) > 10\n  and max(ping.rtt_ms, 5m) > 100")
    assert found == ["line 2, column 11: unknown metric 'ping.rtt_ms' (did you mean 'ping.rtt_avg_ms'?)"]
