from __future__ import annotations

from pathlib import Path

import pytest

from ward_core.errors import LabError
from ward_core.lab.topology import build_network, describe, load_topology


def test_generated_network_is_bank_shaped() -> None:
    network = build_network(20, 4, seed=7)
    summary = describe(network)
    assert summary["devices"] == 20
    assert summary["roles"] == {"hub-router": 2, "branch-router": 4, "access-switch": 14}
    assert len({d.address for d in network}) == 20
    for device in network:
        if device.role == "branch-router":
            uplinks = {
                i.peer[0] for i in device.interfaces.values() if i.peer and i.peer[0].startswith("hub-")
            }
            assert uplinks == {"hub-west-rtr1", "hub-east-rtr1"}
        if device.role == "access-switch":
            (uplink,) = [i for i in device.interfaces.values() if i.peer]
            assert uplink.peer is not None and uplink.peer[0] == f"{device.name.split('-')[0]}-rtr1"


def test_generation_is_reproducible_from_the_seed() -> None:
    first = [(d.name, d.serial, d.address) for d in build_network(30, seed=3)]
    again = [(d.name, d.serial, d.address) for d in build_network(30, seed=3)]
    other = [(d.name, d.serial, d.address) for d in build_network(30, seed=4)]
    assert first == again
    assert first != other


def test_too_few_devices_for_the_sites_is_refused() -> None:
    with pytest.raises(LabError, match="cannot fill 10 branches"):
        build_network(5, 10)


def test_topology_file_builds_the_links(tmp_path: Path) -> None:
    path = tmp_path / "t.yml"
    path.write_text(
        "sites:\n"
        "  - {name: s1, region: west}\n"
        "devices:\n"
        "  - {name: r1, site: s1, role: branch-router}\n"
        "  - {name: sw1, site: s1, role: access-switch}\n"
        "links:\n"
        "  - [r1 Gi0/0/1, sw1 GigabitEthernet1/0/25]\n"
        "hosts:\n"
        "  - sw1 Gi1/0/1\n"
    )
    network = load_topology(path)
    r1 = network.device("r1")
    assert r1.interface("Gi0/0/1").peer == ("sw1", "GigabitEthernet1/0/25")
    assert network.device("sw1").interface("Gi1/0/1").oper_up
    assert [n.remote.name for n in network.neighbours(r1)] == ["sw1"]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("links:\n  - [r1 Gi0/0/1, ghost Gi0/0/1]\n", 8, "unknown device 'ghost'"),
        ("links:\n  - [r1 Gi0/0/1, sw1 Gi1/0/1]\n  - [r1 Gi0/0/1, sw1 Gi1/0/2]\n", 9, "used twice"),
        ("links:\n  - [r1 Gi9/9/9, sw1 Gi1/0/1]\n", 8, "no interface 'Gi9/9/9'"),
        ("links: [oops\n", None, "YAML syntax error"),
    ],
)
def test_bad_topology_names_the_line(tmp_path: Path, body: str, line: int | None, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "sites:\n"
        "  - {name: s1, region: west}\n"
        "devices:\n"
        "  - {name: r1, site: s1, role: branch-router}\n"
        "  - {name: sw1, site: s1, role: access-switch}\n"
        "# links follow\n" + body
    )
    with pytest.raises(LabError, match=message) as error:
        load_topology(path)
    assert str(path) in str(error.value)
    if line is not None:
        assert f":{line}:" in str(error.value)
    else:
        assert "line 8" in str(error.value)


def test_unknown_site_names_the_device_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "sites:\n  - {name: s1, region: west}\ndevices:\n  - {name: r1, site: nowhere, role: branch-router}\n"
    )
    with pytest.raises(LabError, match=r"bad.yml:4: device 'r1': unknown site 'nowhere'"):
        load_topology(path)
