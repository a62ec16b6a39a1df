"""From the text a device prints to the text ward stores: the cisco_ios rules file, the redaction
and noise chain of every installed plugin, the digest, and who changed the configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ward_core.backup.rules import load_rules, templates_root
from ward_core.backup.snapshot import snapshot
from ward_core.backup.text import changed_lines, unified_diff
from ward_core.config import Settings
from ward_core.lab.model import LabNetwork
from ward_core.plugin_manager import WardPlugins

ROOT = templates_root(Settings.model_construct())
RULES = load_rules(ROOT, "cisco_ios")


def test_the_cisco_ios_rules_file_is_served_through_the_hooks(plugins: WardPlugins) -> None:
    assert RULES is not None
    assert plugins.backup_commands("cisco_ios") == ("show running-config",)
    assert plugins.backup_commands("no_such_platform") is None


@pytest.mark.parametrize("device", ["hub-west-rtr1", "br001-rtr1", "br001-sw1"])
def test_every_secret_of_a_lab_config_is_replaced_by_its_placeholder(
    plugins: WardPlugins,
    device: str,
    running_config: Callable[[str], str],
    lab_secrets: Callable[[str], set[str]],
) -> None:
    raw = running_config(device)
    secrets = lab_secrets(raw)
    assert len(secrets) >= 9
    snap = snapshot(plugins, RULES, device=device, platform="cisco_ios", raw=raw)
    assert [s for s in secrets if s in snap.text] == []
    for placeholder in (
        "enable secret 9 <redacted:enable-secret>",
        "privilege 15 secret 9 <redacted:user-secret>",
        "snmp-server community <redacted:snmp-community> RO",
        "tacacs-server host 10.10.1.10 key 7 <redacted:aaa-server-key>",
    ):
        assert placeholder in snap.text
    assert "snmp-server location" in snap.text and f"hostname {device}" in snap.text


def test_volatile_lines_are_dropped_so_time_alone_makes_no_new_digest(
    plugins: WardPlugins, network: LabNetwork, clock: Any, running_config: Callable[[str], str]
) -> None:
    first = snapshot(
        plugins, RULES, device="br001-rtr1", platform="cisco_ios", raw=running_config("br001-rtr1")
    )
    clock.now += 7 * 86400 + 1234
    network.save_config(network.device("br001-rtr1"))
    later_raw = running_config("br001-rtr1")
    assert "ntp clock-period" in later_raw
    later = snapshot(plugins, RULES, device="br001-rtr1", platform="cisco_ios", raw=later_raw)
    assert later.digest == first.digest
    for noise in ("Building configuration", "Current configuration", "NVRAM config", "ntp clock-period"):
        assert noise not in later.text


def test_a_change_shows_as_exactly_its_lines_and_who_made_it(
    plugins: WardPlugins, network: LabNetwork, clock: Any, running_config: Callable[[str], str]
) -> None:
    device = network.device("br001-sw1")
    before = snapshot(
        plugins, RULES, device=device.name, platform="cisco_ios", raw=running_config(device.name)
    )
    assert before.mark.by is None
    clock.now += 60
    next(iter(device.interfaces.values())).description = "changed by test"
    network.mark_config_changed(device, by="alice")
    after = snapshot(
        plugins, RULES, device=device.name, platform="cisco_ios", raw=running_config(device.name)
    )
    assert after.digest != before.digest
    assert after.mark.by == "alice" and after.mark.at is not None and "UTC" in after.mark.at
    added, removed = changed_lines(unified_diff(before.text, after.text, old_label="a", new_label="b"))
    assert added == [" description changed by test"]
    assert len(removed) == 1 and removed[0].startswith(" description ")


def test_redaction_keeps_the_line_and_replaces_only_the_secret() -> None:
    from ward_core.backup.text import redact

    assert RULES is not None
    text = (
        "snmp-server user mon WARD-V3 v3 auth sha AUTHKEY1 priv aes 128 PRIVKEY1\n"
        "line vty 0 4\n password 7 0822455D0A16\n"
        " neighbor 10.0.0.1 password 7 ABCDEF\n"
        "crypto isakmp key sharedsecret address 0.0.0.0\n"
        "radius-server host 10.0.0.9 key 7 RADKEY\n"
        "enable password plainpass\n"
    )
    out = redact(RULES.redact, text)
    for secret in ("AUTHKEY1", "PRIVKEY1", "0822455D0A16", "ABCDEF", "sharedsecret", "RADKEY", "plainpass"):
        assert secret not in out
    keys = "auth sha <redacted:snmp-user-keys> priv aes 128 <redacted:snmp-user-keys>"
    assert f"snmp-server user mon WARD-V3 v3 {keys}" in out
    assert "crypto isakmp key <redacted:isakmp-key> address 0.0.0.0" in out
    assert redact(RULES.redact, out) == out


def test_an_empty_answer_is_refused_rather_than_stored(plugins: WardPlugins) -> None:
    from ward_core.errors import DeviceError

    with pytest.raises(DeviceError, match="r1: the collected configuration is empty"):
        snapshot(plugins, RULES, device="r1", platform="cisco_ios", raw="Building configuration...\n\n")


def _rules_file(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "demo_os"
    folder.mkdir()
    (folder / "backup.yaml").write_text(body)
    return tmp_path


def test_a_bad_pattern_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    from ward_core.errors import ConfigError

    root = _rules_file(tmp_path, "commands:\n  - show conf\nredact:\n  key: '^key (?P<value>\\S+'\n")
    with pytest.raises(
        ConfigError, match=r"demo_os/backup.yaml:4: field 'redact.key': bad regular expression"
    ):
        load_rules(root, "demo_os")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("redact: {}\n", r"field 'commands': expected a list"),
        ("commands: []\n", r"field 'commands': needs at least one command"),
        ("commands: [show conf]\ncomand: x\n", r"unknown field\(s\) comand"),
        (
            "commands: [show conf]\nredact:\n  key: '^key \\S+'\n",
            r"redact.key': the pattern needs a named group",
        ),
        ("commands: [show conf]\nchanged_by: '^! at (?P<at>.*)'\n", r"changed_by': needs a group \(\?P<by>"),
        ("commands: [show conf\n", r"backup.yaml:2: YAML syntax error"),
    ],
)
def test_a_malformed_rules_file_names_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    from ward_core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_rules(_rules_file(tmp_path, body), "demo_os")


def test_a_platform_without_rules_file_has_none(tmp_path: Path) -> None:
    assert load_rules(tmp_path, "demo_os") is None
    assert load_rules(ROOT, "../etc") is None
