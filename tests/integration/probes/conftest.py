"""Databases, devices and loopback listeners for the probe storage and service tests."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device


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
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


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
