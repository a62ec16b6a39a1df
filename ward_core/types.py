"""The values that cross the plugin contract: what hooks receive and what they return.

Every type here is a frozen dataclass or a :class:`~typing.Protocol`, so a plugin can neither mutate
what ward hands it nor be surprised by a field changing under it. Grouped by hook family:

- inventory view: :class:`DeviceTarget` (what a plugin may know about a device) and :class:`SnmpTarget`;
- probes: :class:`ProbeKind`, :class:`ProbeOptions`, :class:`Metric`, :class:`ProbeResult`,
  :class:`ProbeBatchResult`;
- alerts: :class:`Sample`, :class:`AlertFunction`, :class:`Alert`, :class:`AlertNotice`, :class:`Notifier`,
  :class:`NoticeNotifier`, :class:`NotifierSpec`;
- topology: :class:`NeighbourRecord`, :class:`Link`, :class:`TopologyChange`;
- remediation: :class:`DeviceSession`, :class:`ActionPlan`, :class:`ActionOutcome`, the step
  protocols (plan, precheck, execute, verify, rollback) and :class:`ActionSpec`;
- playbooks: :class:`StepContext`, :class:`StepResult`, :class:`StepRunner`, :class:`StepType`;
- events: :class:`SamplesWritten`, :class:`ConfigChange`, :class:`ApprovalDecision`, :class:`RunSummary`
  (plus :class:`Alert` and :class:`TopologyChange`).

Failures inside bulk work are data, not exceptions: a probe that cannot reach a device returns a
failed :class:`ProbeResult` carrying the exception text, and the batch goes on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, TypeAlias

from ward_core.errors import ConfigError, InventoryError

JsonValue: TypeAlias = str | int | float | bool | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
"""Any value JSON can carry: parameters, variables and schemas are made of these."""

JsonObject: TypeAlias = Mapping[str, JsonValue]
"""A JSON object: action and step parameters, JSON Schemas, device ``vars``."""

# --------------------------------------------------------------------------- inventory view

SnmpVersion: TypeAlias = Literal["2c", "3"]
SnmpAuthProtocol: TypeAlias = Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"]
SnmpPrivProtocol: TypeAlias = Literal["des", "aes128", "aes192", "aes256"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SnmpTarget:
    """How to reach a device over SNMP, without any secret.

    ``credentials`` names the credential that holds the secrets (``community`` for v2c,
    ``auth_key``/``priv_key`` for v3); whoever opens the session resolves it at run time.
    """

    version: SnmpVersion
    credentials: str
    port: int = 161
    user: str | None = None
    auth_protocol: SnmpAuthProtocol | None = None
    priv_protocol: SnmpPrivProtocol | None = None

    @property
    def security_level(self) -> Literal["noAuthNoPriv", "authNoPriv", "authPriv"] | None:
        """The v3 security level; None for v2c.

        >>> SnmpTarget(version="3", credentials="c", user="u", auth_protocol="sha").security_level
        'authNoPriv'
        """
        if self.version != "3":
            return None
        if self.priv_protocol:
            return "authPriv"
        return "authNoPriv" if self.auth_protocol else "noAuthNoPriv"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceTarget:
    """One device as a plugin sees it.

    ``platform`` is a netmiko ``device_type``. ``credentials`` and ``snmp.credentials`` are
    *names*: connection secrets are never part of a target, whoever connects resolves them.
    ``vars`` are the inventory's custom variables (read-only by convention).
    """

    name: str
    host: str
    platform: str
    port: int = 22
    site: str | None = None
    region: str | None = None
    role: str | None = None
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    vars: JsonObject = field(default_factory=dict, hash=False)
    credentials: str | None = None
    snmp: SnmpTarget | None = None

    def __post_init__(self) -> None:
        where = f"device {self.name!r}"
        if not self.name:
            raise InventoryError("a device needs a name", field="name")
        if not self.host:
            raise InventoryError("a device needs a host", location=where, field="host")
        for port, name in ((self.port, "port"), (self.snmp.port if self.snmp else 161, "snmp.port")):
            if not 1 <= port <= 65535:
                raise InventoryError(f"port {port} is outside 1-65535", location=where, field=name)
        if self.snmp is not None and self.snmp.version == "3" and not self.snmp.user:
            raise InventoryError("SNMP v3 needs a user", location=where, field="snmp.user")


# --------------------------------------------------------------------------- probes


COUNTER_BITS_LABEL = "counter_bits"
"""Label a counter metric carries to say its width (``"32"`` or ``"64"``), so wraps are undone right."""

UPTIME_METRIC = "sys.uptime_s"
"""Gauge a probe reports when it knows the device's uptime; a decrease means the device rebooted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterSpec:
    """A cumulative counter a probe reports, and the per-second rate ward derives from it.

    The probe reports the raw counter (``metric``, labelled with :data:`COUNTER_BITS_LABEL`); ward
    keeps the previous reading and writes ``rate_metric`` = delta x ``factor`` / seconds, undoing one
    wrap at the counter's width and skipping the rate across a reboot (see :data:`UPTIME_METRIC`).
    ``factor`` is 8 for octets turned into bits per second.
    """

    metric: str
    rate_metric: str
    factor: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeKind:
    """A kind of measurement a plugin can run, e.g. ``icmp`` or ``snmp.interfaces``.

    ``metrics`` lists every metric name its results may contain; alert rules refer to these names.
    ``counters`` declares which of them are cumulative counters that ward turns into rates.
    """

    name: str
    description: str
    metrics: tuple[str, ...]
    counters: tuple[CounterSpec, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeOptions:
    """How to run one batch. ``params`` holds options only one kind understands (e.g. a port).

    ``timeout`` is seconds per attempt, ``retries`` extra attempts after a failed one, ``count``
    samples per device (echo requests, polls), ``concurrency`` the most devices in flight at once.
    """

    timeout: float = 1.0
    retries: int = 0
    count: int = 1
    concurrency: int = 500
    params: JsonObject = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ConfigError(f"probe option 'timeout' must be more than 0 seconds, got {self.timeout}")
        for name, value, least in (
            ("retries", self.retries, 0),
            ("count", self.count, 1),
            ("concurrency", self.concurrency, 1),
        ):
            if value < least:
                raise ConfigError(f"probe option {name!r} must be at least {least}, got {value}")


@dataclass(frozen=True, slots=True)
class Metric:
    """One measured value, optionally labelled (per interface, per queue...)."""

    name: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> str:
        """The metric name with its labels, sorted, as Prometheus writes them.

        >>> Metric("if.in_octets", 5.0, {"ifname": "Gi0/1"}).key
        'if.in_octets{ifname="Gi0/1"}'
        >>> Metric("icmp.rtt_ms", 0.4).key
        'icmp.rtt_ms'
        """
        if not self.labels:
            return self.name
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.name}{{{inner}}}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What one probe found on one device: metrics when ``ok``, the exception text when not."""

    device: str
    kind: str
    ok: bool
    metrics: tuple[Metric, ...] = ()
    exception: str | None = None

    def __post_init__(self) -> None:
        if not self.ok and not self.exception:
            raise ValueError(f"device {self.device!r}: a failed {self.kind} result needs its exception text")
        for metric in self.metrics:
            if not math.isfinite(metric.value):
                raise ValueError(f"device {self.device!r}: metric {metric.key} is {metric.value}")

    @property
    def failed(self) -> bool:
        """True when the probe could not measure this device."""
        return not self.ok

    def values(self) -> dict[str, float]:
        """Metrics by :attr:`Metric.key`.

        >>> ProbeResult.success("sw1", "icmp", [Metric("icmp.rtt_ms", 0.5)]).values()
        {'icmp.rtt_ms': 0.5}
        """
        return {m.key: m.value for m in self.metrics}

    @classmethod
    def success(cls, device: str, kind: str, metrics: Sequence[Metric]) -> ProbeResult:
        """A result that measured ``metrics``."""
        return cls(device=device, kind=kind, ok=True, metrics=tuple(metrics))

    @classmethod
    def failure(cls, device: str, kind: str, exception: BaseException | str) -> ProbeResult:
        """A failed result; an exception is kept as ``"TypeName: message"``.

        >>> ProbeResult.failure("sw1", "icmp", TimeoutError("no reply")).exception
        'TimeoutError: no reply'
        """
        text = exception if isinstance(exception, str) else f"{type(exception).__name__}: {exception}"
        return cls(device=device, kind=kind, ok=False, exception=text or "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeBatchResult:
    """One result per device of a batch (failed ones included), in the order the devices came."""

    kind: str
    results: tuple[ProbeResult, ...]

    @property
    def ok(self) -> bool:
        """True when every device was measured."""
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ProbeResult, ...]:
        """The results of the devices that could not be measured."""
        return tuple(r for r in self.results if not r.ok)

    def by_device(self) -> dict[str, ProbeResult]:
        """Results keyed by device name."""
        return {r.device: r for r in self.results}


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored value of a metric: ``time`` in seconds since the epoch."""

    time: float
    value: float


