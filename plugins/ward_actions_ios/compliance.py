"""``ios.compliance_apply``: send the commands the compliance report gives for a device's drift.

- plan: the device's compliance report on its latest backup (``ward compliance report``); the
  commands of the non-compliant features (all of them, or those named in ``features``). A compliant
  device, one without a backup or templates, or a feature in error is refused with the reason;
- pre-check: the live configuration is collected, redacted and normalised like a backup; it must be
  the latest stored backup (else the report would be judged on an old text): the pre-check names that
  version and digest, so any change on the device before execution changes the plan's hash;
- execute: the commands in configuration mode; verify: the live configuration judged again, the
  chosen features must be compliant. There is no rollback: re-apply the previous version by hand.
"""

from __future__ import annotations

from sqlalchemy import select

from ward_actions_ios import PLATFORMS
from ward_actions_ios.state import STATE
from ward_core.backup.compliance import check_device, compliance_report
from ward_core.backup.features import load_compliance
from ward_core.backup.queries import latest
from ward_core.backup.rules import templates_root
from ward_core.backup.snapshot import snapshot
from ward_core.db.models import Site
from ward_core.db.session import session_scope
from ward_core.types import ActionOutcome, ActionPlan, ActionSpec, DeviceSession, DeviceTarget, JsonObject

APPLY = "ios.compliance_apply"


def _chosen(device: DeviceTarget, params: JsonObject) -> list[str] | None:
    features = params.get("features")
    if features is None:
        return None
    if not isinstance(features, list | tuple) or not all(isinstance(f, str) for f in features):
        raise ValueError(f"device {device.name!r}: 'features' must be a list of feature names")
    return [str(f) for f in features]


def plan_compliance(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """The remediation commands of the device's non-compliant (chosen) features."""
    settings, plugins = STATE.require()
    with session_scope(STATE.engine()) as db:
        report = compliance_report(db, plugins, settings, [device.name]).by_device().get(device.name)
    if report is None:
        raise ValueError(f"device {device.name!r} has no compliance report")
    if report.status in ("no-backup", "no-templates", "error") and not report.features:
        raise ValueError(f"device {device.name!r} cannot be judged ({report.status}): {report.error}")
    chosen = _chosen(device, params)
    known = {f.feature: f for f in report.features}
    if chosen is not None:
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise ValueError(f"unknown feature(s) {', '.join(unknown)} (features: {', '.join(known)})")
    selected = [known[name] for name in chosen] if chosen is not None else list(report.features)
    broken = [f for f in selected if f.status == "error"]
    if broken:
        raise ValueError(f"feature {broken[0].feature!r} is in error: {broken[0].error}")
    commands = tuple(c for f in selected for c in f.remediation)
    if not commands:
        raise ValueError(f"device {device.name!r} is compliant: nothing to apply")
    names = [f.feature for f in selected if f.remediation]
    return ActionPlan(
        action=APPLY,
        device=device.name,
        summary=f"apply the compliance remediation of {', '.join(names)} on {device.name} "
        f"(judged on backup version {report.version_id})",
        commands=commands,
        params={**params, "features": names},
    )


def _live(session: DeviceSession) -> tuple[str, str]:
    """The device's configuration collected like a backup: (text, digest)."""
    _, plugins = STATE.require()
    device = session.device
    commands = plugins.backup_commands(device.platform) or ("show running-config",)
    raw = "".join(session.send_command(c) for c in commands)
    shot = snapshot(plugins, None, device=device.name, platform=device.platform, raw=raw)
    return shot.text, shot.digest


def precheck_compliance(*, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str:
    """The live configuration is the latest backup: its version and digest."""
    _, digest = _live(session)
    with session_scope(STATE.engine()) as db:
        versions = latest(db, [device.name])
    if not versions:
        raise ValueError(f"device {device.name!r} has no backup")
    stored = versions[0]
    if stored.digest != digest:
        raise ValueError(
            f"the running configuration of {device.name!r} (sha256 {digest[:12]}) is not its latest backup "
            f"(version {stored.id}, sha256 {stored.digest[:12]}): "
            "back it up (`ward configs backup`) and propose again"
        )
    return f"running configuration = backup version {stored.id} (sha256 {stored.digest})"


def execute_compliance(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send the commands in configuration mode."""
    return ActionOutcome(ok=True, changed=True, output=session.send_config(list(plan.commands)))


def verify_compliance(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """Judge the live configuration again: the applied features must now be compliant."""
    settings, plugins = STATE.require()
    device = session.device
    rules = load_compliance(templates_root(settings), device.platform)
    if rules is None:
        return ActionOutcome(ok=False, exception=f"no compliance rules for {device.platform}")
    text, _ = _live(session)
    with session_scope(STATE.engine()) as db:
        site_vars = db.scalar(select(Site.vars).where(Site.name == (device.site or ""))) or {}
    judged = check_device(plugins, rules, device, text, site_vars=dict(site_vars))
    features = plan.params.get("features")
    wanted = [str(f) for f in features] if isinstance(features, list | tuple) else []
    left = [f for f in judged.features if f.feature in wanted and f.status != "compliant"]
    if left:
        detail = "; ".join(f"{f.feature}: {f.status} {list(f.remediation)}" for f in left)
        return ActionOutcome(ok=False, output=detail, exception=f"still not compliant: {detail}")
    return ActionOutcome(ok=True, output=f"compliant: {', '.join(wanted)}")


def compliance_actions() -> list[ActionSpec]:
    """The compliance action."""
    return [
        ActionSpec(
            name=APPLY,
            description="apply the compliance report's remediation commands for a device's drift",
            params_schema={
                "type": "object",
                "properties": {"features": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
                "additionalProperties": False,
            },
            destructive=True,
            plan=plan_compliance,
            precheck=precheck_compliance,
            execute=execute_compliance,
            verify=verify_compliance,
            platforms=PLATFORMS,
        )
    ]
