"""``ward lab inventory``: the running lab as an inventory file that ``ward inventory import`` takes."""

from __future__ import annotations

from typing import Any

import yaml

SNMP_V3_SETTINGS = {
    "version": "3",
    "user": "ward-v3",
    "auth_protocol": "sha",
    "priv_protocol": "aes128",
    "credentials": "lab-snmpv3",
}


def lab_inventory(state: dict[str, Any], snmp_version: str = "2c") -> dict[str, Any]:
    """Inventory document for the lab described by ``state`` (what the lab process wrote)."""
    spec = state["spec"]
    snmp: dict[str, Any]
    if snmp_version == "3":
        snmp = {**SNMP_V3_SETTINGS, "port": spec["snmp_port"]}
    else:
        snmp = {"version": "2c", "credentials": "lab-snmp", "port": spec["snmp_port"]}
    regions = sorted(set(state["sites"].values()))
    return {
        "sites": [
            {
                "name": name,
                "region": region,
                "description": f"lab {'hub' if name.startswith('hub-') else 'branch'}",
            }
            for name, region in sorted(state["sites"].items())
        ],
        "credentials": [
            {"name": "lab-ssh", "description": "simulated lab login and enable secret"},
            {"name": "lab-snmp", "description": "simulated lab SNMPv2c community"},
            {"name": "lab-snmpv3", "description": "simulated lab SNMPv3 authPriv keys"},
        ],
        "groups": [
            {"name": "hub-routers", "filter": 'role == "hub-router"'},
            {"name": "branch-routers", "filter": 'role == "branch-router"'},
            {"name": "access-switches", "filter": 'role == "access-switch"'},
            *(
                {
                    "name": f"{region}-branch-routers",
                    "filter": f'site.region == "{region}" and role == "branch-router"',
                }
                for region in regions
            ),
        ],
        "devices": [
            {
                "name": device["name"],
                "host": device["address"],
                "port": spec["ssh_port"],
                "platform": device["platform"],
                "site": device["site"],
                "role": device["role"],
                "credentials": "lab-ssh",
                "tags": ["lab", device["role"]],
                "vars": {"model": device["model"], "serial": device["serial"]},
                "snmp": snmp,
            }
            for device in state["devices"]
        ],
    }


def lab_inventory_yaml(state: dict[str, Any], secrets_path: str, snmp_version: str = "2c") -> str:
    """The inventory as YAML, with a header saying where the lab's secrets are."""
    header = (
        "# Inventory of the simulated lab (ward lab inventory).\n"
        f"# Credentials resolve from the lab's secrets file: export WARD_SECRETS_FILE={secrets_path}\n"
    )
    body = yaml.safe_dump(lab_inventory(state, snmp_version), sort_keys=False, width=120)
    return header + body
