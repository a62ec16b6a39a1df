"""What a playbook is once read and checked, and what running one step on one device gave.

A playbook file (YAML, see ``playbooks/*.yml``) becomes a :class:`Playbook`: targets, variables,
steps (each a :class:`Step` of one type, with an optional :class:`When`), batch size, per-site
concurrency, rollout :class:`Waves` and an optional cron ``schedule``. Running a step on a device
gives a :class:`DeviceOutcome`: ``ok``, ``changed``, ``failed`` or ``skipped``, always with a reason
when it is not ``ok``, so nothing is silently skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Status: TypeAlias = Literal["ok", "changed", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("ok", "changed", "failed", "skipped")
STATUS_FIELDS = frozenset(STATUSES)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceOutcome:
    """What one step did on one device. ``output`` is JSON and becomes visible to later steps'
    ``when`` conditions (``STEP.KEY``) and to ``ward runs show``."""

    status: Status
    reason: str | None = None
    output: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def failed(self) -> bool:
        """True when the step failed on the device."""
        return self.status == "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class When:
    """A per-device condition on an earlier step: ``[not] STEP.FIELD``.

    ``FIELD`` is a status (``ok``, ``changed``, ``failed``, ``skipped``) or a key of the step's
    output on that device, true when the value is truthy (a non-empty list, a true flag...).

    >>> w = When(step="reach", field="failed", negate=False, text="reach.failed")
    >>> w.holds(DeviceOutcome(status="failed", reason="timeout"))
    True
    >>> When(step="poll", field="interfaces_down", negate=False, text="").holds(
    ...     DeviceOutcome(status="ok", output={"interfaces_down": ["Gi1/0/1"]}))
    True
    >>> When(step="poll", field="ok", negate=True, text="").holds(None)
    True
    """

    step: str
    field: str
    negate: bool
    text: str

    def holds(self, outcome: DeviceOutcome | None) -> bool:
        """Whether the condition is true for a device whose earlier outcome is ``outcome``."""
        if outcome is None:
            value = False
        elif self.field in STATUS_FIELDS:
            value = outcome.status == self.field
        else:
            value = bool(outcome.output.get(self.field))
        return value != self.negate


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step: its ``id`` (unique in the playbook), its ``type`` and (checked) ``params``.

    ``line`` is where the step starts in the file. ``continue_on_failure`` lets devices that
    failed this step go on to the next steps (by default they are skipped, with the reason).
    """

    id: str
    type: str
    params: Mapping[str, Any] = field(hash=False)
    line: int
    when: When | None = None
    description: str = ""
    continue_on_failure: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Waves:
    """A rollout: ``canary`` devices first, then ``percent`` % of all devices, then the rest.

    After each wave the run stops when the devices failed so far exceed ``max_failures``; the
    devices not reached are recorded as skipped with that reason.
    """

    canary: int = 1
    percent: int = 25
    max_failures: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Playbook:
    """A checked playbook. ``targets`` is a selector as ``--limit`` takes it (None: every device)."""

    name: str
    path: str
    description: str = ""
    targets: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict, hash=False)
    steps: tuple[Step, ...] = ()
    batch_size: int = 50
    per_site: int = 4
    waves: Waves | None = None
    schedule: str | None = None
    lines: Mapping[str, int] = field(default_factory=dict, hash=False)

    def line_of(self, path: str) -> int | None:
        """The line of field ``path`` (e.g. ``targets``) in the file, when known."""
        return self.lines.get(path)
