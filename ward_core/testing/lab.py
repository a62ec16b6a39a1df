"""A real simulated lab for tests: started with ``ward lab up`` in a folder of the test's own.

Plugin authors use it to run their probes, collectors and actions against devices that speak real
SSH and SNMP::

    from ward_core.testing.lab import running_lab

    def test_my_probe(tmp_path):
        with running_lab(tmp_path, devices=6) as lab:
            ...  # lab.devices, lab.address("br001-rtr1"), lab.ssh_port, lab.credentials

Each lab takes a random address range (127.<100..249>.0.1 upwards) and unprivileged ports, so tests
never meet a lab a person runs on the same machine.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ward_core.lab.credentials import LabCredentials

DEFAULT_SSH_PORT = 12022
DEFAULT_SNMP_PORT = 12161


def run_ward(
    lab_dir: Path, *args: str, check: bool = True, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run the ``ward`` command with the lab folder set; AssertionError with its output on failure."""
    env = {**os.environ, "WARD_LAB_DIR": str(lab_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"ward {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def random_first_address(netns: bool = False) -> str:
    """The first address of a range no other test lab is likely to use.

    On loopback a random 127.<100..249>.0.1; in a lab namespace a random /24 of 198.18.0.0/16.
    """
    if netns:
        return f"198.18.{random.randrange(0, 250)}.1"
    return f"127.{random.randrange(100, 250)}.0.1"


@dataclass
class RunningLab:
    """A lab started for a test: its folder, what it wrote when ready, and how to reach it."""

    lab_dir: Path
    state: dict[str, Any]
    ssh_port: int
    snmp_port: int
    credentials: LabCredentials = field(default_factory=LabCredentials)

    def ward(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``ward`` against this lab."""
        return run_ward(self.lab_dir, *args, check=check)

    @property
    def devices(self) -> list[dict[str, Any]]:
        """Name, address, site, region, role, platform, model and serial of every device."""
        return list(self.state["devices"])

    def address(self, name: str) -> str:
        """The management address of device ``name``."""
        return str(next(d["address"] for d in self.devices if d["name"] == name))

    def show(self, name: str) -> dict[str, Any]:
        """Live state of one device (interfaces, neighbours, faults)."""
        view: dict[str, Any] = json.loads(self.ward("lab", "show", name, "--json").stdout)
        return view


@contextmanager
def running_lab(
    lab_dir: Path,
    *,
    devices: int = 6,
    sites: int | None = None,
    ssh_port: int = DEFAULT_SSH_PORT,
    snmp_port: int = DEFAULT_SNMP_PORT,
    extra: tuple[str, ...] = (),
) -> Iterator[RunningLab]:
    """Start a lab in ``lab_dir``, yield it, and always stop it."""
    args = [
        "lab",
        "up",
        "--devices",
        str(devices),
        "--ssh-port",
        str(ssh_port),
        "--snmp-port",
        str(snmp_port),
    ]
    if sites is not None:
        args += ["--sites", str(sites)]
    if "--first-address" not in extra:
        args += ["--first-address", random_first_address(netns="--netns" in extra)]
    run_ward(lab_dir, *args, *extra)
    try:
        state = json.loads((lab_dir / "state.json").read_text(encoding="utf-8"))
        yield RunningLab(lab_dir, state, ssh_port, snmp_port)
    finally:
        run_ward(lab_dir, "lab", "down", check=False)
