"""What ``ward lab up`` was asked for, and where a lab keeps its files."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ward_core.errors import LabError
from ward_core.lab.topology import FIRST_ADDRESS, NETNS_FIRST_ADDRESS


def default_ports() -> tuple[int, int]:
    """(ssh, snmp): the real ports as root, unprivileged ones otherwise."""
    return (22, 161) if os.geteuid() == 0 else (10022, 10161)


@dataclass(frozen=True)
class LabSpec:
    """A lab's parameters; serialised to ``spec.json`` for the lab process."""

    devices: int = 20
    sites: int | None = None
    seed: int = 1
    topology: str | None = None
    ssh_port: int = 22
    snmp_port: int = 161
    first_address: str = str(FIRST_ADDRESS)
    netns: bool = False

    @classmethod
    def create(
        cls,
        *,
        devices: int,
        sites: int | None,
        seed: int,
        topology: Path | None,
        ssh_port: int | None,
        snmp_port: int | None,
        first_address: str | None,
        netns: bool,
    ) -> LabSpec:
        """Fill the defaults that depend on the machine (ports, address range)."""
        if devices < 1:
            raise LabError("--devices must be at least 1")
        ssh_default, snmp_default = default_ports()
        default_first = NETNS_FIRST_ADDRESS if netns else FIRST_ADDRESS
        return cls(
            devices=devices,
            sites=sites,
            seed=seed,
            topology=str(topology.resolve()) if topology else None,
            ssh_port=ssh_port or ssh_default,
            snmp_port=snmp_port or snmp_default,
            first_address=first_address or str(default_first),
            netns=netns,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> LabSpec:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)


@dataclass(frozen=True)
class LabPaths:
    """The files of one lab, all inside its folder."""

    root: Path

    @property
    def pid(self) -> Path:
        return self.root / "lab.pid"

    @property
    def log(self) -> Path:
        return self.root / "lab.log"

    @property
    def spec(self) -> Path:
        return self.root / "spec.json"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def control(self) -> Path:
        return self.root / "control.sock"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yml"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_key"
