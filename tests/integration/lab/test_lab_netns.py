"""`ward lab up --netns`: the lab answers ICMP itself, faults show in ping, nothing is left after down."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from ward_core.lab.netns import LabNamespace
from ward_core.testing.lab import running_lab

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a lab network namespace needs root")


def ping_loss(address: str, count: int = 10) -> float:
    result = subprocess.run(
        ["ping", "-n", "-q", "-c", str(count), "-i", "0.02", "-W", "1", address],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"([\d.]+)% packet loss", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_icmp_faults_in_the_lab_namespace(tmp_path: Path) -> None:
    namespace = LabNamespace.for_lab(tmp_path).name
    with running_lab(tmp_path, devices=6, sites=1, extra=("--netns",)) as lab:
        assert namespace in namespaces()
        host_link = LabNamespace.for_lab(tmp_path).host_link
        assert host_link in subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
        target = lab.devices[-1]
        assert target["address"].startswith("198.18.")
        status = lab.ward("lab", "status", "--json").stdout
        assert f'"netns": "{namespace}"' in status
        assert ping_loss(target["address"]) == 0.0

        lab.ward("lab", "fault", target["name"], "down")
        assert ping_loss(target["address"], count=3) == 100.0
        assert ping_loss(lab.devices[0]["address"], count=3) == 0.0
        lab.ward("lab", "fault", target["name"], "up")

        lab.ward("lab", "fault", target["name"], "packet-loss", "50")
        loss = ping_loss(target["address"], count=200)
        assert 30.0 <= loss <= 70.0
        lab.ward("lab", "fault", target["name"], "clear")
        assert ping_loss(target["address"]) == 0.0
    assert namespace not in namespaces()
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
    assert host_link not in routes
    assert target["address"] not in routes


def test_icmp_faults_without_the_namespace_are_refused(tmp_path: Path) -> None:
    with running_lab(tmp_path, devices=3, sites=1, ssh_port=14022, snmp_port=14161) as lab:
        result = lab.ward("lab", "fault", lab.devices[0]["name"], "packet-loss", "10", check=False)
        assert result.returncode == 1
        assert "--netns" in result.stderr
