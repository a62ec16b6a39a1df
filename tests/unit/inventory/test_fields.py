"""Field rules: management addresses, platforms, names, SNMP settings and device entries."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ward_core.inventory.addresses import check_host
from ward_core.inventory.platforms import check_platform, netmiko_platforms
from ward_core.inventory.schema import DeviceSpec, GroupSpec
from ward_core.inventory.types import SnmpSettings


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("10.0.0.1", "10.0.0.1"),
        (" 192.0.2.10 ", "192.0.2.10"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::1", "::1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("rtr1", "rtr1"),
        ("RTR1.Branch-001.example.NET", "rtr1.branch-001.example.net"),
        ("rtr1.example.net.", "rtr1.example.net."),
        ("a" * 63 + ".example", "a" * 63 + ".example"),
    ],
)
def test_good_hosts(value: str, normalised: str) -> None:
    assert check_host(value) == normalised


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10.0.0.256", "cannot be all digits"),
        ("10.0.0", "cannot be all digits"),
        ("[2001:db8::1]", "without brackets"),
        ("2001:db8::g", "may hold only letters"),
        ("under_score.example", "may hold only letters"),
        ("-leading.example", "may hold only letters"),
        ("double..dot", "empty label"),
        ("a" * 64 + ".example", "longer than 63"),
        (".".join(["a" * 60] * 5), "at most 253"),
        ("", "empty"),
        ("host name", "may hold only letters"),
    ],
)
def test_bad_hosts(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_host(value)


def test_platforms_are_netmiko_device_types() -> None:
    known = netmiko_platforms()
    assert {"cisco_ios", "cisco_xe", "arista_eos", "juniper_junos", "linux"} <= known
    assert check_platform("arista_eos") == "arista_eos"
    with pytest.raises(ValueError, match=r"unknown platform 'arista' .*did you mean arista_eos"):
        check_platform("arista")
    with pytest.raises(ValueError, match=r"unknown platform 'Cisco IOS' \(not a netmiko device_type"):
        check_platform("Cisco IOS")


def _errors(model: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors()}


def test_snmp_v2c_and_v3() -> None:
    v2 = SnmpSettings.model_validate({"version": "2c", "credentials": "lab-snmp"})
    assert (v2.port, v2.security_level) == (161, None)
    v3 = SnmpSettings.model_validate(
        {"version": 3, "credentials": "v3", "user": "u", "auth_protocol": "sha256", "priv_protocol": "aes256"}
    )
    assert (v3.version, v3.security_level) == ("3", "authPriv")
    auth_only = SnmpSettings(version="3", credentials="v3", user="u", auth_protocol="md5")
    assert auth_only.security_level == "authNoPriv"
    assert SnmpSettings(version="3", credentials="v3", user="u").security_level == "noAuthNoPriv"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"version": "1", "credentials": "c"}, "version", "Input should be '2c' or '3'"),
        ({"version": "3", "credentials": "c"}, "user", "SNMP v3 needs a user"),
        ({"version": "2c", "credentials": "c", "user": "u"}, "user", "only SNMP v3 has a user"),
        ({"version": "2c", "credentials": "c", "auth_protocol": "sha"}, "auth_protocol", "only SNMP v3"),
        (
            {"version": "3", "credentials": "c", "user": "u", "priv_protocol": "aes128"},
            "priv_protocol",
            "auth_protocol",
        ),
        (
            {"version": "3", "credentials": "c", "user": "u", "auth_protocol": "sha1"},
            "auth_protocol",
            "'sha'",
        ),
        (
            {
                "version": "3",
                "credentials": "c",
                "user": "u",
                "auth_protocol": "sha",
                "priv_protocol": "3des",
            },
            "priv_protocol",
            "'aes128'",
        ),
        ({"version": "2c", "credentials": "c", "port": 0}, "port", "greater than or equal to 1"),
        ({"version": "2c"}, "credentials", "Field required"),
        ({"version": "2c", "credentials": "c", "community": "public"}, "community", "Extra inputs"),
    ],
)
def test_bad_snmp_settings(data: dict[str, Any], field: str, message: str) -> None:
    errors = _errors(SnmpSettings, data)
    assert field in errors
    assert message in errors[field]


def test_device_defaults_and_normalisation() -> None:
    device = DeviceSpec.model_validate(
        {"name": 1001, "host": "2001:DB8::1", "platform": "cisco_ios", "tags": ["a", "b", "a"]}
    )
    assert device.name == "1001"
    assert device.host == "2001:db8::1"
    assert device.port == 22
    assert device.tags == ["a", "b"]
    assert device.vars == {}
    assert device.snmp is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "a b", "host": "h", "platform": "cisco_ios"}, "name"),
        ({"name": "", "host": "h", "platform": "cisco_ios"}, "name"),
        ({"name": "r", "host": "h", "platform": "cisco_ios", "port": 65536}, "port"),
        ({"name": "r", "host": "h", "platform": "ios"}, "platform"),
        ({"name": "r", "host": "h h", "platform": "cisco_ios"}, "host"),
        ({"name": "r", "platform": "cisco_ios"}, "host"),
        ({"name": "r", "host": "h", "platform": "cisco_ios", "role": "branch router"}, "role"),
        ({"name": "r", "host": "h", "platform": "cisco_ios", "tags": "a"}, "tags"),
        ({"name": "r", "host": "h", "platform": "cisco_ios", "vars": {"s": {1, 2}}}, "vars"),
        ({"name": "r", "host": "h", "platform": "cisco_ios", "password": "x"}, "password"),
    ],
)
def test_bad_device_fields(data: dict[str, Any], field: str) -> None:
    assert field in _errors(DeviceSpec, data)


def test_group_kinds() -> None:
    assert GroupSpec(name="g", members=["a"]).kind == "static"
    assert GroupSpec(name="g").kind == "static"
    assert GroupSpec(name="g", filter='role == "x"').kind == "dynamic"
    assert "name" in _errors(GroupSpec, {"name": "site:x", "members": []})
