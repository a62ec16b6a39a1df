"""Approval policy as configuration: which requests need how many approvals, from which roles.

The file (``Settings.approval_policy_file``, YAML)::

    rules:                              # the first rule whose match fits the request applies
      - name: core-reload
        match:                          # every key optional; a list matches any of its items
          actions: ["ios.reload"]       # glob patterns on the action name
          sites: ["hq*"]                # glob patterns on the device's site
          groups: ["core"]              # the device is in one of these groups
          severities: ["critical"]      # the request's severity (from its alert, or --severity)
          destructive: true
        require: {neteng: 1, change-board: 1}   # per role: distinct people, one role each
        ttl_s: 1800                     # the request's time to live (default: approval_ttl_s)
      - name: bounce
        match: {actions: ["ios.interface_bounce"]}
        approvals: 2                    # M distinct people ...
        roles: [neteng, noc-lead]       # ... each holding one of these roles (N people hold them)
      - name: read-only
        match: {destructive: false}
        approvals: 0                    # runs without approval; refused for destructive actions
    default: {approvals: 2, roles: [neteng]}    # when no rule matches (absent: propose refused)
    concurrency: {per_site: 1, sites: {hq: 2}}  # executions running at once per site

A destructive action always needs at least one approval, whatever a rule says. Approvals count only
when given by someone other than the requester, for the request's current plan hash, before the
request expired, by a person who holds a counted role *now* (roles file read again). Any rejection
rejects the request.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ward_core.config import Settings
from ward_core.errors import ConfigError, RequestRefused

RULE_KEYS = frozenset({"name", "match", "approvals", "roles", "require", "ttl_s"})
MATCH_KEYS = frozenset({"actions", "sites", "groups", "severities", "destructive"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """What a rule applies to; an empty tuple (or None) matches anything."""

    actions: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    destructive: bool | None = None

    def fits(
        self, *, action: str, site: str | None, groups: Sequence[str], severity: str | None, destructive: bool
    ) -> bool:
        """Whether a request with these attributes is covered.

        >>> Match(actions=("ios.*",), destructive=True).fits(
        ...     action="ios.reload", site=None, groups=(), severity=None, destructive=True)
        True
        >>> Match(sites=("hq",)).fits(action="x", site=None, groups=(), severity=None, destructive=False)
        False
        """
        if self.actions and not any(fnmatch.fnmatchcase(action, p) for p in self.actions):
            return False
        if self.sites and (site is None or not any(fnmatch.fnmatchcase(site, p) for p in self.sites)):
            return False
        if self.groups and not set(self.groups) & set(groups):
            return False
        if self.severities and severity not in self.severities:
            return False
        return self.destructive is None or self.destructive == destructive


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRule:
    """One rule: its match and what it requires.

    Either ``approvals`` people holding any of ``roles`` (no roles: any person of the roles file
    with at least one role), or ``require``: so many distinct people per role.
    """

    name: str
    match: Match = field(default_factory=Match)
    approvals: int = 0
    roles: tuple[str, ...] = ()
    require: tuple[tuple[str, int], ...] = ()
    ttl_s: float | None = None

    def needed(self, destructive: bool) -> int:
        """How many approvals this rule needs for a request (at least one when destructive)."""
        total = sum(n for _, n in self.require) if self.require else self.approvals
        return max(total, 1) if destructive else total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (stored with the request, shown to approvers)."""
        return {
            "name": self.name,
            "approvals": self.approvals,
            "roles": list(self.roles),
            "require": dict(self.require),
            "ttl_s": self.ttl_s,
        }

    def describe(self, destructive: bool) -> str:
        """What the rule asks for, in words.

        >>> PolicyRule(name="r", approvals=2, roles=("neteng",)).describe(True)
        '2 approval(s) from neteng'
        >>> PolicyRule(name="r", require=(("neteng", 1), ("cab", 1))).describe(True)
        '1 from neteng + 1 from cab'
        """
        if self.require:
            return " + ".join(f"{n} from {role}" for role, n in self.require)
        needed = self.needed(destructive)
        if needed == 0:
            return "no approval"
        return f"{needed} approval(s) from {', '.join(self.roles) if self.roles else 'any role'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalPolicy:
    """The parsed policy file."""

    rules: tuple[PolicyRule, ...] = ()
    default: PolicyRule | None = None
    per_site: int = 1
    sites: Mapping[str, int] = field(default_factory=dict)
    source: str = "approval policy"

    def rule_for(
        self, *, action: str, site: str | None, groups: Sequence[str], severity: str | None, destructive: bool
    ) -> PolicyRule:
        """The first rule that fits, else the default; RequestRefused when neither exists."""
        for rule in self.rules:
            if rule.match.fits(
                action=action, site=site, groups=groups, severity=severity, destructive=destructive
            ):
                return rule
        if self.default is not None:
            return self.default
        raise RequestRefused(
            f"no approval policy rule of {self.source} covers action {action!r} on site {site or '-'} "
            "and there is no default"
        )

    def site_limit(self, site: str | None) -> int:
        """Executions that may run at once on ``site``."""
        return self.sites.get(site or "", self.per_site)


