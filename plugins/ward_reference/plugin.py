"""The module ward loads for the ``reference`` entry point.

Pluggy registers every function marked with ``@hookimpl`` that this module holds, wherever it was
defined, so each hook family lives in its own module and is imported here. The lifecycle hooks are
defined here.
"""

from __future__ import annotations

import logging

from ward_core import hookimpl
from ward_core.config import Settings
from ward_reference.alerts import ward_alert_functions, ward_alert_notifiers
from ward_reference.backup import ward_backup_commands, ward_backup_normalise, ward_backup_redact
from ward_reference.events import (
    EVENT_LOG,
    ward_alert_fired,
    ward_alert_resolved,
    ward_approval_decided,
    ward_config_changed,
    ward_run_finished,
    ward_samples_written,
    ward_topology_changed,
)
from ward_reference.playbook import ward_playbook_step_types
from ward_reference.probe import ward_probe_kinds, ward_probe_run
from ward_reference.remediation import ward_remediation_actions
from ward_reference.topology import ward_topology_neighbours

log = logging.getLogger("ward.reference")

__all__ = [
    "ward_alert_fired",
    "ward_alert_functions",
    "ward_alert_notifiers",
    "ward_alert_resolved",
    "ward_approval_decided",
    "ward_backup_commands",
    "ward_backup_normalise",
    "ward_backup_redact",
    "ward_config_changed",
    "ward_configure",
    "ward_playbook_step_types",
    "ward_probe_kinds",
    "ward_probe_run",
    "ward_remediation_actions",
    "ward_run_finished",
    "ward_samples_written",
    "ward_topology_changed",
    "ward_topology_neighbours",
    "ward_unconfigure",
]


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Start a fresh event log. A real plugin would keep what it needs from ``settings`` here."""
    EVENT_LOG.clear()
    EVENT_LOG.record("ward_configure", settings.database_url)
    log.debug("reference plugin configured")


@hookimpl
def ward_unconfigure() -> None:
    """Note the shutdown in the event log."""
    EVENT_LOG.record("ward_unconfigure", None)
