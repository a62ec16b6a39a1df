"""``ward topology`` on the lab, as a person runs it: discover, path, show --svg/--json, explain,
diff and overrides, each a real ``ward`` process on a real database."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ward_core.testing.lab import RunningLab

pytestmark = pytest.mark.lab

SVG = "{http://www.w3.org/2000/svg}"


def test_discover_path_svg_explain_diff_and_overrides(
    lab: RunningLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARD_DATABASE_URL", f"sqlite:///{tmp_path / 'ward.db'}")
    monkeypatch.setenv("WARD_SECRETS_FILE", str(lab.lab_dir / "secrets.yml"))
    inventory = tmp_path / "lab.yml"
    inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
    lab.ward("db", "upgrade")
    lab.ward("inventory", "import", str(inventory))

    first = json.loads(lab.ward("topology", "discover", "--transport", "snmp", "--json").stdout)
    assert (first["collected"], first["links"], first["two_sided"], first["unmatched"]) == (20, 23, 23, 0)

    path = json.loads(lab.ward("topology", "path", "br001-sw1", "br004-sw2", "--json").stdout)
    shortest = path["paths"][0]["path"]
    assert [hop["from"] for hop in shortest] == ["br001-sw1", "br001-rtr1", shortest[2]["from"], "br004-rtr1"]
    assert shortest[2]["from"] in ("hub-west-rtr1", "hub-east-rtr1")
    assert shortest[0]["links"] == [
        {"from_interface": "GigabitEthernet1/0/28", "to_interface": "GigabitEthernet0/0/2"}
    ]
    assert len(path["paths"]) == 3
    text = lab.ward("topology", "path", "br001-sw1", "br004-sw2").stdout
    assert "shortest (4 hops)" in text and "alternative 1" in text

    picture = tmp_path / "lab.svg"
    lab.ward("topology", "show", "--svg", "--output", str(picture))
    root = ET.parse(picture).getroot()
    names = {t.text for t in root.iter(f"{SVG}text")}
    assert {d["name"] for d in lab.devices} <= names
    assert len(list(root.iter(f"{SVG}line"))) == 23
    site = ET.fromstring(lab.ward("topology", "show", "--site", "branch-001", "--svg").stdout)
    assert {"br001-rtr1", "br001-sw1", "hub-west-rtr1"} <= {t.text for t in site.iter(f"{SVG}text")}

    shown = json.loads(lab.ward("topology", "show", "--site", "branch-002", "--json").stdout)
    assert shown["uplinks"] == {"branch-002": "br002-rtr1"}
    assert "digraph" not in lab.ward("topology", "show", "--dot").stdout

    lab.ward(
        "topology", "override", "ignore", "br001-rtr1", "Gi0/1/2", "br001-sw4", "Gi1/0/28", "--reason", "test"
    )
    second = json.loads(lab.ward("topology", "discover", "--transport", "ssh", "--json").stdout)
    assert second["removed"] == ["br001-rtr1 GigabitEthernet0/1/2 -- br001-sw4 GigabitEthernet1/0/28"]
    explained = json.loads(lab.ward("topology", "explain", "br001-sw4", "--json").stdout)
    assert {e["verdict"] for e in explained["explanations"]} == {"ignored"}
    assert all("(test)" in e["detail"] for e in explained["explanations"])
    diff = json.loads(lab.ward("topology", "diff", "--json").stdout)
    assert (diff["old"], diff["new"], len(diff["removed"]), diff["added"]) == (1, 2, 1, [])

    refused = lab.ward("topology", "path", "br001-sw1", "nowhere", check=False)
    assert refused.returncode == 2 and "'nowhere' is not in the topology" in refused.stderr