def _fail(source: str, where: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {message}")


def _strings(source: str, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(source, where, "expected a name or a list of names")
    return tuple(value)


def _count(source: str, where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(source, where, f"expected a whole number >= 0, got {value!r}")
    return value


def _rule(source: str, where: str, doc: Any, *, default: bool = False) -> PolicyRule:
    if not isinstance(doc, dict):
        raise _fail(source, where, "expected a mapping")
    unknown = set(doc) - RULE_KEYS
    if unknown:
        raise _fail(
            source,
            where,
            f"unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(RULE_KEYS))})",
        )
    name = doc.get("name", "default" if default else None)
    if not isinstance(name, str) or not name:
        raise _fail(source, f"{where}.name", "every rule needs a name")
    match_doc = doc.get("match") or {}
    if default and "match" in doc:
        raise _fail(source, f"{where}.match", "the default applies to everything: it has no match")
    if not isinstance(match_doc, dict):
        raise _fail(source, f"{where}.match", "expected a mapping")
    extra = set(match_doc) - MATCH_KEYS
    if extra:
        raise _fail(
            source,
            f"{where}.match",
            f"unknown key(s) {', '.join(sorted(extra))} (known: {', '.join(sorted(MATCH_KEYS))})",
        )
    destructive = match_doc.get("destructive")
    if destructive is not None and not isinstance(destructive, bool):
        raise _fail(source, f"{where}.match.destructive", "expected true or false")
    match = Match(
        actions=_strings(source, f"{where}.match.actions", match_doc.get("actions")),
        sites=_strings(source, f"{where}.match.sites", match_doc.get("sites")),
        groups=_strings(source, f"{where}.match.groups", match_doc.get("groups")),
        severities=_strings(source, f"{where}.match.severities", match_doc.get("severities")),
        destructive=destructive,
    )
    if "require" in doc and ("approvals" in doc or "roles" in doc):
        raise _fail(source, where, "give either 'require' (per role) or 'approvals' with 'roles', not both")
    require: tuple[tuple[str, int], ...] = ()
    if "require" in doc:
        if not isinstance(doc["require"], dict) or not doc["require"]:
            raise _fail(source, f"{where}.require", "expected a mapping of role names to counts")
        require = tuple(
            (str(role), _count(source, f"{where}.require.{role}", n)) for role, n in doc["require"].items()
        )
    elif "approvals" not in doc:
        raise _fail(source, where, "say how many approvals: 'approvals' (with 'roles') or 'require'")
    approvals = _count(source, f"{where}.approvals", doc.get("approvals", 0))
    if destructive is True and not require and approvals == 0:
        raise _fail(source, f"{where}.approvals", "destructive actions always need at least one approval")
    ttl = doc.get("ttl_s")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0):
        raise _fail(source, f"{where}.ttl_s", f"expected seconds > 0, got {ttl!r}")
    return PolicyRule(
        name=name,
        match=match,
        approvals=approvals,
        roles=_strings(source, f"{where}.roles", doc.get("roles")),
        require=require,
        ttl_s=float(ttl) if ttl is not None else None,
    )


def parse_policy(document: Any, source: str) -> ApprovalPolicy:
    """An :class:`ApprovalPolicy` from the parsed YAML; ConfigError naming the file and field.

    >>> policy = parse_policy({"rules": [{"name": "b", "match": {"actions": ["ios.*"]}, "approvals": 2,
    ...                                   "roles": ["neteng"]}]}, "policy.yml")
    >>> policy.rule_for(action="ios.reload", site=None, groups=(), severity=None, destructive=True).name
    'b'
    >>> parse_policy({"rules": [{"name": "x", "match": {"destructive": True}, "approvals": 0}]}, "p")
    Traceback (most recent call last):
    ...
    ward_core.errors.ConfigError: p: rules[0].approvals: destructive actions always need at least one approval
    """
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise _fail(source, "(top)", "expected a mapping with 'rules'")
    unknown = set(document) - {"rules", "default", "concurrency"}
    if unknown:
        raise _fail(
            source,
            "(top)",
            f"unknown key(s) {', '.join(sorted(unknown))} (known: concurrency, default, rules)",
        )
    rules_doc = document.get("rules") or []
    if not isinstance(rules_doc, list):
        raise _fail(source, "rules", "expected a list of rules")
    rules = tuple(_rule(source, f"rules[{i}]", doc) for i, doc in enumerate(rules_doc))
    names = [r.name for r in rules]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise _fail(source, "rules", f"rule name {duplicate!r} is used twice")
    default = _rule(source, "default", document["default"], default=True) if "default" in document else None
    concurrency = document.get("concurrency") or {}
    if not isinstance(concurrency, dict) or set(concurrency) - {"per_site", "sites"}:
        raise _fail(source, "concurrency", "expected a mapping with per_site and sites")
    per_site = _count(source, "concurrency.per_site", concurrency.get("per_site", 1))
    if per_site < 1:
        raise _fail(source, "concurrency.per_site", "at least 1")
    sites_doc = concurrency.get("sites") or {}
    if not isinstance(sites_doc, dict):
        raise _fail(source, "concurrency.sites", "expected a mapping of site names to counts")
    sites = {str(k): _count(source, f"concurrency.sites.{k}", v) for k, v in sites_doc.items()}
    return ApprovalPolicy(rules=rules, default=default, per_site=per_site, sites=sites, source=source)


def load_policy(settings: Settings) -> ApprovalPolicy:
    """The policy file the settings name; an empty policy (every proposal refused) when unset."""
    path: Path | None = settings.approval_policy_file
    if path is None:
        return ApprovalPolicy(source="(no approval_policy_file)")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: approval policy file not found") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise ConfigError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    return parse_policy(document, str(path))


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One recorded decision, as the evaluation needs it."""

    decided_by: str
    approve: bool
    plan_hash: str
    decided_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """Whether a request's decisions satisfy its rule now, and why (not)."""

    satisfied: bool
    rejected_by: str | None
    counted: tuple[str, ...]
    needed: int
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "satisfied": self.satisfied,
            "rejected_by": self.rejected_by,
            "counted": list(self.counted),
            "needed": self.needed,
            "explanation": self.explanation,
        }


def _assign(slots: list[str], people: Mapping[str, frozenset[str]]) -> dict[int, str]:
    """Give each role slot a distinct person holding that role, as many slots as possible
    (augmenting paths: a person counts once, for one role)."""
    owner: dict[str, int] = {}

    def place(slot: int, seen: set[str]) -> bool:
        for person, roles in sorted(people.items()):
            if slots[slot] not in roles or person in seen:
                continue
            seen.add(person)
            if person not in owner or place(owner[person], seen):
                owner[person] = slot
                return True
        return False

    for slot in range(len(slots)):
        place(slot, set())
    return {slot: person for person, slot in owner.items()}


def evaluate(
    rule: PolicyRule,
    decisions: Sequence[Decision],
    *,
    requester: str,
    plan_hash: str,
    destructive: bool,
    expires_at: datetime,
    roles_of: Callable[[str], frozenset[str]],
) -> Verdict:
    """Whether ``decisions`` satisfy ``rule`` for a request's current ``plan_hash`` (module docstring).

    >>> from datetime import UTC, datetime, timedelta
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> rule = PolicyRule(name="two", approvals=2, roles=("neteng",))
    >>> roles = {"alice": frozenset({"neteng"}), "bob": frozenset({"neteng"}), "carol": frozenset({"neteng"})}
    >>> def d(who, ok=True): return Decision(decided_by=who, approve=ok, plan_hash="h", decided_at=t)
    >>> def check(ds):
    ...     return evaluate(rule, ds, requester="alice", plan_hash="h", destructive=True,
    ...                     expires_at=t + timedelta(hours=1), roles_of=lambda u: roles.get(u, frozenset()))
    >>> check([d("alice"), d("bob")]).satisfied      # the requester's own approval never counts
    False
    >>> check([d("bob"), d("carol")]).satisfied
    True
    >>> check([d("bob"), d("carol"), d("dave", ok=False)]).rejected_by
    'dave'
    """
    needed = rule.needed(destructive)
    rejected = next((d.decided_by for d in decisions if not d.approve), None)
    if rejected is not None:
        return Verdict(
            satisfied=False,
            rejected_by=rejected,
            counted=(),
            needed=needed,
            explanation=f"rejected by {rejected}",
        )
    eligible: dict[str, frozenset[str]] = {}
    for decision in decisions:
        if (
            decision.approve
            and decision.decided_by != requester
            and decision.plan_hash == plan_hash
            and decision.decided_at < expires_at
        ):
            eligible[decision.decided_by] = roles_of(decision.decided_by)
    if rule.require:
        slots = [role for role, n in rule.require for _ in range(n)]
        assigned = _assign(slots, eligible)
        counted = tuple(sorted(set(assigned.values())))
        missing = [slots[i] for i in range(len(slots)) if i not in assigned]
        if destructive and not slots:
            missing = ["any role"]
        satisfied = not missing
        explanation = (
            f"approved by {', '.join(counted)}"
            if satisfied
            else f"still needs approval from {', '.join(missing)}"
        )
        return Verdict(
            satisfied=satisfied, rejected_by=None, counted=counted, needed=needed, explanation=explanation
        )
    wanted = set(rule.roles)
    counted = tuple(sorted(p for p, roles in eligible.items() if (roles & wanted if wanted else roles)))
    satisfied = len(counted) >= needed
    explanation = (
        f"{len(counted)} of {needed} approval(s)"
        + (f" ({', '.join(counted)})" if counted else "")
        + (
            ""
            if satisfied
            else f"; needs {needed - len(counted)} more from {', '.join(rule.roles) or 'any role'}"
        )
    )
    return Verdict(
        satisfied=satisfied, rejected_by=None, counted=counted, needed=needed, explanation=explanation
    )
