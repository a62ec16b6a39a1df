"""What the approver page shows of a remediation request, read with the CLI's own queries.

A card holds everything an approver needs to decide without another tool: the plan's exact
commands and pre-check output, the predicted configuration diff, the evidence, who asked and why,
the approvals given for the *current* plan against the policy's count, and the time left.
Device output (the pre-check, step outputs, the transcript) is shown redacted for the device's
platform, as the REST API serves it (:mod:`ward_core.api.redaction`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ward_core.api.redaction import redacted_request
from ward_core.api.web.config_diff import ConfigDiff, predict
from ward_core.backup.features import load_compliance
from ward_core.backup.queries import latest, version_text
from ward_core.backup.rules import templates_root
from ward_core.config import Settings
from ward_core.errors import WardError
from ward_core.plugin_manager import WardPlugins
from ward_core.remediation.queries import list_requests, request_detail
from ward_core.remediation.registry import ActionRegistry
from ward_core.remediation.states import OPEN, RequestState

QUEUE_LIMIT = 50
RECENT_LIMIT = 10
STEPS = ("execute", "verify", "rollback")


@dataclass(frozen=True, slots=True, kw_only=True)
class StepView:
    """One execution step's outcome."""

    name: str
    ok: bool
    output: str
    exception: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCard:
    """One request as the page shows it."""

    id: int
    action: str
    device: str
    site: str | None
    state: str
    destructive: bool
    requested_by: str
    requested_at: datetime
    reason: str
    severity: str | None
    expires_at: datetime
    seconds_left: float
    plan_hash: str
    plan_revision: int
    summary: str
    commands: tuple[str, ...]
    precheck: str | None
    params: Mapping[str, Any]
    evidence: tuple[tuple[str, str], ...]
    diff: ConfigDiff | None
    changes_config: bool
    policy: str
    approvals: int
    needed: int
    decisions: tuple[Mapping[str, Any], ...]
    steps: tuple[StepView, ...]
    execution: Mapping[str, Any] | None

    @property
    def decidable(self) -> bool:
        """Still open and not expired: approve/reject are offered."""
        return self.state in {s.value for s in OPEN} and self.seconds_left > 0

    @property
    def in_progress(self) -> bool:
        """Approved or running: the page refreshes itself until it ends."""
        return self.state in (RequestState.APPROVED.value, RequestState.RUNNING.value)


def time_left(seconds: float) -> str:
    """``seconds`` as people read a countdown.

    >>> time_left(3725), time_left(59.2), time_left(0)
    ('1 h 2 min', '59 s', 'expired')
    """
    if seconds <= 0:
        return "expired"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def evidence_rows(evidence: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Evidence as (key, text) rows: strings as they are, anything else as indented JSON.

    >>> evidence_rows({"b": {"rule": "if-down"}, "a": "errors rising"})
    (('a', 'errors rising'), ('b', '{\\n  "rule": "if-down"\\n}'))
    """
    rows = []
    for key in sorted(evidence):
        value = evidence[key]
        text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, default=str)
        rows.append((str(key), text))
    return tuple(rows)


def _diff(
    session: Session, settings: Settings, device: str, plan: Mapping[str, Any], changes_config: bool
) -> ConfigDiff | None:
    if not changes_config:
        return None
    platform = str((plan.get("device") or {}).get("platform", ""))
    try:
        rules = load_compliance(templates_root(settings), platform) if platform else None
    except WardError:
        return None
    if rules is None:
        return None

    def backup() -> tuple[str, str] | None:
        versions = latest(session, [device])
        if not versions:
            return None
        version = versions[0]
        label = f"backup version {version.id} ({version.collected_at:%Y-%m-%d %H:%M} UTC)"
        return version_text(session, version), label

    commands = [str(c) for c in plan.get("commands", [])]
    precheck = plan.get("precheck")
    return predict(
        rules.hier_platform,
        commands,
        precheck=str(precheck) if precheck else None,
        backup=backup,
    )


def _steps(outcome: Mapping[str, Any] | None) -> tuple[StepView, ...]:
    if not outcome:
        return ()
    found = []
    for name in STEPS:
        step = outcome.get(name)
        if step:
            found.append(
                StepView(
                    name=name,
                    ok=bool(step.get("ok")),
                    output=str(step.get("output") or ""),
                    exception=step.get("exception"),
                )
            )
    return tuple(found)


def request_card(
    session: Session,
    settings: Settings,
    registry: ActionRegistry,
    request_id: int,
    now: datetime,
    plugins: WardPlugins,
) -> RequestCard | None:
    """The card of request ``request_id`` (device output redacted), or None when there is none."""
    found = request_detail(session, request_id)
    if found is None:
        return None
    detail = redacted_request(plugins, session, found)
    plan: Mapping[str, Any] = detail["plan"] or {}
    changes_config = (
        registry.get(detail["action"]).changes_config if detail["action"] in registry.names() else False
    )
    decisions = tuple(detail["decisions"])
    approvals = sum(1 for d in decisions if d["decision"] == "approve" and d["current_plan"])
    expires_at = datetime.fromisoformat(detail["expires_at"])
    policy_rule: Mapping[str, Any] = detail["policy_rule"] or {}
    return RequestCard(
        id=detail["id"],
        action=detail["action"],
        device=detail["device"],
        site=detail["site"],
        state=detail["state"],
        destructive=detail["destructive"],
        requested_by=detail["requested_by"],
        requested_at=datetime.fromisoformat(detail["requested_at"]),
        reason=detail["reason"],
        severity=detail["severity"],
        expires_at=expires_at,
        seconds_left=(expires_at - now).total_seconds(),
        plan_hash=detail["plan_hash"],
        plan_revision=detail["plan_revision"],
        summary=str(plan.get("summary", "")),
        commands=tuple(str(c) for c in plan.get("commands", [])),
        precheck=plan.get("precheck"),
        params=detail["params"] or {},
        evidence=evidence_rows(detail["evidence"] or {}),
        diff=_diff(session, settings, detail["device"], plan, changes_config),
        changes_config=changes_config,
        policy=detail["policy"],
        approvals=approvals,
        needed=int(policy_rule.get("needed", 0)),
        decisions=decisions,
        steps=_steps(detail["outcome"]),
        execution=detail["execution"],
    )


def pending_cards(
    session: Session, settings: Settings, registry: ActionRegistry, now: datetime, plugins: WardPlugins
) -> list[RequestCard]:
    """Cards of the requests waiting for decisions, oldest first (the next to expire on top)."""
    rows = list_requests(session, states=[RequestState.PENDING.value], limit=QUEUE_LIMIT)
    cards = [request_card(session, settings, registry, row.id, now, plugins) for row in reversed(rows)]
    return [card for card in cards if card is not None]


def recent_requests(session: Session) -> list[dict[str, Any]]:
    """The latest requests in any other state (what happened to the ones decided)."""
    rows = list_requests(session, limit=RECENT_LIMIT + QUEUE_LIMIT)
    return [r.to_dict() for r in rows if r.state != RequestState.PENDING.value][:RECENT_LIMIT]
