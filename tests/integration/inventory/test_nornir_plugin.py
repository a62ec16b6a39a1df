"""Nornir runs against ward's inventory: InitNornir with the WardInventory plugin, filtered by
site, static group and dynamic group, with credentials resolved when the inventory loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F
from nornir.core.task import Result, Task

from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.errors import CredentialError, StorageError
from ward_core.inventory import import_inventory
from ward_core.inventory.nornir_plugin import WardInventory

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "inventory" / "example.yml"
SECRETS = """\
lab-ssh: {username: ward, password: ward-lab-login, secret: ward-lab-enable}
lab-snmp: {community: ward-lab-ro}
"""


@pytest.fixture
def database(db_url: str) -> Iterator[str]:
    engine = get_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_inventory(EXAMPLE, session)
    engine.dispose()
    yield db_url


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(SECRETS)
    return Settings(database_url=database, secrets_file=secrets)


def _nornir(options: dict[str, object]) -> Nornir:
    return InitNornir(
        inventory={"plugin": "WardInventory", "options": options},
        runner={"plugin": "threaded", "options": {"num_workers": 4}},
        logging={"enabled": False},
    )


def test_filters_by_site_group_and_dynamic_group(settings: Settings) -> None:
    nr = _nornir({"database_url": settings.database_url, "settings": settings})
    assert len(nr.inventory.hosts) == 8
    branch_001 = ["br001-rtr1", "br001-sw1", "br001-sw2"]
    assert sorted(nr.filter(F(site="branch-001")).inventory.hosts) == branch_001
    assert sorted(nr.filter(F(groups__contains="site:branch-001")).inventory.hosts) == branch_001
    assert sorted(nr.filter(F(groups__contains="core")).inventory.hosts) == ["hub-west-rtr1", "hub-west-rtr2"]
    assert sorted(nr.filter(F(groups__contains="west-branch-routers")).inventory.hosts) == ["br001-rtr1"]
    assert sorted(nr.filter(F(groups__contains="region:east")).inventory.hosts) == [
        "br002-fw1",
        "br002-rtr1",
        "br002-sw1",
    ]
    pilot_east = nr.filter(F(groups__contains="pilot") & F(region="east"))
    assert sorted(pilot_east.inventory.hosts) == ["br002-rtr1"]
    assert sorted(nr.inventory.children_of_group("access-switches"), key=str) == sorted(
        (nr.inventory.hosts[n] for n in ("br001-sw1", "br001-sw2", "br002-sw1")), key=str
    )


def test_hosts_carry_connection_details_and_data(settings: Settings) -> None:
    nr = _nornir({"settings": settings})
    host = nr.inventory.hosts["hub-west-rtr2"]
    assert (host.hostname, host.port, host.platform) == ("127.20.0.2", 22, "cisco_ios")
    assert (host.username, host.password) == ("ward", "ward-lab-login")
    assert host.get_connection_parameters("netmiko").extras == {"secret": "ward-lab-enable"}
    assert host["role"] == "hub-router"
    assert host["region"] == "west"
    assert host["tags"] == ["hub", "router"]
    assert host["vars"] == {"asn": 65000}
    assert host["snmp"]["credentials"] == "lab-snmpv3"
    assert "ward-lab" not in json.dumps(host.data)
    assert {g.name for g in host.groups} == {"core", "site:hub-west", "region:west"}
    firewall = nr.inventory.hosts["br002-fw1"]
    assert (firewall.hostname, firewall.platform, firewall["snmp"]) == (
        "br002-fw1.example.net",
        "cisco_asa",
        None,
    )


def test_a_nornir_task_runs_against_the_inventory(settings: Settings) -> None:
    def describe(task: Task) -> Result:
        return Result(host=task.host, result=f"{task.host.hostname}:{task.host.port} {task.host['site']}")

    results = _nornir({"settings": settings}).filter(F(groups__contains="site:branch-002")).run(task=describe)
    assert not results.failed
    assert {name: r[0].result for name, r in results.items()} == {
        "br002-fw1": "br002-fw1.example.net:22 branch-002",
        "br002-rtr1": "127.20.0.6:22 branch-002",
        "br002-sw1": "127.20.0.7:22 branch-002",
    }


def test_a_missing_credential_fails_the_load_naming_device_and_credential(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("WARD_CRED_")]:
        monkeypatch.delenv(key)
    settings = Settings(database_url=database, secrets_file=None)
    with pytest.raises(CredentialError, match=r"credential 'lab-ssh' \(device 'br001-rtr1'\) is not defined"):
        WardInventory(settings=settings).load()
    inventory = WardInventory(settings=settings, require_credentials=False).load()
    host = inventory.hosts["br001-rtr1"]
    assert host.username is None and host.password is None
    assert "credential 'lab-ssh'" in host["credential_error"]


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(StorageError, match="run `ward db upgrade`"):
        WardInventory(settings=settings).load()


def test_registered_through_the_nornir_entry_point(settings: Settings, tmp_path: Path) -> None:
    (registered,) = [
        ep for ep in entry_points(group="nornir.plugins.inventory") if ep.name == "WardInventory"
    ]
    assert registered.load() is WardInventory
    script = (
        "from nornir import InitNornir\n"
        "from nornir.core.filter import F\n"
        "nr = InitNornir(inventory={'plugin': 'WardInventory', 'options': {}}, logging={'enabled': False})\n"
        "print(sorted(nr.filter(F(groups__contains='west-branch-routers')).inventory.hosts))\n"
    )
    env = {
        **os.environ,
        "WARD_DATABASE_URL": settings.database_url,
        "WARD_SECRETS_FILE": str(settings.secrets_file),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['br001-rtr1']"
