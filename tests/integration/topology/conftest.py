"""A 20-device lab for the module, databases on both backends, settings for the lab, and plugin
managers holding the two topology plugins (plus extra ones, such as an event recorder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