class RuleFunction(Protocol):
    """A function alert rules can call: a window of samples plus numeric arguments, in; a number, out."""

    def __call__(self, samples: Sequence[Sample], args: Sequence[float], /) -> float: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertFunction:
    """An extra function for alert rules, e.g. ``spread`` in ``spread(icmp.rtt_ms[5m]) > 20``.

    ``params`` names the numeric arguments after the series (the rule parser checks their number);
    ``signature`` is what ``ward`` shows users, e.g. ``"percentile(series, q) -> float"``.
    """

    name: str
    signature: str
    description: str
    function: RuleFunction
    params: tuple[str, ...] = ()


Severity: TypeAlias = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A rule firing for one device (and label set); resolved once ``resolved_at`` is set.

    ``site`` is the device's site; ``symptom_of`` names the site's uplink device when this alert is
    folded under that device's outage (topology-aware suppression): a symptom, not a separate page.
    """

    rule: str
    device: str
    severity: Severity
    summary: str
    started_at: datetime
    value: float | None = None
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    resolved_at: datetime | None = None
    site: str | None = None
    symptom_of: str | None = None

    @property
    def firing(self) -> bool:
        """True until the alert is resolved."""
        return self.resolved_at is None

    @property
    def fingerprint(self) -> str:
        """The alert's identity (rule, device, labels) as text: receivers deduplicate on it.

        >>> from datetime import UTC, datetime
        >>> Alert(rule="if-down", device="sw1", severity="warning", summary="", labels={"ifname": "Gi0/1"},
        ...       started_at=datetime(2026, 1, 1, tzinfo=UTC)).fingerprint
        'if-down/sw1/ifname="Gi0/1"'
        """
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.rule}/{self.device}/{inner}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNotice:
    """One notification: the alerts of one ``site`` that fired or resolved in one evaluation.

    Ward groups per site so that a branch outage is one message, not one per device; alerts
    folded under the site's uplink carry ``symptom_of``. ``site`` is None for devices without one.
    """

    site: str | None
    alerts: tuple[Alert, ...]
    created_at: datetime

    @property
    def firing(self) -> tuple[Alert, ...]:
        """The alerts of the notice that are firing."""
        return tuple(a for a in self.alerts if a.firing)

    @property
    def resolved(self) -> tuple[Alert, ...]:
        """The alerts of the notice that resolved."""
        return tuple(a for a in self.alerts if not a.firing)


class Notifier(Protocol):
    """Delivers alerts somewhere (mail, chat, a webhook). ``send`` raises when delivery failed."""

    def send(self, alert: Alert) -> None: ...


class NoticeNotifier(Protocol):
    """Delivers a site's alerts of one evaluation as one message; raises when delivery failed."""

    def send_notice(self, notice: AlertNotice) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifierSpec:
    """A notifier a plugin offers under ``name``; alert routes choose notifiers by that name.

    With ``notices`` set, ward delivers each site's alerts of one evaluation in one
    ``notices.send_notice`` call; otherwise it calls ``notifier.send`` once per alert.
    """

    name: str
    description: str
    notifier: Notifier
    notices: NoticeNotifier | None = None


