"""The example playbooks against the simulated lab, through the real ``ward`` command, on SQLite
(the embedded default) and on PostgreSQL; a rollout stops after its canary fails; bad playbooks are
refused before anything runs; ``--dry-run`` writes nothing; ``ward runs`` reads the records back.

Tests run in file order on one lab: the wave test takes a device down and brings it back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ward_core.playbooks.demo import playbooks_root
from ward_core.testing.lab import RunningLab, running_lab

pytestmark = pytest.mark.lab

WARD = [sys.executable, "-m", "ward_core.cli"]
EXAMPLES = [
    "health_check.yml",
    "nightly_backup.yml",
    "discover_topology.yml",
    "compliance.yml",
    "remediate_down_interfaces.yml",
]


@dataclass
class World:
    lab: RunningLab
    env: dict[str, str]
    folder: Path

    def ward(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*WARD, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=self.folder,
        )

    def run_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        done = self.ward("run", *args, "--json")
        assert done.stdout, done.stderr
        return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    folder = tmp_path_factory.mktemp("playbook-lab")
    with running_lab(folder / "lab", devices=12, sites=2, ssh_port=16022, snmp_port=16161) as started:
        yield started


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, lab: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp(f"playbooks-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ward.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    (folder / "roles.yml").write_text("users:\n  alice: {roles: [neteng]}\n", encoding="utf-8")
    (folder / "policy.yml").write_text(
        "rules: []\ndefault: {approvals: 1, roles: [neteng]}\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    env.update(
        WARD_CONFIG=os.devnull,
        WARD_DATABASE_URL=url,
        WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"),
        WARD_LAB_DIR=str(lab.lab_dir),
        WARD_ROLES_FILE=str(folder / "roles.yml"),
        WARD_APPROVAL_POLICY_FILE=str(folder / "policy.yml"),
        WARD_USER="alice",
    )
    w = World(lab, env, folder)
    inventory = folder / "lab.yml"
    inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
    for args in (["db", "upgrade"], ["inventory", "import", str(inventory)]):
        done = w.ward(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    return w


KINDS = "kinds=[icmp, snmp.interfaces]" if os.geteuid() == 0 else "kinds=[snmp.interfaces]"


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_playbook_runs_green(world: World, name: str) -> None:
    extra = ["--var", KINDS] if name == "health_check.yml" else []
    code, report = world.run_json(str(playbooks_root() / name), *extra)
    assert code == 0, json.dumps(report, indent=1)[:3000]
    devices = {d["name"] for d in world.lab.devices}
    assert set(report["devices"]) == devices
    assert report["totals"]["failed"] == 0 and report["stopped"] is None
    if name == "nightly_backup.yml":
        assert report["totals"]["changed"] + report["totals"]["ok"] == len(devices)
    if name == "discover_topology.yml":
        output = next(iter(report["results"].values()))["neighbours"]["output"]
        assert output["links"] >= len(devices) - 1
        assert Path(output["svg"]).read_text(encoding="utf-8").startswith("<")
    if name == "health_check.yml":
        version = report["results"][world.lab.devices[0]["name"]]["version"]["output"]["outputs"]
        assert "Cisco IOS" in version["show version"]
    shown = world.ward("runs", "show", str(report["run_id"]), "--json")
    record = json.loads(shown.stdout)
    assert record["kind"] == "playbook" and record["status"] == "succeeded"
    assert len(record["results"]) == len(devices) * len(record["params"]["steps"])


def test_a_rollout_stops_after_its_canary_fails(world: World) -> None:
    canary = sorted(d["name"] for d in world.lab.devices)[0]
    world.lab.ward("lab", "fault", canary, "down")
    try:
        code, report = world.run_json(str(playbooks_root() / "remediate_down_interfaces.yml"))
    finally:
        world.lab.ward("lab", "fault", canary, "up")
    assert code == 1
    assert report["stopped"].startswith("rollout stopped after wave 'canary': 1 device(s) failed")
    assert report["devices"][canary]["status"] == "failed"
    assert "timeout" in report["devices"][canary]["reason"].lower()
    others = [d for d in report["devices"] if d != canary]
    assert all(report["devices"][d]["status"] == "skipped" for d in others)
    assert all(report["results"][d]["poll"]["reason"] == report["stopped"] for d in others)
    listed = json.loads(world.ward("runs", "list", "--kind", "playbook", "--json").stdout)
    assert listed[0]["id"] == report["run_id"] and listed[0]["status"] == "failed"


def test_a_down_link_gets_a_bounce_proposed_and_waiting(world: World) -> None:
    device = next(d["name"] for d in world.lab.devices if d["name"].endswith("sw1"))
    uplink = "GigabitEthernet1/0/28"
    world.lab.ward("lab", "fault", device, "if-down", uplink)
    try:
        code, report = world.run_json(str(playbooks_root() / "remediate_down_interfaces.yml"))
    finally:
        world.lab.ward("lab", "fault", device, "if-up", uplink)
    assert code == 0, report
    requests = report["results"][device]["bounce"]["output"]["requests"]
    assert [(r["item"], r["state"]) for r in requests] == [(uplink, "pending")]
    pending = json.loads(world.ward("approvals", "list", "--json").stdout)
    assert requests[0]["request_id"] in [p["id"] for p in pending]


def test_dry_run_shows_the_plan_and_writes_nothing(world: World) -> None:
    before = json.loads(world.ward("runs", "list", "--json", "--last", "1000").stdout)
    done = world.ward("run", str(playbooks_root() / "remediate_down_interfaces.yml"), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert [w["name"] for w in plan["waves"]] == ["canary", "25%", "rest"]
    assert sum(len(b) for w in plan["waves"] for b in w["batches"]) == len(world.lab.devices)
    assert json.loads(world.ward("runs", "list", "--json", "--last", "1000").stdout) == before


def test_bad_playbooks_are_refused_naming_file_line_and_field(world: World) -> None:
    bad = world.folder / "bad.yml"
    cases = {
        "name: x\nsteps:\n  - probe: {}\n  - pign: {}\n": ":4: steps[1].pign: unknown step type",
        "name: x\ntargets: site:nowhere\nsteps:\n  - probe: {}\n": ":2: targets: site 'nowhere'",
        "name: x\nsteps:\n  - echo: {message: '${who}'}\n": ":3: steps[0].echo.message: variable ${who}",
        "name: x\nsteps: [\n": "YAML error",
    }
    for text, expected in cases.items():
        bad.write_text(text, encoding="utf-8")
        done = world.ward("run", str(bad))
        assert done.returncode == 2, done.stdout
        assert f"{bad}" in done.stderr and expected in done.stderr, done.stderr
