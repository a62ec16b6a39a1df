"""Reading inventory files: every problem is reported with the file, line or row, and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ward_core.errors import FilterError, InventoryError, InventoryRejected
from ward_core.inventory.document import InventoryDocument, parse_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "inventory" / "example.yml"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(doc: InventoryDocument) -> list[tuple[str | None, str | None, str]]:
    return sorted((e.location, e.field, e.reason) for e in doc.errors)


def _rejected(doc: InventoryDocument) -> InventoryRejected:
    with pytest.raises(InventoryRejected) as caught:
        doc.reject_if_errors()
    return caught.value


def test_the_example_inventory_is_valid() -> None:
    doc = parse_inventory(EXAMPLE)
    assert doc.errors == []
    assert len(doc.devices) == 8
    assert {e.spec.name for e in doc.regions} == {"west", "east"}
    assert len(doc.sites) == 3
    assert {e.spec.name: e.spec.kind for e in doc.groups} == {
        "core": "static",
        "west-branch-routers": "dynamic",
        "access-switches": "dynamic",
        "pilot": "dynamic",
    }
    hub2 = next(e.spec for e in doc.devices if e.spec.name == "hub-west-rtr2")
    assert hub2.snmp is not None
    assert hub2.snmp.security_level == "authPriv"


def test_yaml_errors_name_the_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "inv.yml",
        """\
sites:
  - {name: s1, region: west}
credentials:
  - {name: c1}
devices:
  - name: r1
    host: 10.0.0.1
    platform: cisco_ios
  - name: r2
    host: 10.0.0.999
    platform: cisco_iosxe
    snmp:
      version: "3"
      credentials: c1
  - name: r1
    host: 10.0.0.3
    platform: cisco_ios
    tags: [ok, "bad tag"]
