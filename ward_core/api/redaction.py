"""What the API and the pages hide of device output: the plugins' redaction chain, per platform.

Device output reaches records in several places: a playbook step's result, a remediation plan's
pre-check, each execution step's output, the session transcript, and the audit records that copy
them. Whoever may *view* runs or requests must not read the secrets a ``show running-config``
prints, so every text of those parts goes through the redaction chain of the device's platform
(the one stored configurations go through) before it is served. The CLI shows records unredacted:
it runs with the operator's own database rights.

A queued playbook run keeps the ``--var`` values it was given (``params.queued.given``). They are
free-form (a community, a password) with no command line around them for a rule to recognise, so
their values are always hidden; the names stay.

An audit record's payload is served as the stored JSON text; when redaction changes it, the text
served is the redacted payload as canonical JSON, so its hash no longer verifies against it:
``GET /api/v1/audit/verify`` (audit viewers) checks the chain itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ward_core.audit.chain import canonical_json
from ward_core.inventory.queries import load_devices
from ward_core.plugin_manager import WardPlugins

UNKNOWN_PLATFORM = "unknown"
"""The platform asked for when a device is no longer in the inventory."""
HIDDEN = "<redacted>"
"""What a ``--var`` value is replaced with."""
REQUEST_PARTS = ("plan", "outcome")
"""The parts of a request's detail that hold device output."""


def redact_tree(plugins: WardPlugins, platform: str, value: Any) -> Any:
    """``value`` with every string passed through the redaction chain of ``platform``."""
    if isinstance(value, str):
        return plugins.redact_backup(platform, value)
    if isinstance(value, list):
        return [redact_tree(plugins, platform, v) for v in value]
    if isinstance(value, dict):
        return {k: redact_tree(plugins, platform, v) for k, v in value.items()}
    return value


def platform_of(session: Session, device: str, plan: Mapping[str, Any] | None) -> str:
    """``device``'s platform: the inventory's, else the one its plan recorded, else unknown."""
    found = load_devices(session, names=[device])
    if found:
        return found[0].platform
    planned = (plan or {}).get("device")
    if isinstance(planned, Mapping) and isinstance(planned.get("platform"), str):
        return str(planned["platform"])
    return UNKNOWN_PLATFORM


def _redacted_payload(plugins: WardPlugins, platform: str, payload: str) -> str:
    try:
        parsed = json.loads(payload)
    except ValueError:
        return str(redact_tree(plugins, platform, payload))
    redacted = redact_tree(plugins, platform, parsed)
    return payload if redacted == parsed else canonical_json(redacted)


def redacted_request(plugins: WardPlugins, session: Session, detail: Mapping[str, Any]) -> dict[str, Any]:
    """A request's detail (:func:`ward_core.remediation.queries.request_detail`) with its plan,
    outcome and audit payloads redacted for its device's platform."""
    platform = platform_of(session, str(detail["device"]), detail.get("plan"))
    shown = dict(detail)
    for part in REQUEST_PARTS:
        shown[part] = redact_tree(plugins, platform, detail.get(part))
    shown["audit"] = [
        {**entry, "payload": _redacted_payload(plugins, platform, str(entry["payload"]))}
        for entry in detail.get("audit", [])
    ]
    return shown


def hidden_vars(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A run's ``params`` with the values of ``queued.given`` hidden (module docstring).

    >>> hidden_vars({"playbook": "p", "queued": {"given": {"community": "s3cr3t"}, "source": "x"}})
    {'playbook': 'p', 'queued': {'given': {'community': '<redacted>'}, 'source': 'x'}}
    >>> hidden_vars(None) is None
    True
    """
    if params is None:
        return None
    queued = params.get("queued")
    if not isinstance(queued, Mapping) or not isinstance(queued.get("given"), Mapping):
        return dict(params)
    given = {str(name): HIDDEN for name in queued["given"]}
    return {**params, "queued": {**queued, "given": given}}


__all__ = [
    "HIDDEN",
    "UNKNOWN_PLATFORM",
    "hidden_vars",
    "platform_of",
    "redact_tree",
    "redacted_request",
]
