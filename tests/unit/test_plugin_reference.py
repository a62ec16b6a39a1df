"""The reference plugin, through ward_core.testing's contract checks and on its own behaviour."""

from __future__ import annotations

import doctest
import types
from collections.abc import Iterator

import pytest
import ward_reference.alerts
import ward_reference.backup
import ward_reference.plugin
import ward_reference.remediation
from ward_reference.events import EVENT_LOG
from ward_reference.probe import CONNECT_MS, KIND, SUCCESS_RATIO

import ward_core.testing.network
import ward_core.testing.sessions
from ward_core.errors import DeviceError, InventoryError, PluginError
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import (
    ProbeContract,
    ScriptedSession,
    TcpListener,
    check_plugin_contract,
    isolated_plugins,
    sample_alert,
    sample_device,
    sample_events,
)
from ward_core.types import DeviceTarget, ProbeOptions, Sample, StepContext


@pytest.fixture
def reference() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_reference.plugin, name="reference") as plugins:
        yield plugins


def test_reference_plugin_passes_the_plugin_contract() -> None:
    check_plugin_contract(ward_reference.plugin, name="reference")


def test_contract_check_reports_violations() -> None:
    from ward_core import hookimpl
    from ward_core.types import ProbeKind

    class Careless:
        @hookimpl
        def ward_probe_kinds(self) -> list[ProbeKind]:
            return [ProbeKind(name="careless", description="", metrics=())]

        @hookimpl
        def ward_run_finished(self, run: object) -> None:
            raise RuntimeError("boom")

    with pytest.raises(PluginError) as caught:
        check_plugin_contract(Careless(), name="careless")
    message = str(caught.value)
    assert "declares probe kinds but does not implement ward_probe_run" in message
    assert "probe kind 'careless' has no description" in message
    assert "must list the (non-empty) metric names" in message
    assert "ward_run_finished raised RuntimeError: boom" in message


