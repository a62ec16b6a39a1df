"""Importing inventory files into a real database (SQLite and PostgreSQL): upsert, idempotence,
all-or-nothing rejection, and references to what the database already holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.errors import InventoryRejected, StorageError
from ward_core.inventory import group_members, import_inventory, load_device, load_devices, load_groups

WriteCounter = Callable[[Engine], AbstractContextManager[list[str]]]
EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "inventory" / "example.yml"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = get_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _import(engine: Engine, path: Path) -> dict[str, dict[str, int]]:
    with session_scope(engine) as session:
        report = import_inventory(path, session)
    return {kind: vars(counts) for kind, counts in report.kinds().items()}


def _counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Region, Site, CredentialRef, Device, Group, GroupMember)
        }


def test_import_the_example_then_reimport_writes_nothing(engine: Engine, count_writes: WriteCounter) -> None:
    first = _import(engine, EXAMPLE)
    assert {kind: c["created"] for kind, c in first.items()} == {
        "regions": 2,
        "sites": 3,
        "credentials": 3,
        "devices": 8,
        "groups": 4,
    }
    with session_scope(engine) as session:
        stamps = {name: stamp for name, stamp in session.execute(select(Device.name, Device.updated_at))}
    with count_writes(engine) as writes:
        second = _import(engine, EXAMPLE)
    assert writes == []
    assert all(c["created"] == c["updated"] == 0 for c in second.values())
    assert second["devices"]["unchanged"] == 8
    with session_scope(engine) as session:
        assert {
            name: stamp for name, stamp in session.execute(select(Device.name, Device.updated_at))
        } == stamps
        devices = load_devices(session)
        members = group_members(devices, load_groups(session))
    assert members["west-branch-routers"] == ["br001-rtr1"]
    assert members["core"] == ["hub-west-rtr1", "hub-west-rtr2"]
    assert members["pilot"] == ["br001-rtr1", "br001-sw1", "br002-rtr1"]


def test_the_stored_device_is_what_the_file_says(engine: Engine) -> None:
    _import(engine, EXAMPLE)
    with session_scope(engine) as session:
        hub2 = load_device(session, "hub-west-rtr2")
        firewall = load_device(session, "br002-fw1")
        assert load_device(session, "nope") is None
    assert hub2 is not None and firewall is not None
    assert (hub2.host, hub2.port, hub2.platform) == ("127.20.0.2", 22, "cisco_ios")
    assert (hub2.site, hub2.region, hub2.role) == ("hub-west", "west", "hub-router")
    assert hub2.tags == ("hub", "router")
    assert hub2.vars == {"asn": 65000}
    assert hub2.credentials == "lab-ssh"
    assert hub2.groups == ("core",)
    assert hub2.snmp is not None
    assert (hub2.snmp.version, hub2.snmp.user, hub2.snmp.security_level) == ("3", "ward-v3", "authPriv")
    assert (firewall.host, firewall.snmp, firewall.vars) == ("br002-fw1.example.net", None, {})


def test_changes_update_only_what_changed(engine: Engine, count_writes: WriteCounter, tmp_path: Path) -> None:
    _import(engine, EXAMPLE)
    text = EXAMPLE.read_text()
    text = text.replace("host: 127.20.0.4", "host: 127.20.0.44")
    text = text.replace("members: [hub-west-rtr1, hub-west-rtr2]", "members: [hub-west-rtr1, br002-fw1]")
    text = text.replace(
        "filter: 'role == \"access-switch\"'", 'filter: \'role == "access-switch" and region == "east"\''
    )
    text = text.replace('description: "Harbour branch"', 'description: "Harbour branch (moved)"')
    text += "  - {name: br003-rtr1, host: 127.20.0.9, platform: cisco_ios, site: branch-002}\n"
    changed = tmp_path / "changed.yml"
    changed.write_text(text)
    with count_writes(engine) as writes:
        report = _import(engine, changed)
    assert report["devices"] == {"created": 1, "updated": 1, "unchanged": 7}
    assert report["groups"] == {"created": 0, "updated": 2, "unchanged": 2}
    assert report["sites"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert len(writes) <= 8, writes
    with session_scope(engine) as session:
        sw1 = load_device(session, "br001-sw1")
        devices = load_devices(session)
        members = group_members(devices, load_groups(session))
    assert sw1 is not None and sw1.host == "127.20.0.44"
    assert members["core"] == ["br002-fw1", "hub-west-rtr1"]
    assert members["access-switches"] == ["br002-sw1"]


def test_a_group_can_turn_from_static_to_dynamic(engine: Engine, tmp_path: Path) -> None:
    _import(engine, EXAMPLE)
    changed = tmp_path / "changed.yml"
    changed.write_text(
        EXAMPLE.read_text().replace(
            "members: [hub-west-rtr1, hub-west-rtr2]", "filter: 'role == \"firewall\"'"
        )
    )
    _import(engine, changed)
    with session_scope(engine) as session:
        groups = {g.name: g for g in load_groups(session)}
        members = group_members(load_devices(session), list(groups.values()))
    assert (groups["core"].kind, groups["core"].members) == ("dynamic", ())
    assert members["core"] == ["br002-fw1"]
    assert _counts(engine)["group_members"] == 0


def test_a_rejected_file_writes_nothing(engine: Engine, count_writes: WriteCounter, tmp_path: Path) -> None:
    _import(engine, EXAMPLE)
    before = _counts(engine)
    bad = tmp_path / "bad.yml"
    bad.write_text(
        EXAMPLE.read_text()
        .replace("host: 127.20.0.5", "host: 127.20.0.55")
        .replace("credentials: lab-snmp, port: 161", "credentials: lab-snmpp, port: 161")
        + "  - {name: br009-rtr1, host: 10.0.0.1, platform: cisco_ios, site: branch-009}\n"
    )
    with count_writes(engine) as writes, pytest.raises(InventoryRejected) as caught:
        _import(engine, bad)
    assert writes == []
    assert _counts(engine) == before
    last_line = len(bad.read_text().splitlines())
    assert [(e.location, e.field, e.reason) for e in caught.value.errors] == [
        (
            "line 59",
            "snmp.credentials",
            "unknown credential reference 'lab-snmpp': declare it under credentials:",
        ),
        (f"line {last_line}", "site", "unknown site 'branch-009' (declare it under sites:)"),
    ]
    with session_scope(engine) as session:
        sw2 = load_device(session, "br001-sw2")
    assert sw2 is not None and sw2.host == "127.20.0.5"


def test_references_may_point_at_what_the_database_holds(engine: Engine, tmp_path: Path) -> None:
    """A CSV of devices can rely on credentials and groups imported earlier from YAML."""
    _import(engine, EXAMPLE)
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "name,host,platform,site,region,role,tags,credentials,snmp_version,snmp_credentials,vars.asn\n"
        "br010-rtr1,10.1.0.1,cisco_ios,branch-010,west,branch-router,branch;router,lab-ssh,2c,lab-snmp,65010\n"
        "br010-sw1,10.1.0.2,cisco_ios,branch-010,west,access-switch,branch,lab-ssh,,,\n"
        "br001-rtr9,10.1.0.3,cisco_ios,branch-001,,branch-router,,lab-ssh,,,\n"
    )
    report = _import(engine, csv_file)
    assert report["sites"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert report["regions"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert report["devices"]["created"] == 3
    with session_scope(engine) as session:
        devices = load_devices(session)
        members = group_members(devices, load_groups(session))
        site = session.scalars(select(Site).where(Site.name == "branch-001")).one()
    assert members["west-branch-routers"] == ["br001-rtr1", "br001-rtr9", "br010-rtr1"]
    assert site.description == "Main street branch"
    assert _import(engine, csv_file)["devices"] == {"created": 0, "updated": 0, "unchanged": 3}


def test_a_csv_naming_unknown_credentials_is_rejected(engine: Engine, tmp_path: Path) -> None:
    csv_file = tmp_path / "devices.csv"
    csv_file.write_text("name,host,platform,credentials\nr1,10.0.0.1,cisco_ios,lab-ssh\n")
    with pytest.raises(InventoryRejected) as caught:
        _import(engine, csv_file)
    (error,) = caught.value.errors
    assert (error.location, error.field) == ("row 2", "credentials")
    assert "declare it in the credentials section of a YAML inventory" in error.reason
    assert _counts(engine)["devices"] == 0


def test_a_group_member_must_exist(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "groups.yml"
    path.write_text("groups:\n  - name: g\n    members:\n      - r1\n      - r2\n")
    with pytest.raises(InventoryRejected) as caught:
        _import(engine, path)
    assert [(e.location, e.field, e.reason) for e in caught.value.errors] == [
        ("line 4", "members.0", "unknown device 'r1'"),
        ("line 5", "members.1", "unknown device 'r2'"),
    ]


@pytest.mark.postgres
def test_a_concurrent_writer_makes_the_import_fail_cleanly(pg_url: str, tmp_path: Path) -> None:
    """Another import commits the same device name between our read and our write: the database's
    unique constraint refuses ours, which surfaces as a StorageError and rolls back everything."""
    engine = get_engine(pg_url)
    upgrade(engine)
    other = get_engine(pg_url)
    path = tmp_path / "one.yml"
    path.write_text(
        "sites: [{name: s1}]\ndevices:\n  - {name: r1, host: 10.0.0.1, platform: cisco_ios, site: s1}\n"
    )

    raced: list[bool] = []

    def race(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO devices") and not raced:
            raced.append(True)
            with other.begin() as conn:
                conn.execute(
                    insert(Device).values(name="r1", host="10.9.9.9", platform="cisco_ios", content_hash="x")
                )

    event.listen(engine, "before_cursor_execute", race)
    try:
        with pytest.raises(StorageError, match=r"one.yml: writing the inventory failed: UniqueViolation"):
            _import(engine, path)
        event.remove(engine, "before_cursor_execute", race)
        with session_scope(engine) as session:
            assert session.scalars(select(Site.name)).all() == []
            assert session.scalars(select(Device.host)).all() == ["10.9.9.9"]
    finally:
        engine.dispose()
        other.dispose()


def test_numeric_names_are_names(engine: Engine, tmp_path: Path) -> None:
    """YAML reads ``site: 1001`` as a number; references to it must still be checked and resolved."""
    path = tmp_path / "numeric.yml"
    path.write_text(
        "sites: [{name: 1001}]\n"
        "devices:\n  - {name: 42, host: 10.0.0.1, platform: cisco_ios, site: 1001}\n"
        "groups: [{name: g, members: [42]}]\n"
    )
    assert _import(engine, path)["devices"]["created"] == 1
    with session_scope(engine) as session:
        device = load_device(session, "42")
    assert device is not None and (device.site, device.groups) == ("1001", ("g",))
    path.write_text("devices:\n  - {name: 43, host: 10.0.0.2, platform: cisco_ios, site: 1002}\n")
    with pytest.raises(InventoryRejected, match="unknown site '1002'"):
        _import(engine, path)
