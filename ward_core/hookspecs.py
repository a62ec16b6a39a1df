# mypy: disable-error-code="empty-body"
"""The whole plugin contract: every hook ward calls, in one file.

A plugin is a module (or object) whose functions are marked with :data:`hookimpl` and named after
the hooks below. Ward finds plugins through the ``ward.plugins`` entry-point group, its own
first-party plugins included, and :mod:`ward_core.plugin_manager` calls them.

Rules that hold for every hook:

- Hooks are called with keyword arguments only, so a spec can gain an argument without breaking
  plugins: an implementation may accept any subset of the arguments, by name.
- An implementation returns ``None`` (or is absent) when the request is not its business.
- "firstresult" hooks stop at the first implementation returning something other than ``None``.
- Ward calls each plugin's implementation separately, so that a failure is pinned on the plugin
  that failed. For that reason ward hooks accept no ``wrapper``/``hookwrapper`` implementations.
- Each docstring says what a raising implementation does to the run. In short: declarations and
  ``ward_configure`` fail start-up with a :class:`~ward_core.errors.PluginError` naming the plugin
  (block the plugin by name to start without it); work on devices turns into failed results or a
  :class:`~ward_core.errors.DeviceError` for the devices concerned; event hooks are logged and
  the other plugins are still notified.
- Hooks are synchronous. A plugin that works best with asyncio (ICMP, SNMP) runs one event loop
  per batch inside its implementation (``asyncio.run``); ward calls hooks from worker threads.

Event hooks are plain notifications, not pluggy "historic" hooks: a long-running worker would
otherwise keep every event forever to replay it to late-registered plugins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

from ward_core.types import (
    ActionSpec,
    Alert,
    AlertFunction,
    ApprovalDecision,
    ConfigChange,
    DeviceTarget,
    NeighbourRecord,
    NotifierSpec,
    ProbeBatchResult,
    ProbeKind,
    ProbeOptions,
    RunSummary,
    SamplesWritten,
    StepType,
    TopologyChange,
    Transport,
)

if TYPE_CHECKING:
    from ward_core.config import Settings
    from ward_core.plugin_manager import WardPlugins

PROJECT = "ward"

hookspec = HookspecMarker(PROJECT)
"""Marks the hook specifications below (ward's own use)."""

hookimpl = HookimplMarker(PROJECT)
"""Marks a plugin function as the implementation of the ward hook of the same name."""


# --------------------------------------------------------------------------- lifecycle


@hookspec
def ward_configure(settings: Settings, plugins: WardPlugins) -> None:
    """Called once at start-up, after every plugin is registered and checked, before any work.

    Read what the plugin needs from ``settings`` (e.g. ``secrets_file`` to resolve credentials)
    and keep it. ``plugins`` is the manager itself, for a plugin that uses what other plugins
    declare (the alerting engine uses their rule functions and notifiers); most plugins leave it
    out of their signature. The return value is ignored.

    Failure: a raising implementation aborts start-up with a PluginError naming the plugin.
    """


@hookspec
def ward_unconfigure() -> None:
    """Called once at shutdown: close what ``ward_configure`` opened. The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still unconfigured.
    """


# --------------------------------------------------------------------------- probes


@hookspec
def ward_probe_kinds() -> Sequence[ProbeKind]:
    """Declare the probe kinds this plugin runs (e.g. ``icmp``, ``snmp.interfaces``).

    Returns the :class:`~ward_core.types.ProbeKind` list; every kind name must be unique across
    plugins, and ward routes each batch of a kind to the plugin that declared it.

    Failure: raising, returning something else than a list of ProbeKind, or declaring a kind another
    plugin already declared fails start-up with a PluginError naming the plugin.
    """


@hookspec(firstresult=True)
def ward_probe_run(
    kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
) -> ProbeBatchResult | None:
    """Measure a batch of devices with probe ``kind``. firstresult.

    Returns one :class:`~ward_core.types.ProbeResult` per device of ``devices`` in a
    :class:`~ward_core.types.ProbeBatchResult`, or ``None`` when ``kind`` is not one this plugin
    declared. An unreachable or misbehaving device is a failed result with its exception text,
    never an exception: one dead device must not cost the others their results. Work on the
    whole batch at once (one asyncio loop, a thread pool), bounded by ``options.concurrency``.

    Failure: if the implementation raises, every device of the batch gets a failed result naming
    the plugin and the exception; a device missing from the returned results gets a failed result
    too. The run goes on with the next batch.
    """


# --------------------------------------------------------------------------- alerts


@hookspec
def ward_alert_functions() -> Sequence[AlertFunction]:
    """Declare extra functions that alert rules can call (``spread(icmp.rtt_ms[5m]) > 20``).

    Returns :class:`~ward_core.types.AlertFunction` values; names are unique across plugins.

    Failure: raising, a wrong return type or a duplicate name fails start-up with a PluginError
    naming the plugin. A function raising while a rule is evaluated fails that rule's evaluation
    for that device only.
    """


@hookspec
def ward_alert_notifiers() -> Sequence[NotifierSpec]:
    """Declare notifiers (by name) that alert routes can deliver alerts through.

    Returns :class:`~ward_core.types.NotifierSpec` values; names are unique across plugins.

    Failure: raising, a wrong return type or a duplicate name fails start-up with a PluginError
    naming the plugin. ``Notifier.send`` raising is a failed delivery, recorded and retried by the
    alerting service; other notifiers still get the alert.
    """


# --------------------------------------------------------------------------- config backup


@hookspec(firstresult=True)
def ward_backup_commands(platform: str) -> Sequence[str] | None:
    """The commands whose output makes up the configuration backup of a ``platform`` device.

    ``platform`` is a netmiko ``device_type``. Returns the commands in order (their outputs are
    concatenated), or ``None`` when this plugin does not know the platform. firstresult.

    Failure: a raising implementation or a wrong return type raises a PluginError naming the plugin;
    the backup run records every device of that platform as failed and goes on with the others.
    """


@hookspec
def ward_backup_redact(platform: str, text: str) -> str | None:
    """Remove secrets from collected configuration ``text`` before it is stored or shown.

    Every plugin is called in turn, each receiving the previous one's output, so that every
    redactor applies. Returns the redacted text, or ``None`` to leave it unchanged.

    Failure: a raising implementation or a wrong return type raises a PluginError naming the plugin,
    and the backup of that device fails: unredacted text is never stored.
    """


@hookspec
def ward_backup_normalise(platform: str, text: str) -> str | None:
    """Remove volatile noise (timestamps, byte counts) from redacted ``text`` so that diffs show
    real changes only.

    Chained like :func:`ward_backup_redact`. Returns the normalised text, or ``None`` to leave it.

    Failure: a raising implementation or a wrong return type raises a PluginError naming the plugin,
    and the backup of that device fails (a half-normalised backup would produce false changes).
    """


# --------------------------------------------------------------------------- topology


@hookspec(firstresult=True)
def ward_topology_neighbours(device: DeviceTarget, transport: Transport) -> Sequence[NeighbourRecord] | None:
    """Collect the neighbours ``device`` reports (LLDP, CDP...) over ``transport``.

    ``transport`` is ``"ssh"`` (CLI commands, parsed) or ``"snmp"`` (LLDP-MIB and similar).
    Returns the records (possibly empty: no neighbours), or ``None`` when this plugin cannot
    discover this platform over this transport. firstresult.

    Failure: a raising implementation makes ward raise a DeviceError naming the device and the
    plugin (a DeviceError raised by the plugin is passed on as is); the discovery run records that
    device as failed and goes on with the others.
    """


# --------------------------------------------------------------------------- remediation


@hookspec
def ward_remediation_actions() -> Sequence[ActionSpec]:
    """Declare remediation actions: a parameter schema, a ``destructive`` flag, and the
    plan / execute / verify / rollback steps.

    Returns :class:`~ward_core.types.ActionSpec` values; names are unique across plugins.

    Failure: raising, a wrong return type or a duplicate name fails start-up with a PluginError
    naming the plugin. A step raising fails that action on that device only; the remediation
    service records it (and rolls back when execution had started).
    """


# --------------------------------------------------------------------------- playbooks


@hookspec
def ward_playbook_step_types() -> Sequence[StepType]:
    """Declare step types that playbooks can use by name.

    Returns :class:`~ward_core.types.StepType` values; names are unique across plugins.

    Failure: raising, a wrong return type or a duplicate name fails start-up with a PluginError
    naming the plugin. A step's ``run`` raising fails that step of that playbook run only.
    """


# --------------------------------------------------------------------------- events


@hookspec
def ward_samples_written(batch: SamplesWritten) -> None:
    """A probe batch's samples are committed (``batch.devices`` got new values). The return value
    is ignored. The alerting engine evaluates its rules for those devices here.

    Called in the polling process right after the commit, so keep it short or hand work off.

    Failure: logged with the plugin's name; the other plugins are still notified and polling
    goes on (the samples are already committed).
    """


@hookspec
def ward_alert_fired(alert: Alert) -> None:
    """An alert started firing. The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """


@hookspec
def ward_alert_resolved(alert: Alert) -> None:
    """A firing alert resolved (``alert.resolved_at`` is set). The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """


@hookspec
def ward_config_changed(change: ConfigChange) -> None:
    """A device's backed-up configuration changed. The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """


@hookspec
def ward_approval_decided(decision: ApprovalDecision) -> None:
    """A remediation request was approved or rejected. The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """


@hookspec
def ward_topology_changed(change: TopologyChange) -> None:
    """Discovery found links added or removed. The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """


@hookspec
def ward_run_finished(run: RunSummary) -> None:
    """A bulk run finished (whatever its outcome). The return value is ignored.

    Failure: logged with the plugin's name; the other plugins are still notified.
    """