@pytest.mark.parametrize(
    "module",
    [
        ward_reference.alerts,
        ward_reference.backup,
        ward_reference.remediation,
        ward_core.testing.network,
        ward_core.testing.sessions,
    ],
)
def test_doctests(module: types.ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


class TestTcpConnectProbe(ProbeContract):
    plugin = ward_reference.plugin
    kind = KIND

    @pytest.fixture
    def reachable_device(self, tcp_listener: TcpListener) -> DeviceTarget:
        return sample_device("up", host=tcp_listener.host, port=tcp_listener.port)

    @pytest.fixture
    def unreachable_device(self, closed_tcp_port: int) -> DeviceTarget:
        return sample_device("down", port=closed_tcp_port)


class TestTcpConnectProbeWithTimeouts(TestTcpConnectProbe):
    """Unreachable by timeout, not refusal: a listener whose accept queue is full never answers."""

    options = ProbeOptions(timeout=0.3)

    @pytest.fixture
    def unreachable_device(self) -> Iterator[DeviceTarget]:
        import socket

        with socket.socket() as full:
            full.bind(("127.0.0.1", 0))
            full.listen(0)
            port = full.getsockname()[1]
            fillers = []
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            try:
                yield sample_device("silent", port=port)
            finally:
                for filler in fillers:
                    filler.close()


def test_tcp_probe_really_connects_count_times(reference: WardPlugins, tcp_listener: TcpListener) -> None:
    device = sample_device("up", host=tcp_listener.host, port=tcp_listener.port)
    (result,) = reference.run_probe(KIND, [device], ProbeOptions(count=3)).results
    assert tcp_listener.wait_for(3)
    values = result.values()
    assert values[SUCCESS_RATIO] == 1.0
    assert 0.0 < values[CONNECT_MS] < 1000.0


def test_tcp_probe_port_option_overrides_device_port(
    reference: WardPlugins, tcp_listener: TcpListener, closed_tcp_port: int
) -> None:
    device = sample_device("up", port=closed_tcp_port)
    options = ProbeOptions(params={"port": tcp_listener.port})
    assert reference.run_probe(KIND, [device], options).ok
    (bad,) = reference.run_probe(KIND, [device], ProbeOptions(params={"port": "ssh"})).results
    assert bad.exception == "option 'port' must be an integer 1-65535, got 'ssh'"


def test_refused_connection_text_names_host_and_port(reference: WardPlugins, closed_tcp_port: int) -> None:
    (result,) = reference.run_probe(KIND, [sample_device("down", port=closed_tcp_port)]).results
    assert result.exception is not None
    assert result.exception.startswith(f"127.0.0.1:{closed_tcp_port}: ConnectionRefusedError")


def test_tcp_probe_handles_a_large_batch(reference: WardPlugins, tcp_listener: TcpListener) -> None:
    batch = [sample_device(f"d{i}", host=tcp_listener.host, port=tcp_listener.port) for i in range(300)]
    result = reference.run_probe(KIND, batch, ProbeOptions(concurrency=100))
    assert result.ok
    assert [r.device for r in result.results] == [d.name for d in batch]
    assert tcp_listener.wait_for(300)


# --------------------------------------------------------------------------- backup


def test_backup_hooks(reference: WardPlugins) -> None:
    raw = (
        "Building configuration...\n\nCurrent configuration : 1234 bytes\n"
        "! Last configuration change at 10:00:01 UTC Mon Jan 1 2026\n"
        "hostname sw1\nenable secret 9 $9$abc\nusername admin password 7 0822455D0A16\n"
        "snmp-server community n0tpublic RO\n"
    )
    assert reference.backup_commands("cisco_ios") == ("show running-config",)
    assert reference.backup_commands("juniper_junos") is None
    text = reference.normalise_backup("cisco_ios", reference.redact_backup("cisco_ios", raw))
    assert text == (
        "hostname sw1\nenable secret 9 <redacted>\nusername admin password 7 <redacted>\n"
        "snmp-server community <redacted> RO\n"
    )
    for secret in ("$9$abc", "0822455D0A16", "n0tpublic"):
        assert secret not in text


# --------------------------------------------------------------------------- alerts


def test_spread_and_log_notifier(reference: WardPlugins, caplog: pytest.LogCaptureFixture) -> None:
    spread = reference.alert_functions()["spread"]
    assert spread.function([Sample(0, 2.0), Sample(1, 9.0)], []) == 7.0
    notifier = reference.alert_notifiers()["log"].notifier
    with caplog.at_level("WARNING", logger="ward.reference"):
        notifier.send(sample_alert())
    assert "FIRING rtt-high on sw1" in caplog.text
    assert EVENT_LOG.hooks()[-1] == "notify"


# --------------------------------------------------------------------------- topology


def test_static_neighbours_from_vars(reference: WardPlugins) -> None:
    device = DeviceTarget(
        name="edge1",
        host="127.0.0.1",
        platform="cisco_ios",
        vars={
            "reference_neighbours": [
                {"interface": "Gi0/1", "neighbour": "core1", "neighbour_interface": "Te1/1"}
            ]
        },
    )
    (record,) = reference.topology_neighbours(device, "ssh") or ()
    assert (record.local_interface, record.neighbour, record.neighbour_interface) == (
        "Gi0/1",
        "core1",
        "Te1/1",
    )
    assert record.protocol == "static"
    assert reference.topology_neighbours(sample_device("sw1"), "snmp") is None


def test_bad_static_neighbours_name_device_and_field(reference: WardPlugins) -> None:
    device = DeviceTarget(
        name="edge1",
        host="127.0.0.1",
        platform="cisco_ios",
        vars={"reference_neighbours": [{"interface": "Gi0/1"}]},
    )
    with pytest.raises(DeviceError) as caught:
        reference.topology_neighbours(device, "ssh")
    assert str(caught.value) == (
        "edge1 (reference): neighbour discovery over ssh failed: InventoryError: "
        "device 'edge1', field 'vars.reference_neighbours[0].neighbour': must be a non-empty string"
    )
    assert isinstance(caught.value.__cause__, InventoryError)


# --------------------------------------------------------------------------- remediation

SHOW_INTERFACE = """GigabitEthernet0/1 is up, line protocol is up
  Last input 00:00:00, output 00:00:00, output hang never
  Last clearing of "show interface" counters {cleared}
     {packets} packets input, 0 bytes, 0 no buffer
"""


def test_clear_counters_plan_execute_verify(reference: WardPlugins) -> None:
    action = reference.remediation_actions()["reference.clear_counters"]
    assert not action.destructive and action.rollback is None
    device = sample_device("sw1")
    plan = action.plan(device=device, params={"interface": "GigabitEthernet0/1"})
    assert plan.commands == ("clear counters GigabitEthernet0/1",)
    session = ScriptedSession(
        device,
        {
            "clear counters GigabitEthernet0/1": 'Clear "show interface" counters [confirm]\n',
            "show interfaces GigabitEthernet0/1": SHOW_INTERFACE.format(cleared="never", packets=51234),
        },
    )
    execution = action.execute(plan=plan, session=session)
    assert execution.ok and execution.changed
    assert session.confirmed == ["clear counters GigabitEthernet0/1"]
    failed = action.verify(plan=plan, session=session, execution=execution)
    assert not failed.ok and failed.exception == "GigabitEthernet0/1 counters last cleared never"
    session.responses["show interfaces GigabitEthernet0/1"] = SHOW_INTERFACE.format(
        cleared="00:00:02", packets=3
    )
    assert action.verify(plan=plan, session=session, execution=execution).ok


def test_clear_counters_plan_refuses_bad_input(reference: WardPlugins) -> None:
    action = reference.remediation_actions()["reference.clear_counters"]
    with pytest.raises(ValueError, match="device 'sw1': parameter 'interface' must be a one-line string"):
        action.plan(device=sample_device("sw1"), params={"interface": ""})
    with pytest.raises(ValueError, match=r"device 'j1': .* not 'juniper_junos'"):
        action.plan(device=sample_device("j1", platform="juniper_junos"), params={"interface": "ge-0/0/0"})


def test_execute_reports_a_rejected_command_as_a_failed_outcome(reference: WardPlugins) -> None:
    action = reference.remediation_actions()["reference.clear_counters"]
    device = sample_device("sw1")
    plan = action.plan(device=device, params={"interface": "Gi0/9"})
    outcome = action.execute(plan=plan, session=ScriptedSession(device))
    assert not outcome.ok
    assert outcome.exception == "sw1: % Invalid input: 'clear counters Gi0/9' is not scripted"


def test_interface_description_rolls_back_to_the_previous_one(reference: WardPlugins) -> None:
    action = reference.remediation_actions()["reference.interface_description"]
    assert action.rollback is not None
    device = sample_device("sw1")
    plan = action.plan(device=device, params={"interface": "Gi0/1", "description": "to core1"})
    assert plan.commands == ("interface Gi0/1", " description to core1")
    show = "show running-config interface Gi0/1"
    session = ScriptedSession(device, {show: "interface Gi0/1\n description old uplink\n no shutdown\n"})
    execution = action.execute(plan=plan, session=session)
    assert execution.ok and execution.undo == ("interface Gi0/1", " description old uplink")
    assert session.config == ["interface Gi0/1", " description to core1"]
    verification = action.verify(plan=plan, session=session, execution=execution)
    assert not verification.ok, "the scripted device still shows the old description"
    rollback = action.rollback(plan=plan, session=session, execution=execution)
    assert rollback.ok and session.config[-2:] == ["interface Gi0/1", " description old uplink"]
    session.responses[show] = "interface Gi0/1\n description to core1\n"
    assert action.verify(plan=plan, session=session, execution=execution).ok


# --------------------------------------------------------------------------- playbook step


def test_echo_step(reference: WardPlugins) -> None:
    echo = reference.playbook_step_types()["echo"]
    context = StepContext(
        playbook="pb",
        step="hello",
        devices=(sample_device("a"), sample_device("b")),
        variables={"site": "lab1"},
    )
    result = echo.run(params={"message": "$devices devices at $site"}, context=context)
    assert result.ok and result.output == "2 devices at lab1"
    unknown = echo.run(params={"message": "$nope"}, context=context)
    assert not unknown.ok and unknown.exception == "step 'hello': unknown variable $nope"


# --------------------------------------------------------------------------- events and lifecycle


def test_event_hooks_record_every_event(reference: WardPlugins) -> None:
    assert EVENT_LOG.hooks() == ["ward_configure"], "configure starts a fresh log"
    for hook, kwargs in sample_events():
        ((payload),) = kwargs.values()
        getattr(reference, hook.removeprefix("ward_"))(payload)
    assert EVENT_LOG.hooks()[1:] == [hook for hook, _ in sample_events()]
    assert [e.payload for e in EVENT_LOG.events[1:]] == [next(iter(k.values())) for _, k in sample_events()]
    reference.close()
    assert EVENT_LOG.hooks()[-1] == "ward_unconfigure"
