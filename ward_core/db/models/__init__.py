"""Every ward table. Importing this package registers them all on ``Base.metadata``."""

from __future__ import annotations

from ward_core.db.models.backup import BackupStatus, ConfigBlob, ConfigVersion, ExpectedChange
from ward_core.db.models.inventory import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.db.models.runs import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.models.samples import LatestSample, MetricSample, ProbeBatch

__all__ = [
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
    "ResultStatus",
    "Run",
    "RunResult",
    "RunStatus",
    "Site",
]
