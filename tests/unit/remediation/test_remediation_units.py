"""Pure parts of remediation: policy parsing and M-of-N evaluation, the audit chain, plan hashes,
identity, parameter coercion; plus every doctest of the remediation, audit and ios-actions modules."""

from __future__ import annotations

import doctest
import importlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ward_core.audit.chain import GENESIS, chain_record, verify_chain
from ward_core.config import load_settings
from ward_core.errors import ConfigError, IdentityError, RequestRefused
from ward_core.remediation.identity import current_person, parse_directory, token_digest
from ward_core.remediation.planhash import plan_hash
from ward_core.remediation.policy import Decision, PolicyRule, evaluate, parse_policy

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
MODULES = [
    "ward_core.audit.chain",
    "ward_core.remediation.states",
    "ward_core.remediation.planhash",
    "ward_core.remediation.registry",
    "ward_core.remediation.identity",
    "ward_core.remediation.policy",
    "ward_core.remediation.session",
    "ward_core.remediation.decisions",
    "ward_core.remediation.execution",
    "ward_core.remediation.reaper",
    "ward_actions_ios.ios_text",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def _decision(who: str, ok: bool = True, digest: str = "h", at: datetime = T0) -> Decision:
    return Decision(decided_by=who, approve=ok, plan_hash=digest, decided_at=at)


ROLES = {
    "alice": frozenset({"neteng"}),
    "bob": frozenset({"neteng"}),
    "carol": frozenset({"neteng", "cab"}),
    "erin": frozenset({"cab"}),
}


def _check(rule: PolicyRule, decisions: list[Decision], destructive: bool = True) -> bool:
    return evaluate(
        rule,
        decisions,
        requester="alice",
        plan_hash="h",
        destructive=destructive,
        expires_at=T0 + timedelta(hours=1),
        roles_of=lambda u: ROLES.get(u, frozenset()),
    ).satisfied


def test_two_of_n_counts_distinct_eligible_people_for_the_current_plan_before_expiry() -> None:
    rule = PolicyRule(name="r", approvals=2, roles=("neteng",))
    assert not _check(rule, [_decision("bob")])
    assert not _check(rule, [_decision("bob"), _decision("alice")])  # the requester
    assert not _check(rule, [_decision("bob"), _decision("erin")])  # no counted role
    assert not _check(rule, [_decision("bob"), _decision("carol", digest="old")])  # another plan
    assert not _check(rule, [_decision("bob"), _decision("carol", at=T0 + timedelta(hours=2))])  # too late
    assert _check(rule, [_decision("bob"), _decision("carol")])
    assert not _check(rule, [_decision("bob"), _decision("carol"), _decision("erin", ok=False)])


def test_per_role_requirements_need_distinct_people() -> None:
    rule = PolicyRule(name="r", require=(("neteng", 1), ("cab", 1)))
    assert not _check(rule, [_decision("carol")])  # one person cannot fill two roles
    assert _check(rule, [_decision("carol"), _decision("bob")])
    assert _check(rule, [_decision("bob"), _decision("erin")])


def test_destructive_actions_need_an_approval_whatever_the_rule() -> None:
    rule = PolicyRule(name="free", approvals=0)
    assert rule.needed(destructive=True) == 1 and rule.needed(destructive=False) == 0
    assert not _check(rule, [], destructive=True)
    assert _check(rule, [], destructive=False)


def test_policy_first_match_default_and_refusal() -> None:
    policy = parse_policy(
        {
            "rules": [
                {
                    "name": "core",
                    "match": {"groups": ["core"], "severities": ["critical"]},
                    "approvals": 1,
                    "roles": ["neteng"],
                },
                {"name": "hq", "match": {"sites": ["hq*"]}, "require": {"neteng": 1, "cab": 1}, "ttl_s": 60},
            ],
            "concurrency": {"per_site": 1, "sites": {"hq1": 3}},
        },
        "policy.yml",
    )

    def rule(**kw: object) -> str:
        base: dict[str, object] = {
            "action": "ios.reload",
            "site": None,
            "groups": (),
            "severity": None,
            "destructive": True,
        }
        return policy.rule_for(**{**base, **kw}).name  # type: ignore[arg-type]

    assert rule(groups=("core",), severity="critical") == "core"
    assert rule(groups=("core",), site="hq1") == "hq"
    with pytest.raises(RequestRefused, match=r"no approval policy rule of policy\.yml covers"):
        rule()
    assert policy.site_limit("hq1") == 3 and policy.site_limit("branch") == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rules": [{"match": {}, "approvals": 1}]}, r"rules\[0\].name: every rule needs a name"),
        ({"rules": [{"name": "a", "approvals": -1}]}, r"rules\[0\].approvals: expected a whole number"),
        (
            {"rules": [{"name": "a", "match": {"site": "x"}, "approvals": 1}]},
            r"rules\[0\].match: unknown key",
        ),
        ({"rules": [{"name": "a"}]}, r"rules\[0\]: say how many approvals"),
        ({"rules": [{"name": "a", "approvals": 1, "require": {"x": 1}}]}, r"rules\[0\]: give either"),
        ({"ruless": []}, r"\(top\): unknown key\(s\) ruless"),
    ],
)
def test_policy_errors_name_the_file_and_field(document: object, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"^p.yml: {message}"):
        parse_policy(document, "p.yml")


def test_identity_by_user_or_token() -> None:
    directory = parse_directory(
        {
            "identity": "token",
            "users": {"alice": {"roles": ["neteng"], "token_sha256": token_digest("s3cret")}},
        },
        "roles.yml",
    )
    alice = current_person(load_settings(token="s3cret"), directory)
    assert alice.name == "alice" and alice.roles == {"neteng"}
    with pytest.raises(IdentityError, match="requires a token"):
        current_person(load_settings(user="alice"), directory)
    with pytest.raises(IdentityError, match="matches no user"):
        current_person(load_settings(token="guess"), directory)
    with pytest.raises(IdentityError, match="not the owner"):
        current_person(load_settings(token="s3cret", user="bob"), directory)
    open_directory = parse_directory({"users": {"bob": {"roles": []}}}, "roles.yml")
    with pytest.raises(IdentityError, match="set WARD_USER"):
        current_person(load_settings(), open_directory)


def test_the_chain_names_the_first_edited_removed_or_reordered_record() -> None:
    records = []
    previous = GENESIS
    for seq in range(1, 6):
        record = chain_record(
            seq=seq,
            recorded_at=T0,
            actor="a",
            kind="k",
            request_id=seq,
            payload={"n": seq},
            prev_hash=previous,
        )
        records.append(record)
        previous = record.hash
    assert verify_chain(records).ok and verify_chain(records).head_seq == 5
    edited = [*records[:2], replace(records[2], payload='{"n":99}'), *records[3:]]
    assert verify_chain(edited).first_bad_seq == 3
    removed = [*records[:2], *records[3:]]
    assert verify_chain(removed).first_bad_seq == 4
    rehashed = chain_record(
        seq=3,
        recorded_at=T0,
        actor="mallory",
        kind="k",
        request_id=3,
        payload={"n": 3},
        prev_hash=records[1].hash,
    )
    assert verify_chain([*records[:2], rehashed, *records[3:]]).first_bad_seq == 4


def test_the_plan_hash_covers_the_precheck_and_ignores_key_order() -> None:
    plan = {"action": "a", "commands": ["x"], "precheck": "interface Gi1\n description up"}
    assert plan_hash(plan) == plan_hash(dict(reversed(list(plan.items()))))
    assert plan_hash(plan) != plan_hash({**plan, "precheck": "interface Gi1\n description changed"})