# --------------------------------------------------------------------------- topology

Transport: TypeAlias = Literal["ssh", "snmp"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NeighbourRecord:
    """One neighbour a device reports on one of its interfaces (an LLDP or CDP entry, say).

    ``neighbour`` is the name the neighbour announces, which may not match an inventory name.
    ``protocol`` says where the record came from: ``"lldp"``, ``"cdp"`` or another source.

    LLDP names the far port by a port ID of some subtype, which is not always an interface name:
    ``neighbour_port_id`` is that ID as text (a MAC as ``aa:bb:cc:dd:ee:ff``, ``local`` as its
    number) and ``neighbour_port_subtype`` its LLDP-MIB subtype name (``interfaceName``,
    ``local``, ``macAddress``, ... ; None when the source does not say). ``neighbour_interface``
    is the far interface's name when the record gives one (a name port ID, CDP's port, else the
    port description). ``local_port_id`` is the port ID this device advertises on
    ``local_interface`` and ``local_chassis_id`` this device's own chassis ID: with them ward
    maps the IDs other devices report back to interface names and devices.
    """

    device: str
    local_interface: str
    neighbour: str
    protocol: str
    neighbour_interface: str | None = None
    neighbour_address: str | None = None
    chassis_id: str | None = None
    platform: str | None = None
    capabilities: tuple[str, ...] = ()
    neighbour_port_id: str | None = None
    neighbour_port_subtype: str | None = None
    local_port_id: str | None = None
    local_chassis_id: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A cable between two device interfaces, endpoints in sorted order so a link has one spelling.

    >>> Link.between("sw2", "Gi0/1", "sw1", "Gi0/2")
    Link(a_device='sw1', a_interface='Gi0/2', b_device='sw2', b_interface='Gi0/1')
    """

    a_device: str
    a_interface: str
    b_device: str
    b_interface: str

    @classmethod
    def between(cls, device: str, interface: str, other: str, other_interface: str) -> Link:
        """The link between two endpoints, whichever side is given first."""
        first, second = sorted([(device, interface), (other, other_interface)])
        return cls(first[0], first[1], second[0], second[1])


@dataclass(frozen=True, slots=True, kw_only=True)
class TopologyChange:
    """Links that appeared or disappeared between two discoveries."""

    added: tuple[Link, ...]
    removed: tuple[Link, ...]
    discovered_at: datetime


# --------------------------------------------------------------------------- remediation


class DeviceSession(Protocol):
    """An open CLI session to one device, opened (and its credentials resolved) by ward.

    Methods raise :class:`~ward_core.errors.DeviceError` subclasses (``CommandRejected``,
    ``DeviceTimeout``...) naming the device.
    """

    @property
    def device(self) -> DeviceTarget:
        """The device this session talks to."""
        ...

    def send_command(self, command: str, *, confirm: bool = False) -> str:
        """Run one exec-mode command and return its output.

        ``confirm=True`` answers a confirmation prompt (``[confirm]``, ``[yes/no]``) with yes.
        """
        ...

    def send_config(self, commands: Sequence[str]) -> str:
        """Enter configuration mode, send ``commands`` in order, leave it; return the echoed output."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionPlan:
    """What an action will do on one device, computed without touching it, shown for approval."""

    action: str
    device: str
    summary: str
    commands: tuple[str, ...]
    params: JsonObject = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOutcome:
    """What an execute, verify or rollback step did.

    ``undo`` (set by execute) holds the commands that restore the device as execute found it, for
    rollback to send. A failed outcome carries the exception text.
    """

    ok: bool
    changed: bool = False
    output: str = ""
    exception: str | None = None
    undo: tuple[str, ...] = ()


class PlanStep(Protocol):
    """Turns validated parameters into a plan. Pure: no session, so it can run before approval."""

    def __call__(self, *, device: DeviceTarget, params: JsonObject) -> ActionPlan: ...


class PrecheckStep(Protocol):
    """Reads, with show commands only, the device state a plan depends on, as stable text.

    Ward runs it when a request is proposed and again right before executing: the text is part of
    the plan's hash, so a device that changed in between (a new description, a drifted config)
    makes the hash differ and the approved plan is refused. Leave volatile values out (counters,
    uptime, clocks) and secrets too: the text is stored and shown to approvers. Raising
    ``ValueError`` (or a :class:`~ward_core.errors.DeviceError`) refuses the request with its message.
    """

    def __call__(self, *, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str: ...


class ExecuteStep(Protocol):
    """Carries out an approved plan through ``session``."""

    def __call__(self, *, plan: ActionPlan, session: DeviceSession) -> ActionOutcome: ...


class VerifyStep(Protocol):
    """Checks that executing the plan had the intended effect; ``ok=False`` triggers rollback."""

    def __call__(
        self, *, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome
    ) -> ActionOutcome: ...


class RollbackStep(Protocol):
    """Restores the device after a failed verification, usually by sending ``execution.undo``."""

    def __call__(
        self, *, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome
    ) -> ActionOutcome: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionSpec:
    """A remediation action a plugin offers.

    ``params_schema`` is a JSON Schema (an ``object`` schema) for the action's parameters.
    ``destructive`` actions (traffic-affecting or irreversible) always need an approval.
    ``rollback`` is None when there is nothing to undo or no way to undo it.
    ``precheck`` (optional) reads the device state the plan depends on (see :class:`PrecheckStep`).
    ``platforms`` lists the netmiko ``device_type`` values the action supports (empty: any); a
    device of another platform is refused when the request is proposed. ``changes_config`` says
    whether executing changes the device's configuration; when it does, ward announces the change
    to the config backup before the first command (see :func:`ward_core.backup.expect_change`).
    """

    name: str
    description: str
    params_schema: JsonObject
    destructive: bool
    plan: PlanStep
    execute: ExecuteStep
    verify: VerifyStep
    rollback: RollbackStep | None = None
    precheck: PrecheckStep | None = None
    platforms: tuple[str, ...] = ()
    changes_config: bool = True


# --------------------------------------------------------------------------- playbooks


@dataclass(frozen=True, slots=True, kw_only=True)
class StepContext:
    """Where a playbook step runs: its playbook, its id, the devices in scope and earlier outputs.

    ``variables`` maps earlier steps' ids (and playbook variables) to their values.
    """

    playbook: str
    step: str
    devices: tuple[DeviceTarget, ...]
    variables: JsonObject = field(default_factory=dict, hash=False)
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    """What a playbook step produced; ``output`` becomes the step's variable for later steps."""

    ok: bool
    output: JsonValue = None
    changed: bool = False
    exception: str | None = None


class StepRunner(Protocol):
    """Runs one playbook step with its (schema-validated) parameters."""

    def __call__(self, *, params: JsonObject, context: StepContext) -> StepResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StepType:
    """A step type playbooks can use by ``name`` (``- echo: {message: hi}``)."""

    name: str
    description: str
    params_schema: JsonObject
    run: StepRunner


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplesWritten:
    """A probe batch's samples are committed: ``devices`` are those that got new values.

    ``batch_id`` is the batch's id (a queue message id, or a random one), ``time`` when the
    transaction committed, ``kinds`` the probe kinds the batch ran.
    """

    batch_id: str
    devices: tuple[str, ...]
    time: datetime
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigChange:
    """A device's collected configuration differs from the previous backup.

    Revisions are digests of the stored (redacted, normalised) text; ``previous_revision`` is None
    for a device's first backup. ``changed_by`` is who the device says made the change, when it
    says; ``remediation`` names the ward remediation that announced the change, None when someone
    else made it.
    """

    device: str
    platform: str
    revision: str
    previous_revision: str | None
    diff: str
    collected_at: datetime
    changed_by: str | None = None
    remediation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDecision:
    """Someone approved or rejected a remediation request."""

    request_id: str
    action: str
    devices: tuple[str, ...]
    approved: bool
    decided_by: str
    decided_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """A bulk run (probe, backup, discovery, remediation, playbook) has finished.

    ``kind`` is the kind of run and ``name`` what ran (a probe kind, a playbook name...).
    """

    run_id: str
    kind: str
    name: str
    started_at: datetime
    finished_at: datetime
    devices: int
    failed: int

    @property
    def ok(self) -> bool:
        """True when no device failed."""
        return self.failed == 0
