"""Discovery on a 20-device simulated lab: exactly the wired links over SSH and over SNMP (v2c and
v3, LLDP-MIB and CISCO-CDP-MIB), also with a device that speaks only CDP and one that speaks only
LLDP, a shut interface taking exactly its link away (with the change event), dead and mute devices
failing alone within their time budget."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gufo.snmp.aio import SnmpSession
from netmiko import ConnectHandler
from sqlalchemy import Engine, select

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import CredentialRef, Device, Run, RunResult, TopologyObservation
from ward_core.testing.lab import RunningLab
from ward_core.topology import discover_batch
from ward_core.topology.store import load_snapshot
from ward_core.topology.testing import EventRecorder, import_lab, precision_recall, wired_links
from ward_core.types import Link

if TYPE_CHECKING:
    from conftest import LabSettings, TopologyPlugins

pytestmark = [pytest.mark.lab, pytest.mark.postgres]


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = get_engine(pg_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def links_of(engine: Engine, snapshot_id: int) -> set[Link]:
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, snapshot_id)
    assert snapshot is not None
    return snapshot.link_set()


@pytest.mark.parametrize(("transport", "snmp_version"), [("ssh", "2c"), ("snmp", "2c"), ("snmp", "3")])
def test_discovery_yields_exactly_the_wired_links(
    lab: RunningLab,
    lab_settings: LabSettings,
    topology_plugins: TopologyPlugins,
    pg_engine: Engine,
    pg_url: str,
    tmp_path: Path,
    transport: str,
    snmp_version: str,
) -> None:
    names = import_lab(pg_engine, lab, tmp_path, snmp_version)
    truth = wired_links(lab)
    assert len(truth) == 23
    settings = lab_settings(lab, pg_url)
    with topology_plugins(settings) as plugins:
        outcome = discover_batch(
            engine=pg_engine, plugins=plugins, settings=settings, device_names=names, transport=transport
        )
    assert outcome.failures == ()
    assert outcome.collected == 20
    found = links_of(pg_engine, outcome.snapshot_id)
    assert precision_recall(found, truth) == (1.0, 1.0)
    assert (outcome.links, outcome.two_sided, outcome.one_sided, outcome.unmatched) == (23, 23, 0, 0)
    with session_scope(pg_engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
        assert snapshot is not None
        protocols = {p for info in snapshot.links for p in info.protocols}
        assert protocols == {"lldp", "cdp"}
        assert all(info.protocols == ("cdp", "lldp") for info in snapshot.links)
        rows = session.scalars(
            select(TopologyObservation).where(TopologyObservation.run_id == outcome.run_id)
        ).all()
        assert {r.device for r in rows} == set(names)
        assert all(r.ok and r.transport == transport and r.records for r in rows)
        results = session.scalars(select(RunResult).where(RunResult.run_id == outcome.run_id)).all()
        assert {r.status for r in results} == {"ok"} and len(results) == 20
        assert session.get(Run, outcome.run_id).kind == "topology"  # type: ignore[union-attr]


def _configure(lab: RunningLab, device: str, *lines: str) -> None:
    creds = lab.credentials
    connection = ConnectHandler(
        device_type="cisco_ios",
        host=lab.address(device),
        port=lab.ssh_port,
        username=creds.username,
        password=creds.password,
        secret=creds.enable_secret,
        fast_cli=True,
    )
    try:
        connection.enable()
        connection.send_config_set(list(lines))
    finally:
        connection.disconnect()


CDP_ONLY, LLDP_ONLY = "br002-sw1", "br004-sw1"


@pytest.mark.parametrize("transport", ["snmp", "ssh"])
def test_a_device_speaking_only_cdp_is_still_linked(
    lab: RunningLab,
    lab_settings: LabSettings,
    topology_plugins: TopologyPlugins,
    pg_engine: Engine,
    pg_url: str,
    tmp_path: Path,
    transport: str,
) -> None:
    names = import_lab(pg_engine, lab, tmp_path)
    truth = wired_links(lab)
    settings = lab_settings(lab, pg_url)
    _configure(lab, CDP_ONLY, "no lldp run")
    _configure(lab, LLDP_ONLY, "no cdp run")
    try:
        assert lab.show(CDP_ONLY)["neighbour_protocols"] == ["cdp"]
        with topology_plugins(settings) as plugins:
            outcome = discover_batch(
                engine=pg_engine, plugins=plugins, settings=settings, device_names=names, transport=transport
            )
    finally:
        _configure(lab, CDP_ONLY, "lldp run")
        _configure(lab, LLDP_ONLY, "cdp run")
    assert outcome.failures == ()
    with session_scope(pg_engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
    assert snapshot is not None
    assert precision_recall(set(snapshot.link_set()), truth) == (1.0, 1.0)
    assert (outcome.two_sided, outcome.one_sided, outcome.unmatched) == (23, 0, 0)
    by_device = {
        name: {info.protocols for info in snapshot.links if name in (info.link.a_device, info.link.b_device)}
        for name in (CDP_ONLY, LLDP_ONLY, "br001-sw1")
    }
    assert by_device == {CDP_ONLY: {("cdp",)}, LLDP_ONLY: {("lldp",)}, "br001-sw1": {("cdp", "lldp")}}
    collected = {c.device: c.records for c in snapshot.collections}
    assert collected[CDP_ONLY] == collected[LLDP_ONLY] == 1


async def _time_marks(lab: RunningLab, device: str) -> set[int]:
    marks = set()
    async with SnmpSession(lab.address(device), port=lab.snmp_port, community=lab.credentials.community) as s:
        async for oid, _ in s.getbulk("1.0.8802.1.1.2.1.4.1.1.9"):
            if oid.startswith("1.0.8802.1.1.2.1.4.1.1.9."):
                marks.add(int(oid.split(".")[11]))
    return marks


@pytest.mark.parametrize(
    ("transport", "router", "interface"),
    [("ssh", "br002-rtr1", "GigabitEthernet0/0/1"), ("snmp", "br003-rtr1", "GigabitEthernet0/0/0")],
)
def test_shutting_one_interface_removes_exactly_that_link_and_fires_the_event(
    lab: RunningLab,
    lab_settings: LabSettings,
    topology_plugins: TopologyPlugins,
    pg_engine: Engine,
    pg_url: str,
    tmp_path: Path,
    transport: str,
    router: str,
    interface: str,
) -> None:
    names = import_lab(pg_engine, lab, tmp_path)
    settings = lab_settings(lab, pg_url)
    recorder = EventRecorder()
    creds = lab.credentials
    connection = ConnectHandler(
        device_type="cisco_ios",
        host=lab.address(router),
        port=lab.ssh_port,
        username=creds.username,
        password=creds.password,
        secret=creds.enable_secret,
        fast_cli=True,
    )
    with topology_plugins(settings, ("recorder", recorder)) as plugins:

        def discover() -> set[Link]:
            outcome = discover_batch(
                engine=pg_engine, plugins=plugins, settings=settings, device_names=names, transport=transport
            )
            assert outcome.failures == ()
            return links_of(pg_engine, outcome.snapshot_id)

        before = discover()
        assert before == wired_links(lab)
        assert recorder.changes == []
        cut = next(
            link
            for link in before
            if (router, interface) in ((link.a_device, link.a_interface), (link.b_device, link.b_interface))
        )
        try:
            connection.enable()
            connection.send_config_set([f"interface {interface}", "shutdown"])
            after = discover()
            assert after == before - {cut}
            assert after == wired_links(lab)
            assert [(c.added, c.removed) for c in recorder.changes] == [((), (cut,))]
        finally:
            connection.send_config_set([f"interface {interface}", "no shutdown"])
            connection.disconnect()
        assert discover() == before
        assert [(c.added, c.removed) for c in recorder.changes][1:] == [((cut,), ())]
    if transport == "snmp":
        assert any(mark > 0 for mark in asyncio.run(_time_marks(lab, router)))


class MuteServer:
    """A TCP listener that accepts connections and never says a word (no SSH banner)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()


