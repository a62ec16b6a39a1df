"""A plan as approvers see it, and the SHA-256 an approval binds to.

The hash covers everything that decides what will happen: the action and whether it is
destructive, the device's identity (name, address, port, platform), the validated parameters, the
plan's summary and exact commands, and the pre-check output (the device state the plan was made
on). Re-planned against the device right before executing, an unchanged device gives the same hash;
any difference means the approvers did not see what would run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ward_core.audit.chain import canonical_json
from ward_core.types import ActionPlan, DeviceTarget


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedChange:
    """One action's plan for one device now, ready to be stored, shown and hashed."""

    action: str
    destructive: bool
    device: str
    host: str
    port: int
    platform: str
    params: Mapping[str, Any]
    summary: str
    commands: tuple[str, ...]
    precheck: str | None

    @classmethod
    def of(
        cls, plan: ActionPlan, *, device: DeviceTarget, destructive: bool, precheck: str | None
    ) -> PlannedChange:
        """The stored form of ``plan`` made for ``device``."""
        return cls(
            action=plan.action,
            destructive=destructive,
            device=device.name,
            host=device.host,
            port=device.port,
            platform=device.platform,
            params=dict(plan.params),
            summary=plan.summary,
            commands=tuple(plan.commands),
            precheck=precheck,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: what is stored in ``remediation_requests.plan`` and hashed."""
        return {
            "action": self.action,
            "destructive": self.destructive,
            "device": {"name": self.device, "host": self.host, "port": self.port, "platform": self.platform},
            "params": dict(self.params),
            "summary": self.summary,
            "commands": list(self.commands),
            "precheck": self.precheck,
        }

    @property
    def hash(self) -> str:
        """The plan's SHA-256, see :func:`plan_hash`."""
        return plan_hash(self.to_dict())


def plan_hash(stored: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a stored plan's canonical JSON.

    >>> plan_hash({"commands": ["interface Gi1/0/3", "shutdown"], "precheck": None})[:12]
    '63e34e264dec'
    """
    return hashlib.sha256(canonical_json(dict(stored)).encode("utf-8")).hexdigest()
