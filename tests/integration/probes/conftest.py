"""Databases, devices and loopback listeners for the probe storage and service tests."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence

import pytest
from sqlalchemy import Engine

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    engine = get_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty PostgreSQL schema."""
    engine = get_engine(pg_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


AddDevices = Callable[..., dict[str, int]]


def _add_devices(engine: Engine, names: Sequence[str], *, port: int = 22) -> dict[str, int]:
    """Store devices on 127.0.0.1 (``port`` for all, or ``name:port``); their ids by name."""
    with session_scope(engine) as session:
        devices = []
        for spec in names:
            name, _, own_port = spec.partition(":")
            device = Device(
                name=name,
                host="127.0.0.1",
                port=int(own_port) if own_port else port,
                platform="cisco_ios",
                tags=[],
                vars={},
                content_hash="0" * 64,
            )
            session.add(device)
            devices.append(device)
        session.flush()
        return {d.name: d.id for d in devices}


@pytest.fixture
def add_devices() -> AddDevices:
    """``add_devices(engine, ["r1", "r2:8022"])`` stores devices on 127.0.0.1, returns their ids."""
    return _add_devices


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that completes handshakes (the kernel accepts into the backlog)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
