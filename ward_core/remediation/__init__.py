"""Remediation behind approval gates.

Actions come from plugins (``ward_remediation_actions``: schema, destructive flag, plan, pre-check,
execute, verify, rollback). A request is proposed with its plan made on the device now and
hashed; people decide on that exact plan under the approval policy; a worker executes it only if
the gate passes in the database at that moment and the device still gives the same plan.

- :mod:`.states`: the request state machine; :mod:`.planhash`: the stored plan and its SHA-256;
- :mod:`.registry`: actions, parameter schemas (JSON Schema), platforms;
- :mod:`.identity`: who acts (``WARD_USER`` / ``WARD_TOKEN``) and their roles (the roles file);
- :mod:`.policy`: the approval policy file and the M-of-N evaluation;
- :mod:`.session`: the netmiko :class:`~ward_core.types.DeviceSession`; :mod:`.planning`: plan + pre-check;
- :mod:`.proposals`, :mod:`.decisions`, :mod:`.gate`, :mod:`.execution`: the services;
- :mod:`.instances`: one open request per instance (an alert's fingerprint), superseded when its
  alert resolves; alert rules propose through :mod:`ward_core.alerts.remediate`;
- :mod:`.actor`, :mod:`.runtime`: the Dramatiq actor (no retries, time limit) and its workers;
- :mod:`.reaper`: requests left ``running`` by a dead worker, marked failed ("worker lost");
- :mod:`.queries`: reading requests back. The audit log is :mod:`ward_core.audit`.
"""

from __future__ import annotations

from ward_core.remediation.context import RemediationContext
from ward_core.remediation.decisions import DecisionOutcome, decide, expire_due
from ward_core.remediation.execution import ExecutionReport, Executor
from ward_core.remediation.proposals import Proposal, propose
from ward_core.remediation.reaper import reap_stale_executions
from ward_core.remediation.states import RequestState

__all__ = [
    "DecisionOutcome",
    "ExecutionReport",
    "Executor",
    "Proposal",
    "RemediationContext",
    "RequestState",
    "decide",
    "expire_due",
    "propose",
    "reap_stale_executions",
]
