"""Rule files: positions of problems in every YAML scalar style, shapes, duplicates across files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ward_core.alerts.compiler import Vocabulary
from ward_core.alerts.rulefile import Checks, check_rule_files, read_rule_files
from ward_core.errors import RulesRejected

CHECKS = Checks(
    vocabulary=Vocabulary(metrics=frozenset({"ping.loss_pct", "ping.rtt_avg_ms"})),
    notifiers=frozenset({"webhook", "email"}),
    actions=frozenset({"bounce"}),
)


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    _, found = check_rule_files([path], CHECKS)
    return [f"{p.line}:{p.column}: {p.message}" for p in found]


@pytest.mark.parametrize(
    ("expr_block", "where"),
    [
        ("    expr: last(ping.lss) > 1\n", "3:16"),
        ('    expr: "last(ping.lss) > 1"\n', "3:17"),
        ("    expr: 'last(ping.lss) > 1'\n", "3:17"),
        ("    expr: |\n      last(ping.loss_pct) > 1 and\n        last(ping.lss) > 1\n", "5:14"),
        ("    expr: >\n      last(ping.loss_pct) > 1 and\n      last(ping.lss) > 1\n", "5:12"),
        ("    expr: last(ping.loss_pct) > 1 and\n      last(ping.lss) > 1\n", "4:12"),
    ],
)
def test_expression_problems_point_into_the_file_in_every_scalar_style(
    tmp_path: Path, expr_block: str, where: str
) -> None:
    found = problems(tmp_path, f"rules:\n  - name: r\n{expr_block}")
    assert found == [f"{where}: unknown metric 'ping.lss' (did you mean 'ping.loss_pct'?)"]


def test_shape_problems(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """notify: [webhook, pager]
rules:
  - name: bad name!
    expr: last(ping.loss_pct) > 1
    colour: red
  - expr: last(ping.loss_pct) > 1
  - name: r3
    expr: last(ping.loss_pct) > 1
    remediation: {action: reboot}
    device_down: maybe
    message: "{% if %}"
""",
    )
    assert found == [
        "1:19: unknown notifier 'pager' (known: email, webhook)",
        "5:5: unknown key 'colour' in a rule (allowed: name, expr, severity, message, description, "
        "remediation, notify, device_down)",
        "3:11: rule name 'bad name!': use letters, digits, '-', '_' and '.'",
        "6:5: the rule has no 'name'",
        "11:15: message template: Expected an expression, got 'end of statement block'",
        "9:18: unknown remediation action 'reboot' (known: bounce)",
        "10:18: device_down must be true or false",
    ]


def test_yaml_syntax_errors_and_duplicates_across_files(tmp_path: Path) -> None:
    assert problems(tmp_path, "rules:\n  - name: [unclosed\n")[0].startswith("3:1: YAML:")
    folder = tmp_path / "rules"
    folder.mkdir()
    one, two = folder / "a.yml", folder / "b.yml"
    one.write_text("- name: r\n  expr: last(ping.loss_pct) > 1\n", encoding="utf-8")
    two.write_text("rules:\n  - name: r\n    expr: last(ping.loss_pct) > 2\n", encoding="utf-8")
    with pytest.raises(RulesRejected) as caught:
        read_rule_files([folder], CHECKS)
    assert caught.value.problems == [f"{two}:2:1: rule 'r' is already defined at {one}:1"]
    with pytest.raises(RulesRejected, match="nothing:1:1: cannot read the file"):
        read_rule_files([tmp_path / "nothing"], CHECKS)


def test_remediation_param_templates_are_checked_where_they_are_written(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """rules:
  - name: r
    expr: last(ping.loss_pct) > 1
    remediation:
      action: bounce
      params: {interface: "{{ ifname }}", hold_s: 2, note: "{{ labels.x"}
""",
    )
    assert found == [
        "6:27: remediation params.interface: unknown variable 'ifname' "
        "(known: device, labels, region, role, rule, severity, site, value)",
        "6:60: remediation params.note: template: unexpected end of template, "
        "expected 'end of print statement'.",
    ]
    path = tmp_path / "good.yml"
    path.write_text(
        """rules:
  - name: r
    expr: last(ping.loss_pct) > 1
    remediation: {action: bounce, params: {interface: "{{ labels.ifname }}", hold_s: 2}}
""",
        encoding="utf-8",
    )
    (rule,) = read_rule_files([path], CHECKS)
    assert rule.remediation == {
        "action": "bounce",
        "params": {"interface": "{{ labels.ifname }}", "hold_s": 2},
    }
