"""Compliance judged by hier_config on lab configurations, per feature, with the cisco_ios templates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ward_core.backup.compliance import check_device
from ward_core.backup.features import ComplianceRules, load_compliance
from ward_core.backup.rules import load_rules, templates_root
from ward_core.backup.snapshot import snapshot
from ward_core.config import Settings
from ward_core.errors import ConfigError
from ward_core.lab.faults import DRIFT_LINES
from ward_core.lab.model import LabNetwork
from ward_core.plugin_manager import WardPlugins
from ward_core.types import DeviceTarget

ROOT = templates_root(Settings.model_construct())


def _target(network: LabNetwork, name: str) -> DeviceTarget:
    device = network.device(name)
    return DeviceTarget(
        name=name,
        host=device.address,
        platform="cisco_ios",
        site=device.site,
        role=device.role,
        region="west",
    )


def _stored(plugins: WardPlugins, raw: str, name: str) -> str:
    return snapshot(plugins, load_rules(ROOT, "cisco_ios"), device=name, platform="cisco_ios", raw=raw).text


def _rules(root: Path = ROOT) -> ComplianceRules:
    rules = load_compliance(root, "cisco_ios")
    assert rules is not None
    return rules


@pytest.mark.parametrize("name", ["hub-west-rtr1", "br001-rtr1", "br001-sw1"])
def test_the_lab_baseline_is_compliant_in_every_feature(
    plugins: WardPlugins, network: LabNetwork, running_config: Callable[[str], str], name: str
) -> None:
    result = check_device(
        plugins, _rules(), _target(network, name), _stored(plugins, running_config(name), name)
    )
    assert result.status == "compliant", [(f.feature, f.remediation, f.error) for f in result.features]
    assert {f.feature for f in result.features} == {
        "hostname",
        "services",
        "users",
        "aaa",
        "logging",
        "snmp",
        "ntp",
        "lines",
    }


@pytest.mark.parametrize(
    ("drift", "feature", "remediation"),
    [
        ("ip http server", "services", ("no ip http server",)),
        ("logging host 198.51.100.77", "logging", ("no logging host 198.51.100.77",)),
        ("no service password-encryption", "services", ("service password-encryption",)),
    ],
)
def test_each_drift_is_found_in_its_feature_with_the_command_that_fixes_it(
    plugins: WardPlugins,
    network: LabNetwork,
    running_config: Callable[[str], str],
    drift: str,
    feature: str,
    remediation: tuple[str, ...],
) -> None:
    assert drift in DRIFT_LINES
    network.device("br001-sw1").extra_config.append(drift)
    result = check_device(
        plugins,
        _rules(),
        _target(network, "br001-sw1"),
        _stored(plugins, running_config("br001-sw1"), "br001-sw1"),
    )
    assert result.status == "non-compliant"
    assert [(f.feature, f.remediation) for f in result.features if f.status != "compliant"] == [
        (feature, remediation)
    ]


def test_a_nested_section_is_judged_by_its_children(
    plugins: WardPlugins, network: LabNetwork, running_config: Callable[[str], str]
) -> None:
    raw = running_config("br001-rtr1").replace(
        "line vty 5 15\n transport input ssh\n", "line vty 5 15\n transport input telnet ssh\n"
    )
    result = check_device(
        plugins, _rules(), _target(network, "br001-rtr1"), _stored(plugins, raw, "br001-rtr1")
    )
    lines = result.feature("lines")
    assert lines.status == "non-compliant"
    assert lines.remediation == ("line vty 5 15", "  no transport input telnet ssh", "  transport input ssh")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "cisco_ios", tmp_path / "cisco_ios")
    return tmp_path


def test_a_template_error_names_template_line_and_variable_for_that_device_only(
    plugins: WardPlugins, network: LabNetwork, running_config: Callable[[str], str], tmp_path: Path
) -> None:
    root = _copy(tmp_path)
    template = root / "cisco_ios" / "intended" / "ntp.j2"
    template.write_text(
        "clock timezone UTC 0 0\n{% for s in vars.ntp_pool %}\nntp server {{ s }}\n{% endfor %}\n"
    )
    result = check_device(
        plugins,
        _rules(root),
        _target(network, "br001-rtr1"),
        _stored(plugins, running_config("br001-rtr1"), "br001-rtr1"),
    )
    ntp = result.feature("ntp")
    assert result.status == "error" and ntp.status == "error"
    assert ntp.error is not None
    assert f"{template}:2: device 'br001-rtr1': undefined variable 'ntp_pool'" in ntp.error
    assert all(f.status == "compliant" for f in result.features if f.feature != "ntp")


def test_a_template_rendering_lines_its_feature_does_not_own_is_an_error(
    plugins: WardPlugins, network: LabNetwork, running_config: Callable[[str], str], tmp_path: Path
) -> None:
    root = _copy(tmp_path)
    (root / "cisco_ios" / "intended" / "hostname.j2").write_text(
        "hostname {{ device.name }}\nip domain lookup\n"
    )
    result = check_device(
        plugins,
        _rules(root),
        _target(network, "br001-rtr1"),
        _stored(plugins, running_config("br001-rtr1"), "br001-rtr1"),
    )
    error = result.feature("hostname").error
    assert error is not None and "renders 'ip domain lookup', a line feature 'hostname' does not own" in error


def test_a_malformed_compliance_file_names_file_and_field(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "cisco_ios" / "compliance.yaml"
    path.write_text(
        "hier_config_platform: CISCO_IOS\nfeatures:\n  x:\n    template: intended/none.j2\n    lines: [a]\n"
    )
    with pytest.raises(
        ConfigError, match=r"compliance.yaml: feature 'x': field 'template': no template file"
    ):
        load_compliance(root, "cisco_ios")
    path.write_text("hier_config_platform: CISCO_IOZ\nfeatures: {}\n")
    with pytest.raises(ConfigError, match=r"'hier_config_platform': 'CISCO_IOZ' is not one of"):
        load_compliance(root, "cisco_ios")
