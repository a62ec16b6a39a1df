"""Hardware the lab simulates: models per role, their interfaces and their identity strings."""

from __future__ import annotations

import random
from dataclasses import dataclass

GIGABIT = 1_000_000_000
TEN_GIGABIT = 10_000_000_000


@dataclass(frozen=True)
class HardwareModel:
    """A device model: what ``show version`` calls it and how its ports are named."""

    model: str
    os_version: str
    image: str
    serial_prefix: str
    fixed_ports: tuple[str, ...]
    expansion_prefix: str
    ports_per_slot: int
    first_slot: int
    processor: str

    def port_names(self, wanted: int) -> list[str]:
        """The fixed ports, then expansion ports (``prefix<slot>/<port>``) until ``wanted`` exist."""
        names = list(self.fixed_ports)
        slot = self.first_slot
        while len(names) < wanted:
            names.extend(f"{self.expansion_prefix}{slot}/{port}" for port in range(self.ports_per_slot))
            slot += 1
        return names[: max(wanted, len(self.fixed_ports))]


HUB_ROUTER = HardwareModel(
    model="ISR4451-X/K9",
    os_version="16.9.8",
    image="isr4400-universalk9.16.09.08.SPA.bin",
    serial_prefix="FGL",
    fixed_ports=tuple(f"GigabitEthernet0/0/{n}" for n in range(4)),
    expansion_prefix="GigabitEthernet0/",
    ports_per_slot=24,
    first_slot=1,
    processor="ISR4451-X/K9 (2RU) processor with 1795979K/6147K bytes of memory",
)
BRANCH_ROUTER = HardwareModel(
    model="ISR4331/K9",
    os_version="16.9.8",
    image="isr4300-universalk9.16.09.08.SPA.bin",
    serial_prefix="FDO",
    fixed_ports=(
        *(f"GigabitEthernet0/0/{n}" for n in range(3)),
        *(f"GigabitEthernet0/1/{n}" for n in range(8)),
    ),
    expansion_prefix="GigabitEthernet0/",
    ports_per_slot=8,
    first_slot=2,
    processor="ISR4331/K9 (1RU) processor with 1647778K/6147K bytes of memory",
)
ACCESS_SWITCH = HardwareModel(
    model="WS-C2960X-24PS-L",
    os_version="15.2(7)E8",
    image="c2960x-universalk9-mz.152-7.E8.bin",
    serial_prefix="FOC",
    fixed_ports=tuple(f"GigabitEthernet1/0/{n}" for n in range(1, 29)),
    expansion_prefix="GigabitEthernet2/0/",
    ports_per_slot=28,
    first_slot=2,
    processor="WS-C2960X-24PS-L (APM86XXX) processor (revision A0) with 524288K bytes of memory",
)

MODELS_BY_ROLE = {
    "hub-router": HUB_ROUTER,
    "branch-router": BRANCH_ROUTER,
    "access-switch": ACCESS_SWITCH,
}
MODELS_BY_NAME = {m.model: m for m in MODELS_BY_ROLE.values()}


def serial_number(model: HardwareModel, rng: random.Random) -> str:
    """A serial in the vendor's shape: three letters, four digits, four alphanumerics."""
    tail = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(4))
    return f"{model.serial_prefix}{rng.randrange(1000, 9999)}{tail}"


def chassis_mac(index: int) -> str:
    """A stable, unique chassis MAC per device index (Cisco OUI, index in the low bytes).

    >>> chassis_mac(1)
    '00:1e:bd:00:10:00'
    """
    value = index << 12
    low = [(value >> shift) & 0xFF for shift in (16, 8, 0)]
    return "00:1e:bd:" + ":".join(f"{b:02x}" for b in low)


def port_mac(chassis: str, port_index: int) -> str:
    """The MAC of port ``port_index`` of the chassis ``chassis`` (chassis MAC + index).

    >>> port_mac('00:1e:bd:00:10:00', 3)
    '00:1e:bd:00:10:03'
    """
    value = int(chassis.replace(":", ""), 16) + port_index
    raw = f"{value:012x}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))
