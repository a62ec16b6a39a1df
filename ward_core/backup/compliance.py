"""Compliance: each device's latest backup judged against its intended configuration, per feature.

For every feature of the platform's ``compliance.yaml`` (:mod:`ward_core.backup.features`):

1. the feature's template is rendered with the device's inventory variables
   (:mod:`ward_core.backup.intended`) and goes through the same redaction and normalisation chain as
   a backup, so secrets compare as placeholders on both sides;
2. the lines of the stored configuration the feature owns are taken with their children;
3. hier_config computes the remediation from those lines to the intended ones: the feature is
   compliant when there is none, otherwise the commands are the ones that would close the gap.

A template that fails for one device (undefined variable, syntax error) makes that feature
``error`` for that device, naming the template, line and variable; the rest of the report goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

import jinja2
from hier_config import HConfig, WorkflowRemediation, get_hconfig
from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.backup.features import ComplianceRules, Feature, load_compliance
from ward_core.backup.intended import context, environment, render
from ward_core.backup.queries import VersionInfo, latest, version_text
from ward_core.backup.rules import templates_root
from ward_core.config import Settings
from ward_core.db.models import Site
from ward_core.errors import ConfigError, PluginError, TemplateError
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.types import DeviceTarget

FeatureStatus: TypeAlias = Literal["compliant", "non-compliant", "error"]
DeviceStatus: TypeAlias = Literal["compliant", "non-compliant", "error", "no-backup", "no-templates"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureResult:
    """One feature of one device: its status, and the commands that would make it compliant."""

    feature: str
    status: FeatureStatus
    remediation: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "feature": self.feature,
            "status": self.status,
            "remediation": list(self.remediation),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCompliance:
    """One device: its overall status (the worst of its features), judged on ``version``."""

    device: str
    platform: str
    status: DeviceStatus
    features: tuple[FeatureResult, ...] = ()
    version_id: int | None = None
    collected_at: datetime | None = None
    error: str | None = None

    @property
    def remediation(self) -> tuple[str, ...]:
        """Every feature's remediation commands, in feature order."""
        return tuple(c for f in self.features for c in f.remediation)

    def feature(self, name: str) -> FeatureResult:
        """The result of feature ``name``."""
        return next(f for f in self.features if f.feature == name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "device": self.device,
            "platform": self.platform,
            "status": self.status,
            "version_id": self.version_id,
            "collected_at": self.collected_at.isoformat() if self.collected_at else None,
            "error": self.error,
            "features": [f.to_dict() for f in self.features],
            "remediation": list(self.remediation),
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """The fleet: one entry per device, and totals."""

    devices: tuple[DeviceCompliance, ...]

    def totals(self) -> dict[str, int]:
        """Devices per status."""
        counts: dict[str, int] = {}
        for device in self.devices:
            counts[device.status] = counts.get(device.status, 0) + 1
        return counts

    def per_feature(self) -> dict[str, dict[str, int]]:
        """For each feature, devices per feature status."""
        table: dict[str, dict[str, int]] = {}
        for device in self.devices:
            for result in device.features:
                row = table.setdefault(result.feature, {})
                row[result.status] = row.get(result.status, 0) + 1
        return table

    def by_device(self) -> dict[str, DeviceCompliance]:
        """Entries keyed by device name."""
        return {d.device: d for d in self.devices}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "totals": self.totals(),
            "features": self.per_feature(),
            "devices": [d.to_dict() for d in self.devices],
        }


def _owned(running: HConfig, feature: Feature) -> HConfig:
    scope = get_hconfig(running.driver)
    for child in running.children:
        if feature.owns(child.text):
            scope.add_deep_copy_of(child)
    return scope


