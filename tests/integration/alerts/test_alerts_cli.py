"""The ``ward rules``, ``ward alerts`` and ``ward silences`` commands, run as a user would (the real
console entry point in a subprocess, every installed plugin loaded) against PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ward_core.db import session_scope
from ward_core.db.models import Group
from ward_core.types import Metric

pytestmark = pytest.mark.postgres

KIND = "test.gauges"
BAD = """\
rules:
  - name: device-down
    expr: last(ping.loss_pct) == 100 for 1m where role == "branch-router"
    severity: critical
  - name: high-rtt
    expr: avg(ping.rtt_avg_ms, 5m) > 100 andd last(ping.loss_pct) < 5
  - name: no-such-metric
    expr: |
      avg(ping.loss_pct, 5m) > 10
        and max(ping.rtt_ms, 5m) > 100
    message: "{{ devce }} is slow"
  - name: wrong-group
    expr: last(ping.loss_pct) > 10 where group "cores"
  - name: type-error
    expr: avg(ping.loss_pct, 5m) and 3
    severity: urgent
"""


def ward(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args],
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "200", **env},
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(pg_url: str, engine: Engine, tmp_path: Path) -> dict[str, str]:
    with session_scope(engine) as session:
        session.add(Group(name="core", kind="static"))
    return {"WARD_DATABASE_URL": pg_url, "WARD_LAB_DIR": str(tmp_path / "lab")}


def test_validate_reports_file_line_column_and_what_was_expected(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(BAD, encoding="utf-8")
    result = ward("rules", "validate", str(path), env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{path}:6:42: unexpected 'andd', expected ")
    assert "'and'" in lines[0] and "'for'" in lines[0] and "'where'" in lines[0]
    assert f"{path}:10:17: unknown metric 'ping.rtt_ms' (did you mean 'ping.rtt_min_ms'?)" in lines
    assert any(line.startswith(f"{path}:11:18: unknown variable 'devce' in the message") for line in lines)
    assert f"{path}:13:48: unknown group 'cores' (did you mean 'core'?) (known: core)" in lines
    assert f"{path}:15:11: 'and' joins conditions, got a number" in lines
    assert f"{path}:15:38: 'and' joins conditions, got a number" in lines
    assert f"{path}:16:15: severity 'urgent': expected one of info, warning, critical" in lines
    assert len(lines) == 7

    as_json = ward("rules", "validate", str(path), "--json", env=env)
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["rules"] == ["device-down"]
    assert {"file": str(path), "line": 6, "column": 42} == {
        k: report["problems"][0][k] for k in ("file", "line", "column")
    }


def test_load_refuses_bad_rules_and_stores_good_ones(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "rules.yml").write_text(BAD, encoding="utf-8")
    refused = ward("rules", "load", str(bad), env=env)
    assert refused.returncode == 1
    assert "alert rules refused (7 problems)" in refused.stderr
    assert json.loads(ward("rules", "list", "--json", env=env).stdout) == []

    playbooks = Path(__file__).resolve().parents[3] / "playbooks" / "rules"
    checked = ward("rules", "validate", str(playbooks), env=env)
    assert checked.returncode == 0, checked.stderr
    loaded = ward("rules", "load", str(playbooks), "--json", env=env)
    assert loaded.returncode == 0, loaded.stderr
    added = json.loads(loaded.stdout)["added"]
    for example in (
        "device-down",
        "packet-loss",
        "high-rtt",
        "interface-down",
        "interface-errors",
        "reboot-detected",
        "config-changed",
        "lldp-neighbour-lost",
    ):
        assert example in added
    listed = {r["name"]: r for r in json.loads(ward("rules", "list", "--json", env=env).stdout)}
    assert listed["device-down"]["severity"] == "critical"
    again = json.loads(ward("rules", "load", str(playbooks), "--json", env=env).stdout)
    assert again["added"] == [] and sorted(again["unchanged"]) == sorted(added)


def test_alerts_and_silences_commands(
    env: dict[str, str],
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    tmp_path: Path,
) -> None:
    add_devices(engine, {"r1": "site-a", "r2": "site-b"})
    harness = make_harness(scripted, "script")
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - name: lossy\n    expr: last(ping.loss_pct) > 20\n", encoding="utf-8")
    harness.load_rules(rules)
    scripted.set("r1", Metric("ping.loss_pct", 50.0))
    scripted.set("r2", Metric("ping.loss_pct", 0.0))
    harness.poll(KIND, ["r1", "r2"])

    listed = json.loads(ward("alerts", "list", "--json", env=env).stdout)
    assert [(a["rule"], a["device"], a["state"]) for a in listed] == [("lossy", "r1", "firing")]
    alert_id = str(listed[0]["id"])
    acked = ward("alerts", "ack", alert_id, "-m", "on it", "--by", "erin", "--json", env=env)
    assert acked.returncode == 0, acked.stderr
    assert json.loads(acked.stdout)["acked_by"] == "erin"
    assert [a["id"] for a in json.loads(ward("alerts", "list", "--acked", "--json", env=env).stdout)] == [
        int(alert_id)
    ]
    again = ward("alerts", "ack", "999999", "-m", "x", env=env)
    assert again.returncode == 1 and "no alert with id 999999" in again.stderr
    assert ward("alerts", "unack", alert_id, "--by", "erin", env=env).returncode == 0
    shown = json.loads(ward("alerts", "show", alert_id, "--json", env=env).stdout)
    assert [e["event"] for e in shown["history"]] == ["firing", "acked", "unacked"]
    assert shown["history"][1]["actor"] == "erin" and shown["acked"] is False
    table = ward("alerts", "show", alert_id, env=env)
    assert table.returncode == 0 and "lossy on r1" in table.stdout

    added = ward(
        "silences", "add", "--match", "site=site-b", "--duration", "1h", "-m", "works", "--json", env=env
    )
    assert added.returncode == 0, added.stderr
    silence = json.loads(added.stdout)
    assert silence["matchers"] == ["site=site-b"] and silence["state"] == "active"
    assert [s["id"] for s in json.loads(ward("silences", "list", "--json", env=env).stdout)] == [
        silence["id"]
    ]
    assert ward("silences", "expire", str(silence["id"]), env=env).returncode == 0
    assert json.loads(ward("silences", "list", "--json", env=env).stdout) == []
    bad = ward("silences", "add", "--match", "device", "--duration", "1h", env=env)
    assert bad.returncode == 1 and "write name=value" in bad.stderr

    scripted.set("r1", Metric("ping.loss_pct", 0.0))
    harness.poll(KIND, ["r1"])
    evaluated = ward("alerts", "evaluate", "--json", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["devices"] == 2
    resolved = json.loads(ward("alerts", "list", "--state", "resolved", "--json", env=env).stdout)
    assert [(a["device"], a["state"]) for a in resolved] == [("r1", "resolved")]
