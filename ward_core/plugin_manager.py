"""Loading plugins and calling them through a typed facade.

Every plugin, ward's own included, is found the same way: an entry point in the ``ward.plugins``
group, named after the plugin, whose value is the module (or object) holding the hook
implementations. Names listed in ``Settings.blocked_plugins`` are never imported.

:class:`WardPlugins` wraps a pluggy ``PluginManager``. Its methods call the hooks of
:mod:`ward_core.hookspecs` with keyword arguments, check what plugins return, return precise types
and apply each hook's failure policy (see the hook docstrings): a probe plugin raising turns into
failed results for its batch, a failing event hook is logged while the other plugins still hear
of the event, a broken declaration fails start-up naming the plugin.

Typical use::

    with load_plugins(settings) as plugins:
        batch = plugins.run_probe("icmp", devices, ProbeOptions(timeout=1.0))
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Protocol, TypeVar

from pluggy import HookCaller, PluginManager, PluginValidationError

from ward_core import hookspecs
from ward_core.config import Settings
from ward_core.errors import DeviceError, PluginBlocked, PluginError
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
    ProbeResult,
    RunSummary,
    SamplesWritten,
    StepType,
    TopologyChange,
    Transport,
)

ENTRY_POINT_GROUP = "ward.plugins"
"""The entry-point group ward loads plugins from."""

HOOK_NAMES = frozenset(name for name in vars(hookspecs) if name.startswith("ward_"))
"""Every hook of the contract."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DistributionInfo:
    """The installed distribution a plugin came from."""

    name: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginInfo:
    """What ``ward plugins list`` shows about one registered plugin."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]

    def to_dict(self) -> dict[str, str | list[str] | None]:
        """A JSON-ready view."""
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
        }


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_D = TypeVar("_D", bound=_Named)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _module_of(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


class WardPlugins:
    """The registered plugins, and one typed method per hook.

    Build it with :func:`load_plugins`, or for tests create it empty and :meth:`register` plugin
    objects, then :meth:`start`. Use it as a context manager so that plugins are unconfigured.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pm = PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._distributions: dict[str, DistributionInfo | None] = {}
        self._configured: list[str] = []
        for name in settings.blocked_plugins:
            self._pm.set_blocked(name)

    # ------------------------------------------------------------------ registration

    @property
    def manager(self) -> PluginManager:
        """The underlying pluggy manager (for tracing, or to call a raw hook in contract tests)."""
        return self._pm

    @property
    def settings(self) -> Settings:
        """The settings plugins were configured with."""
        return self._settings

    @property
    def blocked(self) -> tuple[str, ...]:
        """Plugin names blocked by configuration."""
        return tuple(self._settings.blocked_plugins)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> tuple[str, ...]:
        """Import and register every non-blocked plugin of ``group``, by name order.

        Returns the names registered. A plugin that fails to import raises PluginError naming the
        entry point and its distribution; so does a name declared by two distributions.
        """
        loaded: list[str] = []
        for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            dist = DistributionInfo(ep.dist.name, ep.dist.version) if ep.dist is not None else None
            origin = f"distribution {dist.name} {dist.version}" if dist else "an unknown distribution"
            if self._pm.is_blocked(ep.name):
                log.info("plugin %r (%s) is blocked by configuration", ep.name, origin)
                continue
            if ep.name in self._distributions:
                other = self._distributions[ep.name]
                raise PluginError(
                    f"entry point {ep.name!r} in group {group!r} is declared by {origin} and by "
                    f"{f'distribution {other.name} {other.version}' if other else 'a registered object'}",
                    plugin=ep.name,
                )
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"cannot import entry point {ep.name} = {ep.value} (group {group!r}, {origin}): "
                    f"{_describe(exc)}",
                    plugin=ep.name,
                ) from exc
            self.register(plugin, name=ep.name, distribution=dist)
            loaded.append(ep.name)
        return tuple(loaded)

    def register(self, plugin: object, *, name: str, distribution: DistributionInfo | None = None) -> None:
        """Register a plugin object (a module, or any object with hook implementations).

        Raises PluginBlocked when ``name`` is blocked, PluginError when the name is taken, a hook
        implementation's arguments do not match its spec, a ``ward_*`` hook function lacks
        ``@hookimpl``, or an implementation is a wrapper.
        """
        if self._pm.is_blocked(name):
            raise PluginBlocked("blocked by configuration (blocked_plugins)", plugin=name)
        if name in self._distributions:
            raise PluginError("a plugin with this name is already registered", plugin=name)
        for attr in sorted(HOOK_NAMES & set(dir(plugin))):
            value = getattr(plugin, attr)
            if callable(value) and self._pm.parse_hookimpl_opts(plugin, attr) is None:
                raise PluginError(
                    f"{attr} is not marked with @ward_core.hookimpl, so ward would never call it",
                    plugin=name,
                )
        try:
            self._pm.register(plugin, name=name)
        except PluginValidationError as exc:
            raise PluginError(str(exc).replace("\n", "; "), plugin=name) from exc
        except ValueError as exc:
            raise PluginError(str(exc).splitlines()[0], plugin=name) from exc
        wrappers = sorted(
            caller.name
            for caller in self._pm.get_hookcallers(plugin) or []
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
        )
        if wrappers:
            self._pm.unregister(plugin)
            raise PluginError(
                f"wrapper implementations are not supported ({', '.join(wrappers)}): "
                "ward calls each plugin separately to pin failures on the plugin that failed",
                plugin=name,
            )
        self._distributions[name] = distribution

    def check(self) -> None:
        """Fail if a plugin implements a hook the contract does not have (a misspelling, usually)."""
        try:
            self._pm.check_pending()
        except PluginValidationError as exc:
            name = self._pm.get_name(exc.plugin) or repr(exc.plugin)
            unknown = sorted(
                caller.name for caller in self._pm.get_hookcallers(exc.plugin) or [] if not caller.has_spec()
            )
            problems = []
            for hook in unknown:
                close = difflib.get_close_matches(hook, sorted(HOOK_NAMES), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"{hook!r}{hint}")
            raise PluginError(
                f"implements {', '.join(problems)}, which {'is' if len(problems) == 1 else 'are'} "
                "not in ward's plugin contract",
                plugin=name,
            ) from exc

    def start(self) -> None:
        """Check hook names, configure every plugin, then check every declaration hook.

        Whatever fails raises PluginError naming the plugin, after unconfiguring the plugins
        already configured.
        """
        self.check()
        self.configure()
        try:
            self.probe_kinds()
            self.alert_functions()
            self.alert_notifiers()
            self.remediation_actions()
            self.playbook_step_types()
        except PluginError:
            self.close()
            raise

    def configure(self) -> None:
        """Call ``ward_configure`` on every plugin not configured yet."""
        for name, call in self._callers("ward_configure"):
            if name in self._configured:
                continue
            try:
                call(settings=self._settings, plugins=self)
            except Exception as exc:
                self.close()
                raise PluginError(
                    f"ward_configure raised {_describe(exc)}; "
                    f"block it (WARD_BLOCKED_PLUGINS='[\"{name}\"]') to start without it",
                    plugin=name,
                ) from exc
            self._configured.append(name)

    def close(self) -> None:
        """Call ``ward_unconfigure`` on the configured plugins, last configured first."""
        configured = set(self._configured)
        self._configured.clear()
        for name, call in reversed(self._callers("ward_unconfigure")):
            if name not in configured:
                continue
            try:
                call()
            except Exception:
                log.exception("plugin %r failed in ward_unconfigure", name)

    def __enter__(self) -> WardPlugins:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def describe(self) -> tuple[PluginInfo, ...]:
        """Every registered plugin: name, module, distribution and version, hooks implemented."""
        infos = []
        for name, plugin in sorted(self._pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:
                continue
            dist = self._distributions.get(name)
            hooks = tuple(sorted(c.name for c in self._pm.get_hookcallers(plugin) or []))
            infos.append(
                PluginInfo(
                    name=name,
                    module=_module_of(plugin),
                    distribution=dist.name if dist else None,
                    version=dist.version if dist else None,
                    hooks=hooks,
                )
            )
        return tuple(infos)

    # ------------------------------------------------------------------ calling plugins one at a time

    def _callers(self, hook: str) -> list[tuple[str, HookCaller]]:
        """(plugin name, caller of that plugin's implementation only), in pluggy's call order."""
        caller: HookCaller = getattr(self._pm.hook, hook)
        everyone = self._pm.get_plugins()
        seen: list[object] = []
        out: list[tuple[str, HookCaller]] = []
        for impl in reversed(caller.get_hookimpls()):
            if any(impl.plugin is p for p in seen):
                continue
            seen.append(impl.plugin)
            others = [p for p in everyone if p is not impl.plugin]
            out.append((impl.plugin_name, self._pm.subset_hook_caller(hook, others)))
        return out

    def _caller_of(self, name: str, hook: str) -> HookCaller | None:
        return next((call for plugin, call in self._callers(hook) if plugin == name), None)

    def _declared(self, hook: str, item_type: type[_D], what: str) -> dict[str, tuple[str, _D]]:
        """Call a declaration hook on every plugin: ``{item name: (plugin name, item)}``."""
        found: dict[str, tuple[str, _D]] = {}
        for plugin, call in self._callers(hook):
            try:
                results = _results(call())
            except Exception as exc:
                raise PluginError(f"{hook} raised {_describe(exc)}", plugin=plugin) from exc
            items: list[_D] = []
            for returned in results:
                if not isinstance(returned, list | tuple) or not all(
                    isinstance(i, item_type) for i in returned
                ):
                    raise PluginError(
                        f"{hook} must return a list of {item_type.__name__}, got {returned!r:.200}",
                        plugin=plugin,
                    )
                items.extend(returned)
            for item in items:
                if not item.name:
                    raise PluginError(f"{hook} declared a {what} with an empty name", plugin=plugin)
                if item.name in found:
                    raise PluginError(
                        f"{what} {item.name!r} is already declared by plugin {found[item.name][0]!r}",
                        plugin=plugin,
                    )
                found[item.name] = (plugin, item)
        return found

    def _chain(self, hook: str, platform: str, text: str) -> str:
        for plugin, call in self._callers(hook):
            try:
                results = _results(call(platform=platform, text=text))
            except Exception as exc:
                raise PluginError(f"{hook} raised {_describe(exc)}", plugin=plugin) from exc
            for returned in results:
                if not isinstance(returned, str):
                    raise PluginError(
                        f"{hook} must return str or None, got {type(returned).__name__}", plugin=plugin
                    )
                text = returned
        return text

    def _notify(self, hook: str, **kwargs: object) -> tuple[str, ...]:
        failed = []
        for plugin, call in self._callers(hook):
            try:
                call(**kwargs)
            except Exception:
                log.exception("plugin %r failed in %s; the other plugins are still notified", plugin, hook)
                failed.append(plugin)
        return tuple(failed)

    # ------------------------------------------------------------------ probes

    def probe_kinds(self) -> dict[str, ProbeKind]:
        """Every declared probe kind, by name."""
        return {
            name: kind
            for name, (_, kind) in self._declared("ward_probe_kinds", ProbeKind, "probe kind").items()
        }

    def probe_kind_owner(self, kind: str) -> str:
        """The name of the plugin that declared ``kind``; PluginError when none did."""
        declared = self._declared("ward_probe_kinds", ProbeKind, "probe kind")
        if kind not in declared:
            known = ", ".join(sorted(declared)) or "none"
            blocked = f"; blocked plugins: {', '.join(self.blocked)}" if self.blocked else ""
            raise PluginError(f"no plugin provides probe kind {kind!r} (known kinds: {known}{blocked})")
        return declared[kind][0]

    def run_probe(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions | None = None
    ) -> ProbeBatchResult:
        """Measure ``devices`` with the plugin that declared ``kind``.

        Always returns one result per device, in the order given: a plugin that raises, returns
        the wrong type or leaves a device out produces failed results naming the plugin.
        Raises PluginError only when no plugin provides ``kind``, ValueError when a device name
        appears twice in ``devices``.
        """
        batch = tuple(devices)
        names = Counter(d.name for d in batch)
        duplicate = next((name for name, seen in names.items() if seen > 1), None)
        if duplicate is not None:
            raise ValueError(f"device {duplicate!r} appears more than once in the {kind} batch")
        owner = self.probe_kind_owner(kind)
        if not batch:
            return ProbeBatchResult(kind=kind, results=())
        call = self._caller_of(owner, "ward_probe_run")
        if call is None:
            return _all_failed(kind, batch, f"plugin {owner!r} declares {kind!r} but has no ward_probe_run")
        try:
            returned = call(kind=kind, devices=batch, options=options or ProbeOptions())
        except Exception as exc:
            log.exception("plugin %r raised in ward_probe_run for %s", owner, kind)
            return _all_failed(kind, batch, f"plugin {owner!r} raised {_describe(exc)}")
        if not isinstance(returned, ProbeBatchResult):
            what = type(returned).__name__
            return _all_failed(kind, batch, f"plugin {owner!r} returned {what}, not a ProbeBatchResult")
        return _aligned(kind, batch, returned, owner)

    # ------------------------------------------------------------------ alerts

    def alert_functions(self) -> dict[str, AlertFunction]:
        """Every extra alert-rule function, by name."""
        declared = self._declared("ward_alert_functions", AlertFunction, "alert function")
        return {name: item for name, (_, item) in declared.items()}

    def alert_notifiers(self) -> dict[str, NotifierSpec]:
        """Every notifier, by name."""
        declared = self._declared("ward_alert_notifiers", NotifierSpec, "notifier")
        return {name: item for name, (_, item) in declared.items()}

    # ------------------------------------------------------------------ config backup

    def backup_commands(self, platform: str) -> tuple[str, ...] | None:
        """The backup commands for ``platform`` from the first plugin that knows it, else None."""
        for plugin, call in self._callers("ward_backup_commands"):
            try:
                returned = call(platform=platform)
            except Exception as exc:
                raise PluginError(
                    f"ward_backup_commands({platform!r}) raised {_describe(exc)}", plugin=plugin
                ) from exc
            if returned is None:
                continue
            if not isinstance(returned, list | tuple) or not all(isinstance(c, str) for c in returned):
                raise PluginError(
                    f"ward_backup_commands({platform!r}) must return a list of str, got {returned!r:.200}",
                    plugin=plugin,
                )
            return tuple(returned)
        return None

    def redact_backup(self, platform: str, text: str) -> str:
        """``text`` with every plugin's redaction applied in turn."""
        return self._chain("ward_backup_redact", platform, text)

    def normalise_backup(self, platform: str, text: str) -> str:
        """``text`` with every plugin's normalisation applied in turn."""
        return self._chain("ward_backup_normalise", platform, text)

    # ------------------------------------------------------------------ topology

    def topology_neighbours(
        self, device: DeviceTarget, transport: Transport
    ) -> tuple[NeighbourRecord, ...] | None:
        """The neighbours of ``device`` from the first plugin that can discover it, else None.

        Raises DeviceError naming the device and the plugin when that plugin fails.
        """
        for plugin, call in self._callers("ward_topology_neighbours"):
            try:
                returned = call(device=device, transport=transport)
            except DeviceError:
                raise
            except Exception as exc:
                raise DeviceError(
                    f"neighbour discovery over {transport} failed: {_describe(exc)}",
                    device=device.name,
                    plugin=plugin,
                ) from exc
            if returned is None:
                continue
            if not isinstance(returned, list | tuple) or not all(
                isinstance(r, NeighbourRecord) for r in returned
            ):
                raise PluginError(
                    f"ward_topology_neighbours must return a list of NeighbourRecord, got {returned!r:.200}",
                    plugin=plugin,
                )
            return tuple(returned)
        return None

    # ------------------------------------------------------------------ remediation, playbooks

    def remediation_actions(self) -> dict[str, ActionSpec]:
        """Every remediation action, by name."""
        declared = self._declared("ward_remediation_actions", ActionSpec, "remediation action")
        return {name: item for name, (_, item) in declared.items()}

    def playbook_step_types(self) -> dict[str, StepType]:
        """Every playbook step type, by name."""
        declared = self._declared("ward_playbook_step_types", StepType, "playbook step type")
        return {name: item for name, (_, item) in declared.items()}

    # ------------------------------------------------------------------ events
    # Each returns the names of the plugins that failed (already logged).

    def samples_written(self, batch: SamplesWritten) -> tuple[str, ...]:
        """Tell every plugin that a probe batch's samples are committed."""
        return self._notify("ward_samples_written", batch=batch)

    def alert_fired(self, alert: Alert) -> tuple[str, ...]:
        """Tell every plugin that ``alert`` started firing."""
        return self._notify("ward_alert_fired", alert=alert)

    def alert_resolved(self, alert: Alert) -> tuple[str, ...]:
        """Tell every plugin that ``alert`` resolved."""
        return self._notify("ward_alert_resolved", alert=alert)

    def config_changed(self, change: ConfigChange) -> tuple[str, ...]:
        """Tell every plugin that a device's configuration changed."""
        return self._notify("ward_config_changed", change=change)

    def approval_decided(self, decision: ApprovalDecision) -> tuple[str, ...]:
        """Tell every plugin that a remediation request was approved or rejected."""
        return self._notify("ward_approval_decided", decision=decision)

    def topology_changed(self, change: TopologyChange) -> tuple[str, ...]:
        """Tell every plugin that links were added or removed."""
        return self._notify("ward_topology_changed", change=change)

    def run_finished(self, run: RunSummary) -> tuple[str, ...]:
        """Tell every plugin that a bulk run finished."""
        return self._notify("ward_run_finished", run=run)


def _results(returned: object) -> list[object]:
    """The non-None results of one plugin's implementations of a hook that is not firstresult."""
    if not isinstance(returned, list):
        raise TypeError(f"pluggy returned {type(returned).__name__} for a hook that is not firstresult")
    return list(returned)


def _all_failed(kind: str, batch: Sequence[DeviceTarget], reason: str) -> ProbeBatchResult:
    return ProbeBatchResult(
        kind=kind, results=tuple(ProbeResult.failure(d.name, kind, reason) for d in batch)
    )


def _aligned(
    kind: str, batch: Sequence[DeviceTarget], returned: ProbeBatchResult, owner: str
) -> ProbeBatchResult:
    """One result per device of ``batch``, in its order; gaps become failed results."""
    wanted = {d.name for d in batch}
    found: dict[str, ProbeResult] = {}
    for result in _results_of(returned):
        if not isinstance(result, ProbeResult) or result.device not in wanted:
            log.warning(
                "plugin %r returned a result for a device not in the %s batch: %r", owner, kind, result
            )
            continue
        if result.kind != kind:
            result = ProbeResult.failure(
                result.device, kind, f"plugin {owner!r} returned a {result.kind!r} result"
            )
        found.setdefault(result.device, result)
    missing = f"plugin {owner!r} returned no result for this device"
    return ProbeBatchResult(
        kind=kind,
        results=tuple(found.get(d.name) or ProbeResult.failure(d.name, kind, missing) for d in batch),
    )


def _results_of(batch: ProbeBatchResult) -> Iterator[object]:
    """The batch's results, typed as what a plugin may really have put there."""
    results: object = batch.results
    yield from results if isinstance(results, list | tuple) else ()


def load_plugins(settings: Settings, group: str = ENTRY_POINT_GROUP) -> WardPlugins:
    """Every installed, non-blocked plugin of ``group``, registered, checked and configured."""
    plugins = WardPlugins(settings)
    plugins.load_entry_points(group)
    plugins.start()
    return plugins
