"""A 20-device lab for the module, databases on both backends, settings for the lab, plugin
managers holding the two topology plugins (plus extra ones, such as an event recorder), and real
net-snmp agents serving whatever rows a test writes (``override_agent``)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import ward_ios_neighbours.plugin
import ward_lldp.plugin
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db import get_engine, upgrade
from ward_core.plugin_manager import WardPlugins
from ward_core.testing.lab import RunningLab, running_lab

SSH_PORT = 14022
SNMP_PORT = 14161


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """A 20-device, 4-branch lab for the whole module."""
    with running_lab(
        tmp_path_factory.mktemp("lab"), devices=20, sites=4, ssh_port=SSH_PORT, snmp_port=SNMP_PORT
    ) as running:
        yield running


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    engine = get_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _lab_settings(lab: RunningLab, database_url: str, **overrides: object) -> Settings:
    """Settings for the lab: its secrets file, a short per-device timeout."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secrets_file": lab.lab_dir / "secrets.yml",
        "blocked_plugins": [],
        "topology_timeout_s": 15.0,
        "topology_workers": 20,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


LabSettings = Callable[..., Settings]
TopologyPlugins = Callable[..., WardPlugins]


@pytest.fixture
def lab_settings() -> LabSettings:
    """``lab_settings(lab, database_url, **overrides)``: settings for discovering ``lab``."""
    return _lab_settings


@pytest.fixture
def topology_plugins() -> TopologyPlugins:
    """``topology_plugins(settings, ("name", plugin), ...)``: the topology plugins (and extras), started."""
    return _topology_plugins


def _topology_plugins(settings: Settings, *extra: tuple[str, object]) -> WardPlugins:
    """The two first-party topology plugins (and ``extra`` ones), started."""
    plugins = WardPlugins(settings)
    plugins.register(ward_ios_neighbours.plugin, name="ios-neighbours")
    plugins.register(ward_lldp.plugin, name="lldp")
    for name, plugin in extra:
        plugins.register(plugin, name=name)
    plugins.start()
    return plugins


Row = tuple[str, str, str]
"""(OID, net-snmp override type, value): ``octet_str`` values are text, or hex as ``0x0A000001``."""


OverrideAgent = Callable[[Path, str, Sequence[Row]], AbstractContextManager[int]]


@pytest.fixture
def override_agent() -> OverrideAgent:
    """``with override_agent(folder, community, rows) as port``: see :func:`_override_agent`."""
    return _override_agent


@contextmanager
def _override_agent(folder: Path, community: str, rows: Sequence[Row]) -> Iterator[int]:
    """A real ``snmpd`` on 127.0.0.1 answering ``community`` with ``rows`` (besides its own MIBs);
    yields its port and stops it afterwards."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = folder / "snmpd.conf"
    lines = [
        f"agentAddress udp:127.0.0.1:{port}",
        f"rocommunity {community} 127.0.0.1",
        "dontLogTCPWrappersConnects yes",
    ]
    lines += [
        f'override {oid} {kind} "{value}"'
        if kind == "octet_str" and not value.startswith("0x")
        else f"override {oid} {kind} {value}"
        for oid, kind, value in rows
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "state").mkdir(exist_ok=True)
    with (folder / "snmpd.log").open("wb") as log:
        process = subprocess.Popen(
            ["snmpd", "-f", "-Lo", "-C", "-c", str(config), "-Dnone"],
            stdout=log,
            stderr=log,
            env={"SNMP_PERSISTENT_DIR": str(folder / "state"), "PATH": "/usr/sbin:/usr/bin"},
        )
    try:
        deadline = time.monotonic() + 10
        probe_oid = "1.3.6.1.2.1.1.5.0"
        while (
            subprocess.run(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    community,
                    "-On",
                    "-t",
                    "0.3",
                    "-r",
                    "0",
                    f"127.0.0.1:{port}",
                    probe_oid,
                ],
                capture_output=True,
                check=False,
            ).returncode
            != 0
        ):
            assert time.monotonic() < deadline, (folder / "snmpd.log").read_text()
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
