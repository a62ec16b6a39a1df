"""Command matching: abbreviations, ambiguity, arguments and where IOS puts the caret."""

from __future__ import annotations

import doctest
import importlib

import pytest

from ward_core.lab.ios.commands import CONFIG_TREE, PRIVILEGED_EXEC_TREE, USER_EXEC_TREE
from ward_core.lab.ios.grammar import Failure, Match, match, resolve_interface
from ward_core.lab.model import Device
from ward_core.lab.topology import build_network

DOCTESTED = (
    "ward_core.lab.ios.commands",
    "ward_core.lab.ios.passwords",
    "ward_core.lab.ios.pipes",
    "ward_core.lab.ios.platform",
    "ward_core.lab.ios.running_config",
    "ward_core.lab.ios.show_interfaces",
    "ward_core.lab.ios.show_neighbours",
    "ward_core.lab.ios.timefmt",
)


@pytest.mark.parametrize("module", DOCTESTED)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0


@pytest.fixture(scope="module")
def switch() -> Device:
    return build_network(6, 1).device("br001-sw1")


@pytest.mark.parametrize(
    ("line", "action", "words"),
    [
        ("sh ip int br", "show_ip_interface_brief", ("show", "ip", "interface", "brief")),
        ("SHOW VERSION", "show_version", ("show", "version")),
        ("sh lldp nei det", "show_lldp_neighbors_detail", ("show", "lldp", "neighbors", "detail")),
        ("sh run", "show_running_config", ("show", "running-config")),
        ("conf t", "configure_terminal", ("configure", "terminal")),
        ("wr mem", "write_memory", ("write", "memory")),
        ("wr", "write_memory", ("write",)),
        ("copy run start", "copy_run_start", ("copy", "running-config", "startup-config")),
        ("term len 0", "terminal_length", ("terminal", "length", "0")),
    ],
)
def test_abbreviations_resolve_like_ios(
    switch: Device, line: str, action: str, words: tuple[str, ...]
) -> None:
    found = match(PRIVILEGED_EXEC_TREE, line, switch)
    assert isinstance(found, Match)
    assert (found.action, found.words) == (action, words)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["Gi1/0/1"], "GigabitEthernet1/0/1"),
        (["gi1/0/28"], "GigabitEthernet1/0/28"),
        (["g1/0/2"], "GigabitEthernet1/0/2"),
        (["GigabitEthernet", "1/0/3"], "GigabitEthernet1/0/3"),
        (["gi", "1/0/4"], "GigabitEthernet1/0/4"),
    ],
)
def test_interface_names_long_short_and_split(switch: Device, words: list[str], expected: str) -> None:
    found = resolve_interface(switch, words)
    assert found is not None
    assert found[0].name == expected
    assert found[1] == len(words)


def test_unknown_or_ambiguous_interface_names_resolve_to_nothing(switch: Device) -> None:
    assert resolve_interface(switch, ["Gi9/0/1"]) is None
    assert resolve_interface(switch, ["t1/0/1"]) is None  # TenGigabitEthernet or Tunnel
    assert resolve_interface(switch, ["gi"]) is None


def test_ambiguous_prefix(switch: Device) -> None:
    assert match(USER_EXEC_TREE, "s", switch) == Failure("ambiguous", 0)
    assert match(CONFIG_TREE, "en", switch) == Failure("ambiguous", 0)
    assert isinstance(match(CONFIG_TREE, "end", switch), Match)


def test_incomplete_command(switch: Device) -> None:
    assert match(PRIVILEGED_EXEC_TREE, "show", switch) == Failure("incomplete")
    assert match(PRIVILEGED_EXEC_TREE, "show ip interface", switch) == Failure("incomplete")
    assert match(CONFIG_TREE, "interface", switch) == Failure("incomplete")


def test_caret_goes_under_the_first_character_no_keyword_continues(switch: Device) -> None:
    assert match(PRIVILEGED_EXEC_TREE, "show ip interface brife", switch) == Failure("invalid", 21)
    assert match(PRIVILEGED_EXEC_TREE, "show versoin", switch) == Failure("invalid", 9)
    assert match(CONFIG_TREE, "interface gi9/0/1", switch) == Failure("invalid", 12)


def test_first_unknown_word_is_flagged_for_exec_host_lookup(switch: Device) -> None:
    assert match(USER_EXEC_TREE, "frobnicate", switch) == Failure("invalid", 0, first_word=True)
    assert match(USER_EXEC_TREE, "show zzz", switch) == Failure("invalid", 5, first_word=False)


def test_configure_is_not_a_user_exec_command(switch: Device) -> None:
    assert isinstance(match(USER_EXEC_TREE, "conf t", switch), Failure)


def test_line_argument_keeps_the_text_as_typed(switch: Device) -> None:
    found = match(CONFIG_TREE, "do show  ip int br", switch)
    assert isinstance(found, Match)
    assert found.action == "do"
    assert found.rest_column == 3
    assert found.arguments == ("show  ip int br",)


def test_unimplemented_keyword_is_invalid_input_at_the_next_word(switch: Device) -> None:
    assert match(USER_EXEC_TREE, "ping 10.0.0.1", switch) == Failure("invalid", 5)
    assert match(USER_EXEC_TREE, "ping", switch) == Failure("incomplete")


def test_number_arguments_are_range_checked(switch: Device) -> None:
    assert isinstance(match(USER_EXEC_TREE, "terminal length 512", switch), Match)
    assert isinstance(match(USER_EXEC_TREE, "terminal length 513", switch), Failure)
