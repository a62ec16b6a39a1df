"""Configuration backup, history and compliance.

Modules, in the order a backup flows through them:

- :mod:`~ward_core.backup.rules`: a platform's rules as data (``templates/<platform>/backup.yaml``:
  commands, refusals, ``changed_by``, redaction and noise patterns);
- :mod:`~ward_core.backup.collect`: SSH collection through Nornir (``WardInventory``, nornir-netmiko
  sessions) with :mod:`~ward_core.backup.runner`'s per-site cap and a per-device time budget;
  :mod:`~ward_core.backup.failures` turns what went wrong into a reason code;
- :mod:`~ward_core.backup.snapshot`: redaction and normalisation chains of every plugin, then the
  digest (:mod:`~ward_core.backup.text` holds the pure text functions);
- :mod:`~ward_core.backup.service`: :func:`backup_devices`, the batch entry point the CLI and the
  workers call; :mod:`~ward_core.backup.store` writes versions, blobs and freshness;
- :mod:`~ward_core.backup.queries`: history, versions, diffs, freshness;
  :mod:`~ward_core.backup.git_export`: the history as git commits;
  :mod:`~ward_core.backup.expected`: how a remediation announces the change it is about to make;
- :mod:`~ward_core.backup.features`, :mod:`~ward_core.backup.intended` and
  :mod:`~ward_core.backup.compliance`: intended configurations from Jinja2 templates, judged per
  feature with hier_config.
"""

from __future__ import annotations

from ward_core.backup.compliance import ComplianceReport, DeviceCompliance, compliance_report
from ward_core.backup.expected import expect_change
from ward_core.backup.options import BackupOptions
from ward_core.backup.outcome import BackupOutcome, DeviceBackup
from ward_core.backup.queries import stale_devices
from ward_core.backup.service import backup_devices

__all__ = [
    "BackupOptions",
    "BackupOutcome",
    "ComplianceReport",
    "DeviceBackup",
    "DeviceCompliance",
    "backup_devices",
    "compliance_report",
    "expect_change",
    "stale_devices",
]
