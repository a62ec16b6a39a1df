"""``ward db`` and ``ward inventory`` as a user runs them: the console script in a subprocess for
the README flow and error exits, Typer's CliRunner for the JSON forms."""

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

from ward_core.cli import app
from ward_core.db.migrate import head_revision

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "inventory" / "example.yml"
WARD = shutil.which("ward", path=str(Path(sys.executable).parent)) or "ward"
SECRET_VALUES = ("ward-lab-login", "ward-lab-enable", "ward-lab-ro")


def _ward(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    environment.update(env or {})
    return subprocess.run(
        [WARD, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_readme_flow_on_the_embedded_default(tmp_path: Path) -> None:
    """With no settings at all ward uses SQLite in the working folder."""
    upgrade = _ward("db", "upgrade", cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"revision {head_revision()}, up to date" in upgrade.stdout
    assert (tmp_path / "ward.db").is_file()
    imported = _ward("inventory", "import", str(EXAMPLE), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    listed = _ward("inventory", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in ("hub-west-rtr1", "br001-rtr1", "br001-sw2", "br002-fw1.example.net"):
        assert name in listed.stdout
    assert "8 devices" in listed.stdout


def test_errors_exit_1_with_one_clear_message(tmp_path: Path) -> None:
    before = _ward("inventory", "list", cwd=tmp_path)
    assert before.returncode == 1
    assert before.stderr.strip() == (
        f"error: database sqlite:///ward.db is empty, ward needs revision {head_revision()}: "
        "run `ward db upgrade`"
    )
    assert not (tmp_path / "ward.db").exists()
    assert _ward("db", "upgrade", cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.yml"
    bad.write_text("devices:\n  - name: r1\n    host: 10.0.0.1\n    platform: cisco_ios\n    site: nowhere\n")
    rejected = _ward("inventory", "import", str(bad), cwd=tmp_path)
    assert rejected.returncode == 1
    assert rejected.stderr.splitlines() == [
        f"error: {bad}: rejected, nothing imported (1 error):",
        f"  {bad}:line 5, field 'site': unknown site 'nowhere' (declare it under sites:)",
    ]
    assert "Traceback" not in rejected.stderr


def _run(
    args: list[str], url: str, env: dict[str, str] | None = None
) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, args, env={"WARD_DATABASE_URL": url, **(env or {})})
    return result.exit_code, result.stdout, result.exception


def _json(args: list[str], url: str, env: dict[str, str] | None = None) -> Any:
    code, out, exc = _run([*args, "--json"], url, env)
    assert code == 0, (out, exc)
    return json.loads(out)


@pytest.fixture
def loaded(db_url: str) -> str:
    assert _json(["db", "current"], db_url)["current"] is None
    assert _json(["db", "upgrade"], db_url)["up_to_date"] is True
    report = _json(["inventory", "import", str(EXAMPLE)], db_url)
    assert report["devices"] == {"created": 8, "updated": 0, "unchanged": 0}
    return db_url


def test_reimport_reports_everything_unchanged(loaded: str) -> None:
    report = _json(["inventory", "import", str(EXAMPLE)], loaded)
    assert report["source"] == str(EXAMPLE)
    assert {
        kind: counts["created"] + counts["updated"] for kind, counts in report.items() if kind != "source"
    } == {
        "regions": 0,
        "sites": 0,
        "credentials": 0,
        "devices": 0,
        "groups": 0,
    }


def test_list_filters(loaded: str) -> None:
    def names(*args: str) -> list[str]:
        return [d["name"] for d in _json(["inventory", "list", *args], loaded)]

    assert len(names()) == 8
    assert names("--site", "branch-002") == ["br002-fw1", "br002-rtr1", "br002-sw1"]
    assert names("--role", "hub-router") == ["hub-west-rtr1", "hub-west-rtr2"]
    assert names("--group", "core") == ["hub-west-rtr1", "hub-west-rtr2"]
    assert names("--group", "west-branch-routers") == ["br001-rtr1"]
    assert names("--group", "access-switches", "--site", "branch-001") == ["br001-sw1", "br001-sw2"]
    code, _, exc = _run(["inventory", "list", "--group", "nope"], loaded)
    assert code == 1
    assert "unknown group 'nope'" in str(exc)


def test_show_and_groups(loaded: str) -> None:
    device = _json(["inventory", "show", "br001-rtr1"], loaded)
    assert device["host"] == "127.20.0.3"
    assert device["groups"] == ["pilot", "west-branch-routers"]
    assert device["snmp"] == {
        "version": "2c",
        "credentials": "lab-snmp",
        "port": 161,
        "user": None,
        "auth_protocol": None,
        "priv_protocol": None,
    }
    groups = {g["name"]: g for g in _json(["inventory", "groups"], loaded)}
    assert groups["core"]["kind"] == "static"
    assert groups["pilot"] == {
        "name": "pilot",
        "kind": "dynamic",
        "filter": '"pilot" in tags or vars.asn in [65001, 65002]',
        "description": "Devices in the config-backup pilot",
        "members": ["br001-rtr1", "br001-sw1", "br002-rtr1"],
    }
    code, out, _ = _run(["inventory", "show", "hub-west-rtr2"], loaded)
    assert code == 0
    assert "v3 port 161, user ward-v3, authPriv, credentials lab-snmpv3" in out
    code, _, exc = _run(["inventory", "show", "nope"], loaded)
    assert code == 1
    assert "no device named 'nope'" in str(exc)


def test_nothing_secret_is_ever_printed(loaded: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yml"
    secrets.write_text("lab-ssh: {username: ward, password: ward-lab-login, secret: ward-lab-enable}\n")
    env = {"WARD_SECRETS_FILE": str(secrets), "WARD_CRED_LAB_SNMP_COMMUNITY": "ward-lab-ro"}
    for args in (["inventory", "list"], ["inventory", "show", "br001-rtr1"], ["inventory", "groups"]):
        for extra in ([], ["--json"]):
            code, out, _ = _run([*args, *extra], loaded, env)
            assert code == 0
            assert not any(value in out for value in SECRET_VALUES), (args, extra)


def test_rejected_import_as_json(loaded: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,host,platform\nr1,10.0.0.1,cisco_ios\nr2,10.0.0.1/24,cisco_ios\nr1,10.0.0.3,cisco_ios\n"
    )
    code, out, _ = _run(["inventory", "import", str(bad), "--json"], loaded)
    assert code == 1
    report = json.loads(out)
    assert report["source"] == str(bad)
    assert [(e["source"], e["location"], e["field"]) for e in report["errors"]] == [
        (str(bad), "row 3", "host"),
        (str(bad), "row 4", "name"),
    ]
    assert report["errors"][0]["message"].startswith("'10.0.0.1/24' is neither an IP address nor a host name")
    assert report["errors"][1]["message"] == "duplicate device 'r1' (first at row 2)"
    assert len(_json(["inventory", "list"], loaded)) == 8
