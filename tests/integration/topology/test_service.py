"""discover_batch on PostgreSQL and SQLite with a scripted neighbour plugin: batches that add up to
one picture, failures as data, a hanging plugin abandoned at its deadline, events, overrides."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, func, select

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.db.models import Device, RunResult, TopologyObservation, TopologySnapshot
from ward_core.errors import InventoryError
from ward_core.plugin_manager import WardPlugins
from ward_core.topology import Override, discover_batch
from ward_core.topology.store import add_override, load_snapshot
from ward_core.topology.testing import EventRecorder
from ward_core.types import DeviceTarget, Link, NeighbourRecord, TopologyChange, Transport

GI = "GigabitEthernet"


class Script:
    """Neighbours the test sets per device; ``hang`` blocks until released, ``fail`` raises."""

    def __init__(self) -> None:
        self.records: dict[str, list[NeighbourRecord]] = {}
        self.fail: set[str] = set()
        self.hang: set[str] = set()
        self.release = threading.Event()

    def cable(self, a: str, a_if: str, b: str, b_if: str) -> None:
        for here, here_if, there, there_if in ((a, a_if, b, b_if), (b, b_if, a, a_if)):
            self.records.setdefault(here, []).append(
                NeighbourRecord(
                    device=here,
                    local_interface=here_if,
                    neighbour=there,
                    protocol="lldp",
                    neighbour_port_id=there_if,
                    neighbour_port_subtype="interfaceName",
                )
            )

    @hookimpl
    def ward_topology_neighbours(
        self, device: DeviceTarget, transport: Transport
    ) -> Sequence[NeighbourRecord] | None:
        if device.platform != "scripted":
            return None
        if device.name in self.hang:
            self.release.wait(20)
        if device.name in self.fail:
            raise ConnectionResetError("peer reset the session")
        return self.records.get(device.name, [])


class Boom:
    @hookimpl
    def ward_topology_changed(self, change: TopologyChange) -> None:
        raise RuntimeError("alert engine down")


def add(engine: Engine, *names: str, platform: str = "scripted") -> None:
    with session_scope(engine) as session:
        for name in names:
            session.add(
                Device(
                    name=name, host="127.0.0.1", platform=platform, tags=[], vars={}, content_hash="0" * 64
                )
            )


def start(settings: Settings, *plugins: tuple[str, object]) -> WardPlugins:
    manager = WardPlugins(settings)
    for name, plugin in plugins:
        manager.register(plugin, name=name)
    manager.start()
    return manager


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, blocked_plugins=[], topology_timeout_s=0.3, topology_workers=4)


def test_batches_from_different_workers_add_up_to_one_picture(engine: Engine, settings: Settings) -> None:
    add(engine, "r1", "r2", "r3")
    script = Script()
    script.cable("r1", "Gi0/1", "r2", "Gi0/1")
    script.cable("r2", "Gi0/2", "r3", "Gi0/1")
    recorder = EventRecorder()
    with start(settings, ("script", script), ("recorder", recorder)) as plugins:
        first = discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r1"], transport="ssh"
        )
        second = discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r2", "r3"], transport="ssh"
        )
    assert (first.links, first.one_sided, first.previous_snapshot_id) == (1, 1, None)
    assert (second.links, second.two_sided, second.previous_snapshot_id) == (2, 2, first.snapshot_id)
    assert second.added == ("r2 GigabitEthernet0/2 -- r3 GigabitEthernet0/1",)
    assert [c.added for c in recorder.changes] == [(Link.between("r2", f"{GI}0/2", "r3", f"{GI}0/1"),)]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(TopologySnapshot)) == 2
        assert session.scalar(select(func.count()).select_from(TopologyObservation)) == 3


def test_failures_are_data_and_unknown_names_are_refused_or_recorded(
    engine: Engine, settings: Settings
) -> None:
    add(engine, "r1", "r2", "bad")
    add(engine, "junos1", platform="juniper_junos")
    script = Script()
    script.cable("r1", "Gi0/1", "r2", "Gi0/1")
    script.fail.add("bad")
    with start(settings, ("script", script)) as plugins:
        with pytest.raises(InventoryError, match="unknown device"):
            discover_batch(
                engine=engine,
                plugins=plugins,
                settings=settings,
                device_names=["r1", "ghost"],
                transport="snmp",
            )
        outcome = discover_batch(
            engine=engine,
            plugins=plugins,
            settings=settings,
            device_names=["r1", "r2", "bad", "junos1", "ghost"],
            transport="snmp",
            unknown_devices="fail",
        )
    reasons = {f.device: f.reason for f in outcome.failures}
    assert reasons["bad"].startswith(
        "DeviceError: bad (script): neighbour discovery over snmp failed: ConnectionResetError"
    )
    assert reasons["junos1"] == "no plugin discovers neighbours of platform 'juniper_junos' over snmp"
    assert reasons["ghost"] == "not in the inventory"
    assert (outcome.collected, outcome.links, outcome.two_sided) == (2, 1, 1)
    with session_scope(engine) as session:
        statuses = dict(
            session.execute(
                select(RunResult.device, RunResult.status).where(RunResult.run_id == outcome.run_id)
            ).all()
        )
    assert statuses == {"r1": "ok", "r2": "ok", "bad": "failed", "junos1": "failed", "ghost": "failed"}


def test_a_hanging_plugin_is_abandoned_at_its_deadline(engine: Engine, settings: Settings) -> None:
    add(engine, "r1", "r2", "stuck")
    script = Script()
    script.cable("r1", "Gi0/1", "r2", "Gi0/1")
    script.hang.add("stuck")
    started = time.monotonic()
    try:
        with start(settings, ("script", script)) as plugins:
            outcome = discover_batch(
                engine=engine,
                plugins=plugins,
                settings=settings,
                device_names=["r1", "stuck", "r2"],
                transport="ssh",
            )
    finally:
        script.release.set()
    elapsed = time.monotonic() - started
    assert [(f.device, f.reason.split(":")[0]) for f in outcome.failures] == [("stuck", "DeviceTimeout")]
    assert "abandoned" in outcome.failures[0].reason
    assert outcome.links == 1
    assert elapsed < 5, elapsed


def test_a_failing_event_plugin_does_not_keep_the_others_from_hearing(
    engine: Engine, settings: Settings
) -> None:
    add(engine, "r1", "r2")
    script = Script()
    script.cable("r1", "Gi0/1", "r2", "Gi0/1")
    recorder = EventRecorder()
    with start(settings, ("script", script), ("boom", Boom()), ("recorder", recorder)) as plugins:
        discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r1", "r2"], transport="ssh"
        )
        script.records = {}
        outcome = discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r1", "r2"], transport="ssh"
        )
    assert outcome.event_failures == ("boom",)
    assert outcome.removed == ("r1 GigabitEthernet0/1 -- r2 GigabitEthernet0/1",)
    assert [c.removed for c in recorder.changes] == [(Link.between("r1", f"{GI}0/1", "r2", f"{GI}0/1"),)]


def test_overrides_apply_from_the_next_discovery(engine: Engine, settings: Settings) -> None:
    add(engine, "r1", "r2", "legacy")
    script = Script()
    script.cable("r1", "Gi0/1", "r2", "Gi0/1")
    with session_scope(engine) as session:
        add_override(
            session,
            Override(
                kind="link",
                a_device="r2",
                a_interface="Gi0/9",
                b_device="legacy",
                b_interface="eth0",
                reason="no LLDP",
            ),
        )
    with start(settings, ("script", script)) as plugins:
        outcome = discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r1", "r2"], transport="ssh"
        )
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
    assert snapshot is not None
    assert {(info.link, info.kind) for info in snapshot.links} == {
        (Link.between("r1", f"{GI}0/1", "r2", f"{GI}0/1"), "two_sided"),
        (Link.between("r2", f"{GI}0/9", "legacy", "eth0"), "override"),
    }
