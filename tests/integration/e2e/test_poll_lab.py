"""One ``ward poll`` against the simulated lab writes ICMP and SNMP samples for every device; a
device taken down shows 100% loss and an SNMP timeout while the others are unaffected.

Runs the real commands a person runs: ``ward lab up --netns`` (root, so ICMP faults are real),
``ward lab inventory``, ``ward inventory import`` and ``ward poll`` on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ward_core.testing.lab import RunningLab, running_lab

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="ICMP faults need the lab namespace (root)")


def ward(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def latest(env: dict[str, str], metric: str) -> list[dict[str, object]]:
    result = ward(env, "samples", "latest", "--metric", metric, "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


@pytest.fixture
def lab(tmp_path: Path) -> RunningLab:
    with running_lab(tmp_path / "lab", devices=8, sites=1, extra=("--netns",)) as started:
        yield started  # type: ignore[misc]


def test_one_poll_measures_every_device_and_isolates_the_dead_one(
    lab: RunningLab, pg_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "WARD_DATABASE_URL": pg_url,
        "WARD_LAB_DIR": str(lab.lab_dir),
        "WARD_SECRETS_FILE": str(lab.lab_dir / "secrets.yml"),
    }
    inventory = tmp_path / "lab.yml"
    inventory.write_text(lab.ward("lab", "inventory").stdout)
    for args in (["db", "upgrade"], ["inventory", "import", str(inventory)]):
        result = ward(env, *args)
        assert result.returncode == 0, result.stderr

    dead = lab.devices[-1]["name"]
    lab.ward("lab", "fault", dead, "down")
    poll = ward(env, "poll", "--kind", "icmp", "--kind", "snmp.interfaces", "--json")
    assert poll.returncode == 1, poll.stdout + poll.stderr
    report = json.loads(poll.stdout)
    failures = {(f["device"], f["kind"]): f["reason"] for f in report["failures"]}
    assert set(failures) == {(dead, "snmp.interfaces")}
    assert "timeout" in failures[(dead, "snmp.interfaces")].lower()

    names = {d["name"] for d in lab.devices}
    loss = {row["device"]: row["value"] for row in latest(env, "ping.loss_pct")}
    assert set(loss) == names
    assert loss[dead] == 100.0
    assert all(value == 0.0 for name, value in loss.items() if name != dead)

    oper = latest(env, "if.oper_up")
    assert {row["device"] for row in oper} == names - {dead}
    for name in names - {dead}:
        view = lab.show(name)
        measured = {row["labels"]["ifname"]: row["value"] for row in oper if row["device"] == name}  # type: ignore[index]
        assert len(measured) == len(view["interfaces"])
        assert sum(measured.values()) == sum(1 for i in view["interfaces"] if i["oper_up"])