""",
    )
    doc = parse_inventory(path)
    problems = _problems(doc)
    assert [(location, field) for location, field, _ in problems] == [
        ("line 10", "host"),
        ("line 11", "platform"),
        ("line 13", "snmp.user"),
        ("line 15", "name"),
        ("line 18", "tags.1"),
    ]
    messages = [message for _, _, message in problems]
    assert messages[0] == (
        "'10.0.0.999' is neither an IP address nor a host name "
        "(a host name's last label cannot be all digits)"
    )
    assert messages[1].startswith("unknown platform 'cisco_iosxe' (not a netmiko device_type; did you mean ")
    assert messages[2:] == [
        "SNMP v3 needs a user",
        "duplicate device 'r1' (first at line 6)",
        "a name cannot contain whitespace",
    ]
    rejected = _rejected(doc)
    assert str(rejected).startswith(f"{path}: rejected, nothing imported (5 errors):\n")
    assert f"{path}:line 13, field 'snmp.user': SNMP v3 needs a user" in str(rejected)


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        ("devices:\n  - name: a\n   host: b\n", "line 3", "YAML syntax error"),
        ("devices: [\n", "line 2", "YAML syntax error"),
        ("devices:\n  - {name: a, name: b}\n", "line 2", "key 'name' repeated (first at line 2)"),
        ("- a\n- b\n", "line 1", "an inventory is a mapping"),
        ("hosts: []\n", "line 1", "unknown section"),
        ("devices: {name: a}\n", "line 1", "a section is a list of entries"),
        ("devices:\n  - r1\n", "line 2", "each entry is a mapping of fields"),
    ],
)
def test_yaml_structure_errors(tmp_path: Path, text: str, location: str, message: str) -> None:
    doc = parse_inventory(_write(tmp_path, "inv.yaml", text))
    assert doc.errors
    assert doc.errors[0].location == location
    assert message in doc.errors[0].reason


def test_an_empty_file_is_an_empty_inventory(tmp_path: Path) -> None:
    doc = parse_inventory(_write(tmp_path, "inv.yml", "# nothing yet\n"))
    assert doc.errors == [] and doc.devices == []


def test_secrets_in_an_inventory_are_refused_without_echoing_them(tmp_path: Path) -> None:
    doc = parse_inventory(_write(tmp_path, "inv.yml", "credentials:\n  - name: c1\n    password: hunter2\n"))
    assert _problems(doc) == [
        (
            "line 3",
            "password",
            "secrets never go in an inventory file: put them in the secrets file or "
            "WARD_CRED_<NAME>_<FIELD> environment variables",
        )
    ]
    assert "hunter2" not in str(_rejected(doc))


def test_filter_errors_carry_file_line_and_column(tmp_path: Path) -> None:
    text = (
        "groups:\n"
        "  - name: g1\n"
        '    filter: \'role == "a" and sitee == "b"\'\n'
        "  - {name: g2, filter: x, members: []}\n"
    )
    doc = parse_inventory(_write(tmp_path, "inv.yml", text))
    first = doc.errors[0]
    assert isinstance(first, FilterError)
    assert (first.source, first.location, first.field, first.column) == (
        str(tmp_path / "inv.yml"),
        "line 3",
        "filter",
        17,
    )
    assert "unknown attribute 'sitee'" in str(first)
    assert (doc.errors[1].location, doc.errors[1].field) == ("line 4", "filter")
    assert "not both" in doc.errors[1].reason


def test_csv_rows_become_devices_sites_and_regions(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "inv.csv",
        "name,host,port,platform,site,region,role,tags,credentials,snmp_version,snmp_credentials,snmp_port,vars.asn,vars.rack\n"
        "r1,10.0.0.1,,cisco_ios,s1,,branch-router,branch;router,lab-ssh,2c,lab-snmp,,65001,R01\n"
        "r2,10.0.0.2,2222,cisco_ios,s1,west,access-switch,,,,,,,\n"
        "\n"
        "r3,r3.example.net,,arista_eos,s2,east,,switch,,,,,,\n",
    )
    doc = parse_inventory(path)
    assert doc.errors == []
    devices = {e.spec.name: e.spec for e in doc.devices}
    assert devices["r1"].port == 22
    assert devices["r1"].tags == ["branch", "router"]
    assert devices["r1"].vars == {"asn": 65001, "rack": "R01"}
    assert devices["r1"].snmp is not None and devices["r1"].snmp.credentials == "lab-snmp"
    assert devices["r2"].port == 2222 and devices["r2"].snmp is None
    assert {e.spec.name: e.spec.region for e in doc.sites} == {"s1": "west", "s2": "east"}
    assert sorted(e.spec.name for e in doc.regions) == ["east", "west"]


def test_csv_errors_name_the_row_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "inv.csv",
        "name,host,platform,site,region,snmp_version,snmp_credentials,snmp_port\n"
        "r1,10.0.0.1,cisco_ios,s1,west,2c,c1,70000\n"
        "r2,10.0.0.2,cisco_ios,s1,east,,,\n"
        "r1,10.0.0.3,juniper-junos,,,,,\n"
        "r4,10.0.0.4,cisco_ios\n"
        "r5,10.0.0.5,cisco_ios,,west,,,\n",
    )
    problems = _problems(parse_inventory(path))
    assert [(location, field) for location, field, _ in problems] == [
        ("row 2", "snmp_port"),
        ("row 3", "region"),
        ("row 4", "name"),
        ("row 4", "platform"),
        ("row 5", None),
        ("row 6", "region"),
    ]
    messages = [message for _, _, message in problems]
    assert messages[0] == "Input should be less than or equal to 65535"
    assert messages[1] == "site 's1' is in region 'west' at row 2, not 'east'"
    assert messages[2] == "duplicate device 'r1' (first at row 2)"
    assert messages[3].startswith(
        "unknown platform 'juniper-junos' (not a netmiko device_type; did you mean juniper_junos"
    )
    assert messages[4] == "3 cells, but the header has 8 columns"
    assert messages[5] == "a region needs a site"


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("name,host,platform,colour\n", "colour", "unknown column"),
        ("name,host\n", "platform", "required column missing"),
        ("name,host,platform,name\n", "name", "column appears twice"),
    ],
)
def test_csv_header_errors(tmp_path: Path, text: str, field: str, message: str) -> None:
    errors = parse_inventory(_write(tmp_path, "inv.csv", text)).errors
    assert [(e.location, e.field) for e in errors] == [("row 1", field)]
    assert message in errors[0].reason


def test_csv_syntax_error_names_the_row(tmp_path: Path) -> None:
    doc = parse_inventory(_write(tmp_path, "inv.csv", 'name,host,platform\nr1,"10.0.0.1,cisco_ios\n'))
    assert [(e.location, e.reason.split(":")[0]) for e in doc.errors] == [("row 2", "CSV syntax error")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("inv.json", "{}", "unknown inventory format (use .yml, .yaml, .csv)"),
        ("missing.yml", None, "no such file"),
        ("latin1.yml", b"devices: []\n# caf\xe9\n", "not UTF-8 text"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str | bytes | None, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InventoryError, match=re.escape(f"{path}: {message}")) as caught:
        parse_inventory(path)
    assert caught.value.source == str(path)


def test_many_errors_are_all_kept_and_the_message_shows_the_first_twenty(tmp_path: Path) -> None:
    rows = "".join(f"r{i},10.0.0.{i},bogus_os\n" for i in range(30))
    doc = parse_inventory(_write(tmp_path, "inv.csv", "name,host,platform\n" + rows))
    rejected = _rejected(doc)
    assert len(rejected.errors) == 30
    message = str(rejected)
    assert "row 21," in message and "row 22," not in message
    assert message.endswith("... and 10 more")
