"""The running configuration: IOS structure, a correct byte count, secrets and volatile lines."""

from __future__ import annotations

import re

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.faults import FaultInjector
from ward_core.lab.ios.passwords import unseven
from ward_core.lab.ios.running_config import TACACS_KEY, render_running_config
from ward_core.lab.topology import build_network

CREDS = LabCredentials()


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_796_034_942.0

    def __call__(self) -> float:
        return self.now


def test_structure_and_byte_count() -> None:
    network = build_network(6, 1, seed=5)
    for device in network:
        text = render_running_config(network, device, CREDS)
        lines = text.split("\n")
        assert lines[0:2] == ["Building configuration...", ""]
        declared = re.fullmatch(r"Current configuration : (\d+) bytes", lines[2])
        assert declared is not None
        assert int(declared.group(1)) == len(text.split("\n", 3)[3].encode())
        assert text.endswith("\nend\n")
        assert f"\nhostname {device.hostname}\n" in text
        assert "\nboot-start-marker\nboot-end-marker\n" in text
        assert "\naaa new-model\n" in text
        assert f"\nip domain name {device.domain}\n" in text
        assert f"\nsnmp-server location {device.site}\n" in text
        assert "\nline vty 0 4\n" in text
        for iface in device.interfaces.values():
            assert f"\ninterface {iface.name}\n" in text
        assert "snmp-server user" not in text


def test_secrets_are_present_hashed_or_encoded_never_in_clear() -> None:
    network = build_network(6, 1, seed=5)
    router, switch = network.device("br001-rtr1"), network.device("br001-sw1")
    text = render_running_config(network, router, CREDS)
    enable = re.search(r"^enable secret 9 (\$9\$[./0-9A-Za-z]{14}\$[./0-9A-Za-z]{43})$", text, re.M)
    user = re.search(rf"^username {CREDS.username} privilege 15 secret 9 (\$9\$\S+)$", text, re.M)
    keys = re.findall(r"^tacacs-server host \S+ key 7 ([0-9A-F]+)$", text, re.M)
    assert enable and user and len(keys) == 2
    assert all(unseven(key) == TACACS_KEY for key in keys)
    assert f"snmp-server community {CREDS.community} RO" in text
    for secret in (CREDS.password, CREDS.enable_secret, TACACS_KEY):
        assert secret not in text
    other = render_running_config(network, switch, CREDS)
    assert enable.group(1) not in other, "each device salts its hashes differently"
    assert enable.group(1) in render_running_config(network, router, CREDS), "hashes are stable"


def test_volatile_lines_move_with_time_and_changes() -> None:
    clock = ManualClock()
    network = build_network(6, 1, seed=5, clock=clock)
    device = network.device("br001-sw2")
    first = render_running_config(network, device, CREDS)
    assert "! No configuration change since last restart" in first
    assert "! NVRAM config last updated at 10:35:42 UTC Mon Nov 30 2026 by" in first
    clock.now += 4 * 3600
    network.mark_config_changed(device, by="ward")
    second = render_running_config(network, device, CREDS)
    assert "! Last configuration change at 14:35:42 UTC Mon Nov 30 2026 by ward" in second
    period = re.compile(r"^ntp clock-period (\d+)$", re.M)
    values = set()
    for _ in range(40):
        clock.now += 600
        found = period.search(render_running_config(network, device, CREDS))
        assert found is not None
        values.add(found.group(1))
    assert len(values) > 1
    assert all(v.startswith("1717") for v in values)


def test_shutdown_and_addresses_show_in_interface_sections() -> None:
    network = build_network(6, 1, seed=5)
    router = network.device("br001-rtr1")
    iface = router.interface("Gi0/0/1")
    network.set_admin(router, iface, False)
    iface.ipv4 = ("10.0.0.1", "255.255.255.252")
    text = render_running_config(network, router, CREDS)
    section = text.split(f"interface {iface.name}\n")[1].split("!\n")[0]
    assert section.splitlines() == [
        f" description {iface.description}",
        " ip address 10.0.0.1 255.255.255.252",
        " shutdown",
        " negotiation auto",
    ]


def test_config_drift_lines_land_in_the_global_section() -> None:
    network = build_network(6, 1, seed=5)
    device = network.device("br001-sw1")
    faults = FaultInjector(network, icmp_available=False)
    for _ in range(4):
        faults.apply(device.name, "config-drift")
    text = render_running_config(network, device, CREDS)
    assert "\nip http server\n" in text and "no ip http server" not in text
    assert "\nlogging host 198.51.100.77\n" in text
    assert "\nsnmp-server community public RO\n" in text
    assert "\nservice password-encryption\n" not in text
    global_section = text.split("\nlogging trap informational\n")[1].split("\nline con 0\n")[0]
    assert "logging host 198.51.100.77" in global_section