def test_dead_and_mute_devices_fail_alone_within_their_budget(
    lab: RunningLab,
    lab_settings: LabSettings,
    topology_plugins: TopologyPlugins,
    pg_engine: Engine,
    pg_url: str,
    tmp_path: Path,
) -> None:
    names = import_lab(pg_engine, lab, tmp_path)
    mute = MuteServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = int(probe.getsockname()[1])
    try:
        with session_scope(pg_engine) as session:
            ref = session.scalar(select(CredentialRef).where(CredentialRef.name == "lab-ssh"))
            assert ref is not None
            for name, port in (("dead-1", closed), ("mute-1", mute.port)):
                session.add(
                    Device(
                        name=name,
                        host="127.0.0.1",
                        port=port,
                        platform="cisco_ios",
                        credential_ref_id=ref.id,
                        tags=[],
                        vars={},
                        content_hash="0" * 64,
                    )
                )
        settings = lab_settings(lab, pg_url, topology_timeout_s=2.0)
        started = time.monotonic()
        with topology_plugins(settings) as plugins:
            outcome = discover_batch(
                engine=pg_engine,
                plugins=plugins,
                settings=settings,
                device_names=[*names, "dead-1", "mute-1"],
                transport="ssh",
            )
        elapsed = time.monotonic() - started
    finally:
        mute.close()
    reasons = {f.device: f.reason for f in outcome.failures}
    assert set(reasons) == {"dead-1", "mute-1"}
    assert reasons["dead-1"].startswith("DeviceUnreachable")
    assert "mute-1" in reasons["mute-1"]
    assert outcome.collected == 20
    assert links_of(pg_engine, outcome.snapshot_id) == wired_links(lab)
    assert elapsed < 15, elapsed