def judge_feature(
    plugins: WardPlugins,
    rules: ComplianceRules,
    env: jinja2.Environment,
    feature: Feature,
    device: DeviceTarget,
    variables: Mapping[str, Any],
    running: HConfig,
) -> FeatureResult:
    """One feature of one device (see the module docstring)."""
    try:
        rendered = render(env, feature.template, device, variables)
        intended_text = plugins.normalise_backup(
            device.platform, plugins.redact_backup(device.platform, rendered)
        )
        intended = get_hconfig(rules.hier_platform, intended_text)
        stray = [c.text for c in intended.children if not feature.owns(c.text)]
        if stray:
            raise TemplateError(
                f"renders {stray[0]!r}, a line feature {feature.name!r} does not own "
                f"(its lines: {', '.join(repr(p) for p in feature.prefixes)})",
                template=str(rules.folder / feature.template),
                device=device.name,
            )
    except (TemplateError, PluginError) as exc:
        return FeatureResult(feature=feature.name, status="error", error=str(exc))
    workflow = WorkflowRemediation(_owned(running, feature), intended)
    commands = tuple(line.cisco_style_text() for line in workflow.remediation_config.all_children_sorted())
    return FeatureResult(
        feature=feature.name, status="non-compliant" if commands else "compliant", remediation=commands
    )


def check_device(
    plugins: WardPlugins,
    rules: ComplianceRules,
    device: DeviceTarget,
    running_text: str,
    *,
    site_vars: Mapping[str, Any] | None = None,
    version: VersionInfo | None = None,
    env: jinja2.Environment | None = None,
) -> DeviceCompliance:
    """Judge every feature of ``device`` on ``running_text`` (a stored, redacted configuration)."""
    env = env or environment(rules.folder)
    running = get_hconfig(rules.hier_platform, running_text)
    variables = context(device, site_vars)
    results = tuple(
        judge_feature(plugins, rules, env, feature, device, variables, running) for feature in rules.features
    )
    statuses = {r.status for r in results}
    status: DeviceStatus = (
        "error" if "error" in statuses else "non-compliant" if "non-compliant" in statuses else "compliant"
    )
    return DeviceCompliance(
        device=device.name,
        platform=device.platform,
        status=status,
        features=results,
        version_id=version.id if version else None,
        collected_at=version.collected_at if version else None,
    )


def compliance_report(
    session: Session, plugins: WardPlugins, settings: Settings, devices: Sequence[str] | None = None
) -> ComplianceReport:
    """Judge ``devices`` (default: every inventory device) on their latest stored backups.

    A platform whose ``compliance.yaml`` is malformed raises :class:`~ward_core.errors.ConfigError`
    (every device of it would fail the same way); a template failing for one device only marks
    that device's feature ``error``.
    """
    root = templates_root(settings)
    targets = load_targets(session, names=list(devices) if devices is not None else None)
    site_vars = {name: dict(v or {}) for name, v in session.execute(select(Site.name, Site.vars))}
    versions = {v.device: v for v in latest(session, [t.name for t in targets])}
    rules_of: dict[str, ComplianceRules | None] = {}
    envs: dict[str, jinja2.Environment] = {}
    report = []
    for target in targets:
        if target.platform not in rules_of:
            rules_of[target.platform] = load_compliance(root, target.platform)
        rules = rules_of[target.platform]
        if rules is None:
            report.append(
                DeviceCompliance(
                    device=target.name,
                    platform=target.platform,
                    status="no-templates",
                    error=f"no {root / target.platform / 'compliance.yaml'}",
                )
            )
            continue
        version = versions.get(target.name)
        if version is None:
            report.append(
                DeviceCompliance(
                    device=target.name,
                    platform=target.platform,
                    status="no-backup",
                    error="no stored configuration: run `ward configs backup` first",
                )
            )
            continue
        env = envs.setdefault(target.platform, environment(rules.folder))
        try:
            checked = check_device(
                plugins,
                rules,
                target,
                version_text(session, version),
                site_vars=site_vars.get(target.site or "", {}),
                version=version,
                env=env,
            )
        except ConfigError as exc:
            checked = DeviceCompliance(
                device=target.name,
                platform=target.platform,
                status="error",
                error=str(exc),
                version_id=version.id,
            )
        report.append(checked)
    return ComplianceReport(tuple(report))
