"""Every ward table. Importing this package registers them all on ``Base.metadata``."""

from __future__ import annotations

from ward_core.db.models.alerts import (
    AlertEvent,
    AlertNotification,
    AlertRow,
    AlertRule,
    RuleFault,
    Silence,
)
from ward_core.db.models.api_tokens import ApiToken
from ward_core.db.models.backup import BackupStatus, ConfigBlob, ConfigVersion, ExpectedChange
from ward_core.db.models.inventory import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.db.models.remediation import (
    AuditRecord,
    RemediationDecision,
    RemediationExecution,
    RemediationRequest,
)
from ward_core.db.models.runs import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.models.samples import LatestSample, MetricSample, ProbeBatch
from ward_core.db.models.topology import TopologyObservation, TopologyOverride, TopologySnapshot

__all__ = [
    "AlertEvent",
    "AlertNotification",
    "AlertRow",
    "AlertRule",
    "ApiToken",
    "AuditRecord",
    "BackupStatus",
    "ConfigBlob",
    "ConfigVersion",
    "CredentialRef",
    "Device",
    "ExpectedChange",
    "Group",
    "GroupMember",
    "LatestSample",
    "MetricSample",
    "ProbeBatch",
    "Region",
    "RemediationDecision",
    "RemediationExecution",
    "RemediationRequest",
    "ResultStatus",
    "RuleFault",
    "Run",
    "RunResult",
    "RunStatus",
    "Silence",
    "Site",
    "TopologyObservation",
    "TopologyOverride",
    "TopologySnapshot",
]
