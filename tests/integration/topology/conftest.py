"""A 20-device lab for the module, databases on both backends, settings for the lab, and plugin
managers holding the two topology plugins (plus extra ones, such as an event recorder)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import ward_ios_neighbours.plugin
import ward_lldp.plugin
from sqlalchemy import Engine, create_engine, make_url, text

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
def pg_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a new, empty schema dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file database that does not exist yet."""
    return f"sqlite:///{tmp_path / 'ward.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test runs on both backends."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


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
