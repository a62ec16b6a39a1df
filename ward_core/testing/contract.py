"""``check_plugin_contract``: exercise every hook a plugin implements and list what it gets wrong.

It checks what the plugin manager checks at start-up (hook names, argument names, declarations),
and beyond: that declarations are complete (descriptions, metric names, object schemas, callable
steps), that a probe plugin declines kinds that are not its own, that backup hooks return text,
that every event hook accepts its sample payload, and that configure/unconfigure succeed.
"""

from __future__ import annotations

from collections.abc import Callable

from ward_core.config import Settings
from ward_core.errors import PluginError
from ward_core.plugin_manager import WardPlugins
from ward_core.testing.samples import sample_events
from ward_core.types import JsonObject, ProbeOptions

FOREIGN_KIND = "contract.no-such-kind"
SAMPLE_CONFIG = "hostname sw1\nenable secret 5 $1$abcd$0123456789\n!\ninterface Gi0/1\n description uplink\n"


def _object_schema(schema: JsonObject) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object"


def _declarations(plugins: WardPlugins, name: str, problems: list[str]) -> None:
    """Declaration hooks: the manager validates types and duplicates; completeness is checked here."""

    def probes() -> None:
        kinds = plugins.probe_kinds()
        implements_run = bool(plugins.manager.hook.ward_probe_run.get_hookimpls())
        if kinds and not implements_run:
            problems.append("declares probe kinds but does not implement ward_probe_run")
        if implements_run and not kinds:
            problems.append("implements ward_probe_run but declares no probe kind")
        for kind in kinds.values():
            if not kind.description:
                problems.append(f"probe kind {kind.name!r} has no description")
            if not kind.metrics or not all(kind.metrics):
                problems.append(
                    f"probe kind {kind.name!r} must list the (non-empty) metric names it produces"
                )
        if implements_run:
            declined = plugins.manager.hook.ward_probe_run(
                kind=FOREIGN_KIND, devices=(), options=ProbeOptions()
            )
            if declined is not None:
                problems.append(
                    f"ward_probe_run must return None for a kind it did not declare, got {declined!r}"
                )

    def alerts() -> None:
        for function in plugins.alert_functions().values():
            if not callable(function.function) or not function.signature or not function.description:
                problems.append(
                    f"alert function {function.name!r} needs a callable, a signature and a description"
                )
        for spec in plugins.alert_notifiers().values():
            if not callable(getattr(spec.notifier, "send", None)):
                problems.append(f"notifier {spec.name!r} has no send(alert) method")

    def actions() -> None:
        for action in plugins.remediation_actions().values():
            if not _object_schema(action.params_schema):
                problems.append(
                    f"action {action.name!r}: params_schema must be a JSON Schema of type 'object'"
                )
            if not isinstance(action.destructive, bool):
                problems.append(f"action {action.name!r}: destructive must be True or False")
            steps = {"plan": action.plan, "execute": action.execute, "verify": action.verify}
            for step, function in steps.items():
                if not callable(function):
                    problems.append(f"action {action.name!r}: {step} is not callable")
            if action.rollback is not None and not callable(action.rollback):
                problems.append(f"action {action.name!r}: rollback must be callable or None")

    def steps() -> None:
        for step in plugins.playbook_step_types().values():
            if not _object_schema(step.params_schema):
                problems.append(
                    f"step type {step.name!r}: params_schema must be a JSON Schema of type 'object'"
                )
            if not callable(step.run):
                problems.append(f"step type {step.name!r}: run is not callable")

    def backup() -> None:
        plugins.backup_commands("cisco_ios")
        plugins.redact_backup("cisco_ios", SAMPLE_CONFIG)
        plugins.normalise_backup("cisco_ios", SAMPLE_CONFIG)

    checks: tuple[Callable[[], None], ...] = (probes, alerts, actions, steps, backup)
    for check in checks:
        try:
            check()
        except PluginError as exc:
            problems.append(str(exc).removeprefix(f"plugin {name!r}: "))


def check_plugin_contract(
    plugin: object,
    *,
    name: str = "plugin_under_test",
    settings: Settings | None = None,
    events: bool = True,
) -> None:
    """Raise :class:`~ward_core.errors.PluginError` listing every contract violation of ``plugin``.

    ``plugin`` is what the entry point loads (usually the plugin module). ``events=False`` skips
    calling the event hooks, for plugins whose event hooks reach outside systems.
    """
    plugins = WardPlugins(settings or Settings(blocked_plugins=[]))
    plugins.register(plugin, name=name)
    plugins.check()
    problems: list[str] = []
    if not plugins.describe()[0].hooks:
        problems.append("implements no ward hook (are the functions marked with @ward_core.hookimpl?)")
    plugins.configure()
    try:
        _declarations(plugins, name, problems)
        if events:
            for hook, kwargs in sample_events():
                try:
                    getattr(plugins.manager.hook, hook)(**kwargs)
                except Exception as exc:
                    problems.append(f"{hook} raised {type(exc).__name__}: {exc}")
    finally:
        try:
            plugins.manager.hook.ward_unconfigure()
        except Exception as exc:
            problems.append(f"ward_unconfigure raised {type(exc).__name__}: {exc}")
    if problems:
        raise PluginError("breaks the plugin contract:\n  - " + "\n  - ".join(problems), plugin=name)
