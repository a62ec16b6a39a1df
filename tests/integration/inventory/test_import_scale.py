"""A 2,000-device inventory on PostgreSQL: bulk import, a re-import that writes nothing, and a file
with one bad row that writes nothing and names the row."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, event, func, select

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device
from ward_core.errors import InventoryRejected
from ward_core.inventory import group_members, import_inventory, load_device, load_devices, load_groups

DEVICES = 2000
REGIONS = ("west", "east", "north", "south")
WriteCounter = Callable[[Engine], AbstractContextManager[list[str]]]

pytestmark = pytest.mark.postgres


def generate(devices: int, *, asn_base: int = 65000) -> dict[str, Any]:
    """An inventory of ``devices`` devices: a router and four switches per branch site."""
    sites = [{"name": f"branch-{i:04d}", "region": REGIONS[i % len(REGIONS)]} for i in range(devices // 5)]
    entries = []
    for i in range(devices):
        router = i % 5 == 0
        entries.append(
            {
                "name": f"br{i // 5:04d}-{'rtr' if router else 'sw'}{i % 5}",
                "host": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
                "platform": "cisco_ios",
                "site": f"branch-{i // 5:04d}",
                "role": "branch-router" if router else "access-switch",
                "credentials": "branch-ssh",
                "tags": ["branch", "router" if router else "switch"],
                "vars": {"asn": asn_base + i // 5},
                "snmp": {"version": "2c", "credentials": "branch-snmp"},
            }
        )
    return {
        "sites": sites,
        "credentials": [{"name": "branch-ssh"}, {"name": "branch-snmp"}],
        "groups": [
            {"name": "canary", "members": [d["name"] for d in entries[:50]]},
            {"name": "west-branch-routers", "filter": 'site.region == "west" and role == "branch-router"'},
        ],
        "devices": entries,
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(
        yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
    )
    return path


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = get_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _statements(engine: Engine) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def _device_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Device)) or 0


def test_two_thousand_devices(engine: Engine, tmp_path: Path, count_writes: WriteCounter) -> None:
    inventory = _write(tmp_path / "fleet.yml", generate(DEVICES))

    statements, stop = _statements(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        report = import_inventory(inventory, session)
    first_seconds = time.perf_counter() - started
    stop()
    assert (report.devices.created, report.sites.created, report.regions.created) == (
        DEVICES,
        DEVICES // 5,
        4,
    )
    assert len(statements) < 30, f"bulk import should not query per device: {len(statements)} statements"
    assert first_seconds < 30

    with session_scope(engine) as session:
        latest = session.scalar(select(func.max(Device.updated_at)))
        devices = load_devices(session)
        members = group_members(devices, load_groups(session))
    assert len(devices) == DEVICES
    assert len(members["canary"]) == 50
    assert len(members["west-branch-routers"]) == DEVICES // 5 // len(REGIONS)

    with count_writes(engine) as writes, session_scope(engine) as session:
        again = import_inventory(inventory, session)
    assert writes == []
    assert (again.devices.unchanged, again.written) == (DEVICES, 0)
    with session_scope(engine) as session:
        assert session.scalar(select(func.max(Device.updated_at))) == latest

    document = generate(DEVICES, asn_base=64000)
    document["devices"][1234]["host"] = "10.0.0.300"
    broken = _write(tmp_path / "broken.yml", document)
    bad_line = next(
        number for number, line in enumerate(broken.read_text().splitlines(), 1) if "host: 10.0.0.300" in line
    )
    with (
        count_writes(engine) as writes,
        pytest.raises(InventoryRejected) as caught,
        session_scope(engine) as session,
    ):
        import_inventory(broken, session)
    assert writes == []
    (error,) = caught.value.errors
    assert (error.source, error.location, error.field) == (str(broken), f"line {bad_line}", "host")
    assert f"{broken}:line {bad_line}, field 'host'" in str(caught.value)
    with session_scope(engine) as session:
        untouched = load_device(session, "br0000-rtr0")
    assert untouched is not None and untouched.vars == {"asn": 65000}
    assert _device_count(engine) == DEVICES


def test_one_bad_row_in_a_fresh_database_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    document = generate(DEVICES)
    document["devices"][777]["platform"] = "cisco_iosxx"
    broken = _write(tmp_path / "broken.yml", document)
    with pytest.raises(InventoryRejected) as caught, session_scope(engine) as session:
        import_inventory(broken, session)
    (error,) = caught.value.errors
    assert error.field == "platform"
    assert "unknown platform 'cisco_iosxx'" in error.reason
    assert _device_count(engine) == 0
