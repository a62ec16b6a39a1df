"""``ward demo`` end to end: lab, playbooks, faults, and an approval command that really runs the fix."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ward_core.testing.lab import random_first_address

pytestmark = pytest.mark.lab

WARD = [sys.executable, "-m", "ward_core.cli"]


def test_the_demo_runs_in_under_a_minute_and_its_approval_command_fixes_the_drift(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    folder = tmp_path / "demo"
    args = ["demo", "--folder", str(folder), "--ssh-port", "17022", "--snmp-port", "17161"]
    args += ["--first-address", random_first_address()]
    config = folder / "ward.toml"
    try:
        done = subprocess.run(
            [*WARD, *args], env=env, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
        )
        out = done.stdout
        assert done.returncode == 0, out + done.stderr
        seconds = float(re.search(r"demo finished in ([\d.]+) s", out).group(1))  # type: ignore[union-attr]
        assert seconds < 60
        assert "20 devices in 6 sites (4 branches)" in out
        assert "+ip http server" in out and "| no ip http server" in out
        assert "lldp-neighbour-lost" in out
        svg = re.search(r"SVG written to (\S+)", out).group(1)  # type: ignore[union-attr]
        assert Path(svg).read_text(encoding="utf-8").startswith("<")
        line = next(line.strip() for line in out.splitlines() if "ward approvals approve" in line)
        assert line.startswith(f"WARD_CONFIG={config} WARD_USER=bob ward approvals approve ")
        words = shlex.split(line)
        assignments = dict(w.split("=", 1) for w in words[:2])
        approved = subprocess.run(
            [*WARD, *words[3:]],
            env={**env, **assignments},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert approved.returncode == 0, approved.stdout + approved.stderr
        assert "approved" in approved.stdout and "ran in this process" in approved.stdout
        request = words[words.index("approve") + 1]
        shown = subprocess.run(
            [*WARD, "remediation", "show", request],
            env={**env, "WARD_CONFIG": str(config)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert f"request {request}: succeeded ios.compliance_apply on br002-rtr1" in shown.stdout, (
            shown.stdout
        )
        assert "verify: ok" in shown.stdout
        assert f"WARD_CONFIG={config} ward lab down" in out
    finally:
        subprocess.run(
            [*WARD, "lab", "down"],
            env={**env, "WARD_CONFIG": str(config)},
            capture_output=True,
            timeout=60,
            check=False,
        )
