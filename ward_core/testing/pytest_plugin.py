"""Pytest fixtures for plugin authors, registered through the ``pytest11`` entry point ``ward``.

Without ward installed as a distribution, add ``pytest_plugins = ["ward_core.testing.pytest_plugin"]``
to your ``conftest.py``.

Fixtures:

- ``plugin_under_test``: override it to return your plugin (usually its module);
- ``ward_plugins``: a started manager holding only ``plugin_under_test``;
- ``ward_settings``: settings pointing at a throw-away SQLite file;
- ``tcp_listener``: a real TCP server on loopback (:class:`~ward_core.testing.network.TcpListener`);
- ``closed_tcp_port``: a loopback port where connecting is refused;
- ``sample_devices``: one device at ``tcp_listener``, one at ``closed_tcp_port``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins
from ward_core.testing.network import TcpListener, closed_tcp_port
from ward_core.testing.plugins import isolated_plugins
from ward_core.testing.samples import sample_device
from ward_core.types import DeviceTarget


@pytest.fixture
def plugin_under_test() -> object:
    """The plugin your tests exercise: define this fixture in your conftest."""
    pytest.fail("define a `plugin_under_test` fixture that returns your plugin (its module)")


@pytest.fixture
def ward_settings(tmp_path: Path) -> Settings:
    """Settings with a throw-away SQLite database and no blocked plugins."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'ward.db'}", blocked_plugins=[], lab_dir=tmp_path / "lab"
    )


@pytest.fixture
def ward_plugins(plugin_under_test: object, ward_settings: Settings) -> Iterator[WardPlugins]:
    """A started manager holding only ``plugin_under_test``, unconfigured afterwards."""
    with isolated_plugins(plugin_under_test, settings=ward_settings) as plugins:
        yield plugins


@pytest.fixture
def tcp_listener() -> Iterator[TcpListener]:
    """A TCP server on 127.0.0.1 that accepts (and counts) connections."""
    with TcpListener() as listener:
        yield listener


@pytest.fixture(name="closed_tcp_port")
def _closed_tcp_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return closed_tcp_port()


@pytest.fixture
def sample_devices(tcp_listener: TcpListener, closed_tcp_port: int) -> tuple[DeviceTarget, DeviceTarget]:
    """``up`` (at ``tcp_listener``) and ``down`` (at ``closed_tcp_port``), both on loopback."""
    return (
        sample_device("up", host=tcp_listener.host, port=tcp_listener.port),
        sample_device("down", host="127.0.0.1", port=closed_tcp_port),
    )
