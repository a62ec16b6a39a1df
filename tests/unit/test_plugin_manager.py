"""WardPlugins: loading, checking, blocking, describing, and each hook's failure policy.

Plugins here are small classes registered directly; entry-point discovery runs against real
``*.dist-info`` folders put on ``sys.path``.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.errors import DeviceError, DeviceUnreachable, PluginBlocked, PluginError
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import sample_alert, sample_device
from ward_core.types import (
    DeviceTarget,
    Metric,
    NeighbourRecord,
    ProbeBatchResult,
    ProbeKind,
    ProbeOptions,
    ProbeResult,
    Transport,
)

GROUP = "ward.test_plugins"


def settings(*blocked: str) -> Settings:
    return Settings(blocked_plugins=list(blocked))


@pytest.fixture
def plugins() -> Iterator[WardPlugins]:
    with WardPlugins(settings()) as manager:
        yield manager


def devices(*names: str) -> list[DeviceTarget]:
    return [sample_device(name) for name in names]


class Probe:
    """Declares ``kind``; measures every device, except those named in ``skip``; may raise."""

    def __init__(self, kind: str = "test.probe", *, skip: Sequence[str] = (), error: Exception | None = None):
        self.kind = kind
        self.skip = set(skip)
        self.error = error
        self.calls: list[tuple[str, ...]] = []

    @hookimpl
    def ward_probe_kinds(self) -> list[ProbeKind]:
        return [ProbeKind(name=self.kind, description="test", metrics=("test.value",))]

    @hookimpl
    def ward_probe_run(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
    ) -> ProbeBatchResult | None:
        if kind != self.kind:
            return None
        self.calls.append(tuple(d.name for d in devices))
        if self.error is not None:
            raise self.error
        results = [
            ProbeResult.success(d.name, kind, [Metric("test.value", float(i))])
            for i, d in enumerate(reversed(devices))
            if d.name not in self.skip
        ]
        return ProbeBatchResult(kind=kind, results=tuple(results))


class Listener:
    """Records alerts it hears of; raises first when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.heard: list[str] = []

    @hookimpl
    def ward_alert_fired(self, alert: object) -> None:
        if self.fail:
            raise RuntimeError("listener broke")
        self.heard.append("fired")


# --------------------------------------------------------------------------- checking at start-up


def test_misspelled_hook_fails_check_naming_plugin_and_hook(plugins: WardPlugins) -> None:
    class Typo:
        @hookimpl
        def ward_probe_kind(self) -> list[ProbeKind]:
            return []

    plugins.register(Typo(), name="typo")
    with pytest.raises(
        PluginError,
        match=r"plugin 'typo': implements 'ward_probe_kind' \(did you mean 'ward_probe_kinds'\?\)",
    ):
        plugins.check()
    with pytest.raises(PluginError, match="typo"):
        plugins.start()


def test_unknown_optional_hook_passes_check(plugins: WardPlugins) -> None:
    class Optional:
        @hookimpl(optionalhook=True)
        def ward_future_hook(self) -> None:
            pass

    plugins.register(Optional(), name="optional")
    plugins.check()


def test_unmarked_hook_function_is_refused(plugins: WardPlugins) -> None:
    class Unmarked:
        def ward_probe_kinds(self) -> list[ProbeKind]:
            return []

    with pytest.raises(
        PluginError, match=r"plugin 'unmarked': ward_probe_kinds is not marked with @ward_core.hookimpl"
    ):
        plugins.register(Unmarked(), name="unmarked")


def test_argument_not_in_spec_is_refused(plugins: WardPlugins) -> None:
    class WrongArgs:
        @hookimpl
        def ward_backup_commands(self, device_type: str) -> list[str]:
            return []

    with pytest.raises(PluginError, match=r"plugin 'wrongargs':.*'ward_backup_commands'.*device_type"):
        plugins.register(WrongArgs(), name="wrongargs")
    assert [i.name for i in plugins.describe()] == []


def test_wrappers_are_refused(plugins: WardPlugins) -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def ward_backup_commands(self, platform: str) -> Iterator[None]:
            return (yield)

    with pytest.raises(
        PluginError, match=r"wrapper implementations are not supported \(ward_backup_commands\)"
    ):
        plugins.register(Wrapper(), name="wrapper")
    assert plugins.describe() == ()


