"""Rule files: YAML, every problem reported with its file, line and column.

A file holds a list of rules, or a mapping with ``rules:`` and an optional ``notify:`` default::

    notify: [webhook, email]          # notifiers for every rule of the file (default: all)
    rules:
      - name: device-down             # letters, digits, '-', '_', '.'; unique across files
        expr: last(ping.loss_pct) == 100 for 1m where role == "branch-router"
        severity: critical            # info, warning (default) or critical
        message: "{{ device }} does not answer ping ({{ value }}% loss)"
        description: free text
        remediation: bounce-uplink    # or {action: NAME, params: {interface: "{{ labels.ifname }}"}}
        notify: [webhook]             # overrides the file's default
        device_down: true             # an outage rule: folded under the site uplink's outage

``message`` is a Jinja2 template over ``rule``, ``device``, ``site``, ``region``, ``role``,
``severity``, ``value`` and ``labels`` (``{{ labels.ifname }}``); so is any text value of the
remediation's ``params``, rendered from the alert when the rule fires and the action is proposed
through the approval gate (:mod:`.remediate`).

Checks: YAML syntax, the shape of each rule, the expression (syntax and meaning, see
:mod:`.compiler`), the message template (syntax and variables), notifier and remediation action
names when known, duplicate names. :func:`read_rule_files` raises
:class:`~ward_core.errors.RulesRejected` listing every problem as ``file:line:column: message``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ward_core.alerts.compiler import RuleInvalid, Vocabulary, compile_rule
from ward_core.alerts.nodes import RuleExpression
from ward_core.alerts.positions import ScalarOrigin, scalar_origin
from ward_core.errors import RulesRejected
from ward_core.types import JsonObject, Severity

SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
MESSAGE_VARIABLES = frozenset({"rule", "device", "site", "region", "role", "severity", "value", "labels"})
DEFAULT_MESSAGE = "{{ rule }} on {{ device }}"
RULE_KEYS = ("name", "expr", "severity", "message", "description", "remediation", "notify", "device_down")
FILE_KEYS = ("rules", "notify")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One problem at ``path:line:column`` (1-based)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"file": self.path, "line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleDefinition:
    """One rule as written, checked, with its compiled expression."""

    name: str
    expression: str
    compiled: RuleExpression
    severity: Severity = "warning"
    message: str = DEFAULT_MESSAGE
    description: str | None = None
    remediation: JsonObject | None = field(default=None, hash=False)
    notify: tuple[str, ...] | None = None
    device_down: bool = False
    source: str = ""
    line: int = 0

    @property
    def digest(self) -> str:
        """A fingerprint of the definition: stored rules are recompiled when it changes."""
        body = {
            "expression": self.expression,
            "severity": self.severity,
            "message": self.message,
            "description": self.description,
            "remediation": self.remediation,
            "notify": list(self.notify) if self.notify is not None else None,
            "device_down": self.device_down,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Checks:
    """What rules are checked against: the vocabulary, and the notifier and remediation action
    names (None: not checked)."""

    vocabulary: Vocabulary
    notifiers: frozenset[str] | None = None
    actions: frozenset[str] | None = None


_ENVIRONMENT = SandboxedEnvironment()


def check_message(template: str) -> list[tuple[int, str]]:
    """Problems in a message template as (0-based offset in the template, message).

    >>> check_message("{{ device }} down")
    []
    >>> check_message("{{ devce }}")[0][1]  # doctest: +ELLIPSIS
    "unknown variable 'devce' in the message (known: device, labels, region, ...)"
    >>> check_message("{{ device ")[0][1]
    "message template: unexpected end of template, expected 'end of print statement'."
    """
    try:
        parsed = _ENVIRONMENT.parse(template)
    except TemplateSyntaxError as exc:
        lines = template.splitlines(keepends=True)
        offset = sum(len(line) for line in lines[: max(0, (exc.lineno or 1) - 1)])
        return [(offset, f"message template: {exc.message}")]
    problems = []
    for name in sorted(meta.find_undeclared_variables(parsed) - MESSAGE_VARIABLES):
        found = re.search(rf"\b{re.escape(name)}\b", template)
        known = ", ".join(sorted(MESSAGE_VARIABLES))
        problems.append(
            (found.start() if found else 0, f"unknown variable {name!r} in the message (known: {known})")
        )
    return problems


def check_param_template(template: str) -> list[str]:
    """Problems in a remediation parameter's template: its syntax and the variables it names
    (those of the message, rendered from the alert when the rule fires).

    >>> check_param_template("{{ labels.ifname }}")
    []
    >>> check_param_template("{{ ifname }}")
    ["unknown variable 'ifname' (known: device, labels, region, role, rule, severity, site, value)"]
    >>> check_param_template("{{ labels.ifname")
    ["template: unexpected end of template, expected 'end of print statement'."]
    """
    try:
        parsed = _ENVIRONMENT.parse(template)
    except TemplateSyntaxError as exc:
        return [f"template: {exc.message}"]
    known = ", ".join(sorted(MESSAGE_VARIABLES))
    return [
        f"unknown variable {name!r} (known: {known})"
        for name in sorted(meta.find_undeclared_variables(parsed) - MESSAGE_VARIABLES)
    ]


def _param_node(node: Node, name: str) -> Node | None:
    """The value node of ``params.<name>`` inside a remediation mapping node, for positions."""
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "params" and isinstance(value, MappingNode):
            for param, param_value in value.value:
                if isinstance(param, ScalarNode) and param.value == name and isinstance(param_value, Node):
                    return param_value
    return None


class _FileReader:
    def __init__(self, path: Path, source: str, checks: Checks) -> None:
        self.path = path
        self.label = str(path)
        self.source = source
        self.checks = checks
        self.problems: list[RuleProblem] = []

    def at(self, node: Node, message: str) -> None:
        self.problems.append(
            RuleProblem(self.label, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )

    def at_offset(self, origin: ScalarOrigin, offset: int, message: str) -> None:
        line, column = origin.locate(offset)
        self.problems.append(RuleProblem(self.label, line, column, message))

    def read(self) -> list[RuleDefinition]:
        try:
            root = yaml.compose(self.source, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append(RuleProblem(self.label, line, column, f"YAML: {exc.problem or exc}"))
            return []
        if root is None:
            self.problems.append(RuleProblem(self.label, 1, 1, "the file is empty: expected a list of rules"))
            return []
        default_notify: tuple[str, ...] | None = None
        rules_node: Node | None = root
        if isinstance(root, MappingNode):
            fields = self.fields(root, FILE_KEYS, "the file")
            rules_node = fields.get("rules")
            if rules_node is None:
                self.at(root, "missing 'rules': expected a list of rules")
                return []
            if "notify" in fields:
                default_notify = self.names(fields["notify"], "notify")
        if not isinstance(rules_node, SequenceNode):
            self.at(rules_node or root, "expected a list of rules")
            return []
        rules = []
        for item in rules_node.value:
            rule = self.rule(item, default_notify)
            if rule is not None:
                rules.append(rule)
        return rules

    def fields(self, node: MappingNode, allowed: Sequence[str], what: str) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, ScalarNode) else ""
            if name not in allowed:
                self.at(key, f"unknown key {name!r} in {what} (allowed: {', '.join(allowed)})")
                continue
            if name in found:
                self.at(key, f"{name!r} is given twice")
                continue
            found[name] = value
        return found

    def text(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.at(node, f"{what} must be text")
            return None
        return str(node.value)

    def names(self, node: Node, what: str) -> tuple[str, ...] | None:
        if not isinstance(node, SequenceNode) or not all(isinstance(i, ScalarNode) for i in node.value):
            self.at(node, f"{what} must be a list of notifier names")
            return None
        names = tuple(str(i.value) for i in node.value)
        known = self.checks.notifiers
        if known is not None:
            for item in node.value:
                if item.value not in known:
                    listing = ", ".join(sorted(known)) or "none"
                    self.at(item, f"unknown notifier {item.value!r} (known: {listing})")
        return names

    def rule(self, node: Node, default_notify: tuple[str, ...] | None) -> RuleDefinition | None:
        if not isinstance(node, MappingNode):
            self.at(node, "a rule must be a mapping with name and expr")
            return None
        before = len(self.problems)
        fields = self.fields(node, RULE_KEYS, "a rule")
        for required in ("name", "expr"):
            if required not in fields:
                self.at(node, f"the rule has no {required!r}")
        name = self.text(fields["name"], "name") if "name" in fields else None
        if name is not None and not NAME_PATTERN.fullmatch(name):
            self.at(fields["name"], f"rule name {name!r}: use letters, digits, '-', '_' and '.'")
        compiled = self.expression(fields["expr"]) if "expr" in fields else None
        severity: Severity = "warning"
        if "severity" in fields:
            value = self.text(fields["severity"], "severity")
            if value not in SEVERITIES:
                self.at(fields["severity"], f"severity {value!r}: expected one of {', '.join(SEVERITIES)}")
            else:
                severity = value
        message = DEFAULT_MESSAGE
        if "message" in fields:
            message = self.text(fields["message"], "message") or DEFAULT_MESSAGE
            message_node = fields["message"]
            if isinstance(message_node, ScalarNode):
                origin = scalar_origin(message_node, self.source)
                for offset, problem in check_message(message):
                    self.at_offset(origin, offset, problem)
        description = self.text(fields["description"], "description") if "description" in fields else None
        remediation = self.remediation(fields["remediation"]) if "remediation" in fields else None
        notify = self.names(fields["notify"], "notify") if "notify" in fields else default_notify
        device_down = False
        if "device_down" in fields:
            flag = fields["device_down"]
            if not isinstance(flag, ScalarNode) or flag.tag != "tag:yaml.org,2002:bool":
                self.at(flag, "device_down must be true or false")
            else:
                device_down = flag.value.lower() in ("true", "yes", "on")
        if len(self.problems) > before or name is None or compiled is None:
            return None
        return RuleDefinition(
            name=name,
            expression=compiled.text,
            compiled=compiled,
            severity=severity,
            message=message,
            description=description,
            remediation=remediation,
            notify=notify,
            device_down=device_down,
            source=self.label,
            line=node.start_mark.line + 1,
        )

    def expression(self, node: Node) -> RuleExpression | None:
        text = self.text(node, "expr")
        if text is None or not isinstance(node, ScalarNode):
            return None
        origin = scalar_origin(node, self.source)
        try:
            return compile_rule(text, self.checks.vocabulary)
        except RuleInvalid as exc:
            for problem in exc.problems:
                self.at_offset(origin, problem.offset, problem.detail)
            return None

    def remediation(self, node: Node) -> JsonObject | None:
        data: Any = yaml.safe_load(yaml.serialize(node))
        if isinstance(data, str):
            data = {"action": data, "params": {}}
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            self.at(node, "remediation must be an action name or {action: NAME, params: {...}}")
            return None
        unknown = sorted(set(data) - {"action", "params"})
        if unknown:
            self.at(node, f"unknown key(s) {', '.join(unknown)} in remediation (allowed: action, params)")
            return None
        if not isinstance(data.get("params", {}), dict):
            self.at(node, "remediation params must be a mapping")
            return None
        actions = self.checks.actions
        if actions is not None and data["action"] not in actions:
            listing = ", ".join(sorted(actions)) or "none"
            self.at(node, f"unknown remediation action {data['action']!r} (known: {listing})")
            return None
        params = data.get("params", {})
        before = len(self.problems)
        for name, value in params.items():
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                for problem in check_param_template(value):
                    self.at(_param_node(node, str(name)) or node, f"remediation params.{name}: {problem}")
        if len(self.problems) > before:
            return None
        return {"action": data["action"], "params": params}


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The rule files under ``paths`` (files as given, folders searched for *.yml/*.yaml), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def check_rule_files(paths: Iterable[Path], checks: Checks) -> tuple[list[RuleDefinition], list[RuleProblem]]:
    """Every rule of ``paths`` that passed, and every problem found (duplicates across files too)."""
    rules: list[RuleDefinition] = []
    problems: list[RuleProblem] = []
    seen: dict[str, RuleDefinition] = {}
    for path in rule_files(paths):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(RuleProblem(str(path), 1, 1, f"cannot read the file: {exc}"))
            continue
        reader = _FileReader(path, source, checks)
        for rule in reader.read():
            first = seen.get(rule.name)
            if first is not None:
                reader.problems.append(
                    RuleProblem(
                        str(path),
                        rule.line,
                        1,
                        f"rule {rule.name!r} is already defined at {first.source}:{first.line}",
                    )
                )
                continue
            seen[rule.name] = rule
            rules.append(rule)
        problems += reader.problems
    return rules, problems


def read_rule_files(paths: Iterable[Path], checks: Checks) -> list[RuleDefinition]:
    """The rules of ``paths``; :class:`RulesRejected` with every problem when any is found."""
    listed = list(paths)
    files = rule_files(listed)
    if not files:
        where = ", ".join(str(p) for p in listed)
        raise RulesRejected([f"{where}: no rule files (*.yml, *.yaml) found"])
    rules, problems = check_rule_files(files, checks)
    if problems:
        raise RulesRejected([str(p) for p in problems])
    return rules


def _severity(value: str) -> Severity:
    for known in SEVERITIES:
        if value == known:
            return known
    return "warning"


def definition_from_stored(
    *,
    name: str,
    expression: str,
    severity: str,
    message: str,
    description: str | None,
    remediation: Mapping[str, Any] | None,
    notify: Sequence[str] | None,
    device_down: bool,
    source: str,
    line: int,
    vocabulary: Vocabulary,
) -> RuleDefinition:
    """A stored rule compiled again (RuleInvalid when it no longer compiles, e.g. a plugin is gone)."""
    compiled = compile_rule(expression, vocabulary)
    return RuleDefinition(
        name=name,
        expression=expression,
        compiled=compiled,
        severity=_severity(severity),
        message=message,
        description=description,
        remediation=dict(remediation) if remediation is not None else None,
        notify=tuple(notify) if notify is not None else None,
        device_down=device_down,
        source=source,
        line=line,
    )
