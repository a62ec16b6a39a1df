"""``ward poll`` and ``ward samples`` as a user runs them, on the embedded SQLite default, with the
reference TCP probe against real loopback listeners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from ward_reference.probe import CONNECT_MS, KIND, SUCCESS_RATIO

from ward_core.cli import app

WARD = shutil.which("ward", path=str(Path(sys.executable).parent)) or "ward"
INVENTORY = """\
regions:
  - {{name: west}}
sites:
  - {{name: hub, region: west}}
  - {{name: branch, region: west}}
groups:
  - {{name: routers, filter: 'role == "router"'}}
devices:
  - {{name: up1, host: 127.0.0.1, port: {up}, platform: cisco_ios, site: hub, role: router}}
  - {{name: up2, host: 127.0.0.1, port: {up}, platform: cisco_ios, site: branch, role: switch}}
  - {{name: down1, host: 127.0.0.1, port: {down}, platform: cisco_ios, site: branch, role: router}}
"""


def _run(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"WARD_DATABASE_URL": url, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def _json(url: str, *args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
    exit_code, out = _run(url, *args, "--json", env=env)
    assert exit_code == code, out
    return json.loads(out)


@pytest.fixture
def inventory(tmp_path: Path, listening_port: int, closed_port: int) -> str:
    url = f"sqlite:///{tmp_path / 'ward.db'}"
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY.format(up=listening_port, down=closed_port))
    assert _run(url, "db", "upgrade")[0] == 0
    assert _run(url, "inventory", "import", str(path))[0] == 0
    return url


def test_poll_everything_exits_1_when_a_device_failed(inventory: str) -> None:
    report = _json(inventory, "poll", "--kind", KIND, code=1)
    assert report["devices"] == 3
    assert report["kinds"] == [
        {"kind": KIND, "ok": 2, "failed": 1, "samples": 4, "duration_s": report["kinds"][0]["duration_s"]}
    ]
    assert [(f["device"], f["kind"]) for f in report["failures"]] == [("down1", KIND)]
    assert "ConnectionRefusedError" in report["failures"][0]["reason"]
    assert report["samples_written"] == 4
    [batch] = report["batches"]
    assert batch["duplicate"] is False
    assert batch["run_id"] == 1

    latest = _json(inventory, "samples", "latest")
    assert sorted((v["device"], v["metric"]) for v in latest) == [
        ("up1", CONNECT_MS),
        ("up1", SUCCESS_RATIO),
        ("up2", CONNECT_MS),
        ("up2", SUCCESS_RATIO),
    ]
    only = _json(inventory, "samples", "latest", "--device", "up2", "--metric", SUCCESS_RATIO)
    assert [(v["device"], v["value"]) for v in only] == [("up2", 1.0)]


@pytest.mark.parametrize(
    ("selector", "devices", "code"),
    [
        ("up1", ["up1"], 0),
        ("site:hub", ["up1"], 0),
        ("role:router", ["down1", "up1"], 1),
        ("group:routers", ["down1", "up1"], 1),
        ("region:west", ["down1", "up1", "up2"], 1),
        ('site == "branch" and role == "switch"', ["up2"], 0),
    ],
)
def test_limit_selects_devices(inventory: str, selector: str, devices: list[str], code: int) -> None:
    report = _json(inventory, "poll", "--kind", KIND, "--limit", selector, code=code)
    assert report["batches"][0]["devices"] == len(devices)
    assert report["devices"] == len(devices)
    assert sorted(f["device"] for f in report["failures"]) == [d for d in devices if d.startswith("down")]


def test_batches_are_split_and_each_writes_its_run(inventory: str) -> None:
    report = _json(inventory, "poll", "--kind", KIND, "--batch-size", "2", code=1)
    assert [b["devices"] for b in report["batches"]] == [2, 1]
    assert len({b["run_id"] for b in report["batches"]}) == 2
    assert report["devices"] == 3


def test_default_kinds_come_from_settings(inventory: str) -> None:
    env = {"WARD_POLL_KINDS": json.dumps([KIND]), "WARD_POLL_BATCH_SIZE": "1"}
    report = _json(inventory, "poll", "--limit", "site:hub", env=env)
    assert [k["kind"] for k in report["kinds"]] == [KIND]
    assert len(report["batches"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "snmp.nope"], "no plugin provides probe kind 'snmp.nope'"),
        (["--kind", KIND, "--limit", "site:nowhere"], "site 'nowhere' has no devices (sites: branch, hub)"),
        (["--kind", KIND, "--limit", "group:nope"], "unknown group 'nope'"),
        (["--kind", KIND, "--limit", "role:spine"], "no device has role 'spine' (roles: router, switch)"),
        (["--kind", KIND, "--limit", "ghost-7"], "filter 'ghost-7' at column 8: no device is named so"),
        (["--kind", KIND, "--limit", 'platform == "junos"'], "matches no device"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(inventory: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["poll", *args], env={"WARD_DATABASE_URL": inventory})
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_console_script_exit_codes_and_table(inventory: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    env["WARD_DATABASE_URL"] = inventory

    def ward(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WARD, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    ok = ward("poll", "--kind", KIND, "--limit", "up1")
    assert ok.returncode == 0, ok.stderr
    assert "poll of 1 device" in ok.stdout
    assert "1 device in 1 batch of up to 200, 2 samples written" in ok.stdout
    failed = ward("poll", "--kind", KIND)
    assert failed.returncode == 1
    assert "failed devices" in failed.stdout
    assert "down1" in failed.stdout
    bad = ward("poll", "--kind", "nope")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: no plugin provides probe kind 'nope'")
    assert "Traceback" not in bad.stderr
    unknown = ward("samples", "latest", "--device", "ghost")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: database: no device named 'ghost'"


def test_prune_keeps_recent_samples(inventory: str) -> None:
    _json(inventory, "poll", "--kind", KIND, code=1)
    pruned = _json(inventory, "samples", "prune", "--days", "1")
    assert (pruned["samples"], pruned["latest"], pruned["batches"]) == (0, 0, 0)
    assert len(_json(inventory, "samples", "latest")) == 4
    code, _ = _run(inventory, "samples", "prune", "--days", "0")
    assert code == 2