def test_a_name_registers_once(plugins: WardPlugins) -> None:
    plugins.register(Probe(), name="probe")
    with pytest.raises(PluginError, match="plugin 'probe': a plugin with this name is already registered"):
        plugins.register(Probe("other.kind"), name="probe")


def test_blocked_name_cannot_register() -> None:
    with (
        WardPlugins(settings("probe")) as plugins,
        pytest.raises(PluginBlocked, match="plugin 'probe': blocked"),
    ):
        plugins.register(Probe(), name="probe")


def test_describe_directly_registered_plugin(plugins: WardPlugins) -> None:
    plugins.register(Probe(), name="probe")
    (info,) = plugins.describe()
    assert info.name == "probe"
    assert info.module == f"{__name__}.Probe"
    assert info.distribution is None and info.version is None
    assert info.hooks == ("ward_probe_kinds", "ward_probe_run")


# --------------------------------------------------------------------------- entry points


def fake_distribution(site: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """A real installed-distribution record (``*.dist-info``) on a sys.path folder."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "\n".join(f"{ep} = {target}" for ep, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}\n")


def test_entry_points_load_register_and_describe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ward_epsample.py").write_text(
        textwrap.dedent(
            """
            from ward_core import hookimpl

            @hookimpl
            def ward_backup_commands(platform):
                return ["show epsample"] if platform == "epsample_os" else None
            """
        )
    )
    fake_distribution(tmp_path, "ward-epsample", "2.3.4", {"epsample": "ward_epsample"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with WardPlugins(settings()) as plugins:
        assert plugins.load_entry_points(GROUP) == ("epsample",)
        plugins.start()
        (info,) = plugins.describe()
        assert (info.name, info.distribution, info.version, info.module) == (
            "epsample",
            "ward-epsample",
            "2.3.4",
            "ward_epsample",
        )
        assert plugins.backup_commands("epsample_os") == ("show epsample",)
    with WardPlugins(settings("epsample")) as plugins:
        assert plugins.load_entry_points(GROUP) == ()
        assert plugins.describe() == ()


def test_import_failure_names_entry_point_and_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path, "ward-broken", "0.0.1", {"broken": "ward_no_such_module_xyz"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with WardPlugins(settings()) as plugins, pytest.raises(PluginError) as caught:
        plugins.load_entry_points(GROUP)
    message = str(caught.value)
    assert "plugin 'broken'" in message
    assert "entry point broken = ward_no_such_module_xyz" in message
    assert "distribution ward-broken 0.0.1" in message
    assert "ModuleNotFoundError" in message


def test_blocked_entry_point_is_never_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_distribution(tmp_path, "ward-broken", "0.0.1", {"broken": "ward_no_such_module_xyz"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with WardPlugins(settings("broken")) as plugins:
        assert plugins.load_entry_points(GROUP) == ()


def test_one_name_from_two_distributions_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ward_twin.py").write_text("")
    fake_distribution(tmp_path, "ward-twin-a", "1.0", {"twin": "ward_twin"})
    fake_distribution(tmp_path, "ward-twin-b", "1.0", {"twin": "ward_twin"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with (
        WardPlugins(settings()) as plugins,
        pytest.raises(PluginError, match=r"ward-twin-a.*ward-twin-b|ward-twin-b.*ward-twin-a"),
    ):
        plugins.load_entry_points(GROUP)


# --------------------------------------------------------------------------- probes


def test_probe_results_come_back_in_batch_order(plugins: WardPlugins) -> None:
    plugins.register(Probe(), name="probe")
    batch = plugins.run_probe("test.probe", devices("a", "b", "c"))
    assert [r.device for r in batch.results] == ["a", "b", "c"]
    assert batch.ok


def test_probe_plugin_raising_fails_its_batch_only(
    plugins: WardPlugins, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Probe("test.broken", error=RuntimeError("socket exploded"))
    healthy = Probe("test.healthy")
    plugins.register(broken, name="broken")
    plugins.register(healthy, name="healthy")
    with caplog.at_level(logging.ERROR, logger="ward_core.plugin_manager"):
        batch = plugins.run_probe("test.broken", devices("a", "b"))
    assert [r.device for r in batch.results] == ["a", "b"]
    assert all(r.failed for r in batch.results)
    assert batch.results[0].exception == "plugin 'broken' raised RuntimeError: socket exploded"
    assert "broken" in caplog.text
    assert plugins.run_probe("test.healthy", devices("a", "b")).ok
    assert healthy.calls == [("a", "b")], "a batch goes to the plugin that declared its kind only"


def test_device_left_out_by_plugin_becomes_a_failed_result(plugins: WardPlugins) -> None:
    plugins.register(Probe(skip=["b"]), name="probe")
    results = plugins.run_probe("test.probe", devices("a", "b", "c")).by_device()
    assert results["a"].ok and results["c"].ok
    assert results["b"].exception == "plugin 'probe' returned no result for this device"


def test_wrong_return_type_fails_the_batch(plugins: WardPlugins) -> None:
    class Liar(Probe):
        @hookimpl
        def ward_probe_run(self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions) -> object:
            return {"a": 1.0}

    plugins.register(Liar(), name="liar")
    (result,) = plugins.run_probe("test.probe", devices("a")).results
    assert result.exception == "plugin 'liar' returned dict, not a ProbeBatchResult"


def test_unknown_kind_and_duplicate_devices_are_refused(plugins: WardPlugins) -> None:
    plugins.register(Probe(), name="probe")
    with pytest.raises(
        PluginError, match=r"no plugin provides probe kind 'icmp' \(known kinds: test.probe\)"
    ):
        plugins.run_probe("icmp", devices("a"))
    with pytest.raises(ValueError, match="device 'a' appears more than once"):
        plugins.run_probe("test.probe", devices("a", "b", "a"))


def test_a_kind_declared_twice_fails_naming_both_plugins(plugins: WardPlugins) -> None:
    plugins.register(Probe(), name="first")
    plugins.register(Probe(), name="second")
    with pytest.raises(
        PluginError, match=r"probe kind 'test.probe' is already declared by plugin '(first|second)'"
    ):
        plugins.start()


def test_declaration_hook_raising_fails_start_and_unconfigures() -> None:
    log: list[str] = []

    class Configured:
        @hookimpl
        def ward_configure(self, settings: Settings) -> None:
            log.append("configure")

        @hookimpl
        def ward_unconfigure(self) -> None:
            log.append("unconfigure")

    class BadDeclaration:
        @hookimpl
        def ward_remediation_actions(self) -> list[object]:
            raise KeyError("schema")

    with WardPlugins(settings()) as plugins:
        plugins.register(Configured(), name="configured")
        plugins.register(BadDeclaration(), name="bad")
        with pytest.raises(
            PluginError, match="plugin 'bad': ward_remediation_actions raised KeyError: 'schema'"
        ):
            plugins.start()
    assert log == ["configure", "unconfigure"]


def test_declaration_of_wrong_type_is_refused(plugins: WardPlugins) -> None:
    class Sloppy:
        @hookimpl
        def ward_playbook_step_types(self) -> list[str]:
            return ["echo"]

    plugins.register(Sloppy(), name="sloppy")
    with pytest.raises(
        PluginError, match="plugin 'sloppy': ward_playbook_step_types must return a list of StepType"
    ):
        plugins.playbook_step_types()


def test_configure_failure_names_plugin_and_unconfigures_the_others() -> None:
    log: list[str] = []

    class Good:
        @hookimpl
        def ward_configure(self) -> None:
            log.append("good up")

        @hookimpl
        def ward_unconfigure(self) -> None:
            log.append("good down")

    class Bad:
        @hookimpl(trylast=True)
        def ward_configure(self, settings: Settings) -> None:
            raise OSError("no such file")

    with WardPlugins(settings()) as plugins:
        plugins.register(Good(), name="good")
        plugins.register(Bad(), name="bad")
        with pytest.raises(
            PluginError, match=r"plugin 'bad': ward_configure raised OSError.*WARD_BLOCKED_PLUGINS"
        ):
            plugins.start()
    assert log == ["good up", "good down"]


# --------------------------------------------------------------------------- events


def test_failing_event_hook_is_logged_and_others_still_hear(caplog: pytest.LogCaptureFixture) -> None:
    first, broken, last = Listener(), Listener(fail=True), Listener()
    with WardPlugins(settings()) as plugins:
        plugins.register(first, name="first")
        plugins.register(broken, name="broken")
        plugins.register(last, name="last")
        with caplog.at_level(logging.ERROR, logger="ward_core.plugin_manager"):
            failed = plugins.alert_fired(sample_alert())
    assert failed == ("broken",)
    assert first.heard == ["fired"] and last.heard == ["fired"]
    assert "plugin 'broken' failed in ward_alert_fired" in caplog.text
    assert "listener broke" in caplog.text


# --------------------------------------------------------------------------- backup


class Redactor:
    def __init__(self, word: str) -> None:
        self.word = word

    @hookimpl
    def ward_backup_redact(self, text: str) -> str | None:
        return text.replace(self.word, "***") if self.word in text else None


def test_every_redactor_applies_in_turn(plugins: WardPlugins) -> None:
    plugins.register(Redactor("hunter2"), name="r1")
    plugins.register(Redactor("s3cret"), name="r2")
    assert plugins.redact_backup("cisco_ios", "a hunter2 b s3cret c") == "a *** b *** c"
    assert plugins.normalise_backup("cisco_ios", "unchanged") == "unchanged"


def test_redactor_failure_fails_the_backup(plugins: WardPlugins) -> None:
    class Crash:
        @hookimpl
        def ward_backup_redact(self, platform: str, text: str) -> str:
            raise UnicodeError("bad byte")

    class Wrong:
        @hookimpl
        def ward_backup_normalise(self, text: str) -> bytes:
            return text.encode()

    plugins.register(Crash(), name="crash")
    plugins.register(Wrong(), name="wrong")
    with pytest.raises(PluginError, match="plugin 'crash': ward_backup_redact raised UnicodeError: bad byte"):
        plugins.redact_backup("cisco_ios", "text")
    with pytest.raises(
        PluginError, match="plugin 'wrong': ward_backup_normalise must return str or None, got bytes"
    ):
        plugins.normalise_backup("cisco_ios", "text")


def test_backup_commands_first_answer_wins(plugins: WardPlugins) -> None:
    class Fallback:
        @hookimpl(trylast=True)
        def ward_backup_commands(self, platform: str) -> list[str]:
            return ["show running-config"]

    class Specific:
        @hookimpl
        def ward_backup_commands(self, platform: str) -> list[str] | None:
            return ["show configuration | display set"] if platform == "juniper_junos" else None

    plugins.register(Fallback(), name="fallback")
    plugins.register(Specific(), name="specific")
    assert plugins.backup_commands("juniper_junos") == ("show configuration | display set",)
    assert plugins.backup_commands("cisco_ios") == ("show running-config",)


def test_backup_commands_of_wrong_type_name_the_plugin(plugins: WardPlugins) -> None:
    class Sloppy:
        @hookimpl
        def ward_backup_commands(self, platform: str) -> str:
            return "show running-config"

    plugins.register(Sloppy(), name="sloppy")
    with pytest.raises(
        PluginError, match="plugin 'sloppy': ward_backup_commands\\('cisco_ios'\\) must return a list"
    ):
        plugins.backup_commands("cisco_ios")


# --------------------------------------------------------------------------- topology


class Neighbours:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    @hookimpl
    def ward_topology_neighbours(
        self, device: DeviceTarget, transport: Transport
    ) -> list[NeighbourRecord] | None:
        if self.error is not None:
            raise self.error
        if transport != "ssh":
            return None
        return [
            NeighbourRecord(device=device.name, local_interface="Gi0/1", neighbour="sw2", protocol="lldp")
        ]


def test_topology_neighbours(plugins: WardPlugins) -> None:
    plugins.register(Neighbours(), name="lldp")
    (record,) = plugins.topology_neighbours(sample_device("sw1"), "ssh") or ()
    assert (record.device, record.neighbour) == ("sw1", "sw2")
    assert plugins.topology_neighbours(sample_device("sw1"), "snmp") is None


def test_topology_failure_is_a_device_error_naming_device_and_plugin(plugins: WardPlugins) -> None:
    plugins.register(Neighbours(error=IndexError("parse")), name="lldp")
    with pytest.raises(
        DeviceError, match=r"sw1 \(lldp\): neighbour discovery over ssh failed: IndexError: parse"
    ):
        plugins.topology_neighbours(sample_device("sw1"), "ssh")


def test_topology_device_errors_pass_through(plugins: WardPlugins) -> None:
    plugins.register(
        Neighbours(error=DeviceUnreachable("no route", device="sw1", plugin="lldp")), name="lldp"
    )
    with pytest.raises(DeviceUnreachable, match="no route"):
        plugins.topology_neighbours(sample_device("sw1"), "ssh")
