"""Permissions, and which roles grant them: one vocabulary for the CLI and the HTTP API.

A permission names one thing a person may do (:data:`ALL`). Roles grant permissions; the roles
file (:mod:`ward_core.remediation.identity`) says which, in its optional ``roles:`` mapping::

    roles:
      noc: [devices.view, alerts.view, alerts.ack]
      neteng: [viewer, remediation.propose]      # a built-in role's name stands for its permissions
    users:
      alice: {roles: [neteng]}

Defaults, decided so that every roles file written before permissions existed keeps working:

- a file **without** ``roles:`` grants every role but ``admin`` the permissions of
  :data:`UNDECLARED_DEFAULT` (all but ``admin``), and ``admin`` everything: such files only named
  roles for approval policies, and their users could already propose, acknowledge and read
  everything through the CLI;
- a file **with** ``roles:`` grants exactly what it declares; the built-in roles of
  :data:`BUILTIN_ROLES` (``viewer``, ``operator``, ``approver``, ``auditor``, ``admin``) keep their
  defaults unless redeclared, and any other undeclared role grants nothing.

``admin`` implies every other permission. Who may *approve* a given request is still the approval
policy's business (its roles and counts); ``approvals.decide`` only opens the door to deciding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEVICES_VIEW = "devices.view"
SAMPLES_VIEW = "samples.view"
ALERTS_VIEW = "alerts.view"
ALERTS_ACK = "alerts.ack"
CONFIGS_VIEW = "configs.view"
COMPLIANCE_VIEW = "compliance.view"
TOPOLOGY_VIEW = "topology.view"
RUNS_VIEW = "runs.view"
REMEDIATION_VIEW = "remediation.view"
REMEDIATION_PROPOSE = "remediation.propose"
APPROVALS_DECIDE = "approvals.decide"
AUDIT_VIEW = "audit.view"
ADMIN = "admin"

ALL: frozenset[str] = frozenset(
    {
        DEVICES_VIEW,
        SAMPLES_VIEW,
        ALERTS_VIEW,
        ALERTS_ACK,
        CONFIGS_VIEW,
        COMPLIANCE_VIEW,
        TOPOLOGY_VIEW,
        RUNS_VIEW,
        REMEDIATION_VIEW,
        REMEDIATION_PROPOSE,
        APPROVALS_DECIDE,
        AUDIT_VIEW,
        ADMIN,
    }
)
"""Every permission ward knows."""

VIEW: frozenset[str] = frozenset(
    {
        DEVICES_VIEW,
        SAMPLES_VIEW,
        ALERTS_VIEW,
        CONFIGS_VIEW,
        COMPLIANCE_VIEW,
        TOPOLOGY_VIEW,
        RUNS_VIEW,
        REMEDIATION_VIEW,
    }
)
"""Reading the network's state (not the audit log)."""

BUILTIN_ROLES: Mapping[str, frozenset[str]] = {
    "viewer": VIEW,
    "operator": VIEW | {ALERTS_ACK, REMEDIATION_PROPOSE},
    "approver": VIEW | {APPROVALS_DECIDE},
    "auditor": VIEW | {AUDIT_VIEW},
    "admin": ALL,
}
"""Roles every roles file knows without declaring them (a ``roles:`` entry of the same name wins)."""

UNDECLARED_DEFAULT: frozenset[str] = ALL - {ADMIN}
"""What any role grants in a roles file without a ``roles:`` mapping."""


def expand(entries: Iterable[str], where: str = "roles") -> frozenset[str]:
    """Permissions named by ``entries``: permission names, or built-in role names standing for theirs.

    >>> sorted(expand(["viewer", "alerts.ack"]))[:3]
    ['alerts.ack', 'alerts.view', 'compliance.view']
    >>> expand(["alerts.acknowledge"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: roles: unknown permission 'alerts.acknowledge' (known: admin, alerts.ack, ...)
    """
    granted: set[str] = set()
    for entry in entries:
        if entry in ALL:
            granted.add(entry)
        elif entry in BUILTIN_ROLES:
            granted |= BUILTIN_ROLES[entry]
        else:
            known = ", ".join([*sorted(ALL), *sorted(BUILTIN_ROLES)])
            raise ValueError(f"{where}: unknown permission {entry!r} (known: {known})")
    return frozenset(granted)


def with_implied(permissions: Iterable[str]) -> frozenset[str]:
    """``permissions`` plus what they imply (``admin`` implies every permission).

    >>> with_implied(["admin"]) == ALL
    True
    """
    held = frozenset(permissions)
    return ALL if ADMIN in held else held


def permissions_of_roles(
    roles: Iterable[str], declared: Mapping[str, frozenset[str]] | None
) -> frozenset[str]:
    """What holding ``roles`` grants, given the roles file's ``roles:`` mapping (None: no mapping).

    >>> sorted(permissions_of_roles(["neteng"], None)) == sorted(UNDECLARED_DEFAULT)
    True
    >>> permissions_of_roles(["neteng"], {"noc": frozenset({"alerts.ack"})})
    frozenset()
    >>> sorted(permissions_of_roles(["noc"], {"noc": frozenset({"alerts.ack"})}))
    ['alerts.ack']
    >>> permissions_of_roles(["admin"], {}) == ALL
    True
    """
    granted: set[str] = set()
    for role in roles:
        if declared is None:
            granted |= ALL if role == ADMIN else UNDECLARED_DEFAULT
        elif role in declared:
            granted |= declared[role]
        else:
            granted |= BUILTIN_ROLES.get(role, frozenset())
    return with_implied(granted)


__all__ = [
    "ADMIN",
    "ALERTS_ACK",
    "ALERTS_VIEW",
    "ALL",
    "APPROVALS_DECIDE",
    "AUDIT_VIEW",
    "BUILTIN_ROLES",
    "COMPLIANCE_VIEW",
    "CONFIGS_VIEW",
    "DEVICES_VIEW",
    "REMEDIATION_PROPOSE",
    "REMEDIATION_VIEW",
    "RUNS_VIEW",
    "SAMPLES_VIEW",
    "TOPOLOGY_VIEW",
    "UNDECLARED_DEFAULT",
    "VIEW",
    "expand",
    "permissions_of_roles",
    "with_implied",
]
