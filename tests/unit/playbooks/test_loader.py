"""Playbooks are checked before anything runs; a refusal names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ward_core.errors import PlaybookError
from ward_core.playbooks.demo import playbooks_root
from ward_core.playbooks.loader import load_playbook, parse_playbook
from ward_core.playbooks.steps import BUILTIN

SCHEMAS: dict[str, Any] = {
    **{name: step.params_schema for name, step in BUILTIN.items()},
    "echo": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
}
EXAMPLES = [
    "health_check.yml",
    "nightly_backup.yml",
    "discover_topology.yml",
    "compliance.yml",
    "remediate_down_interfaces.yml",
]

GOOD = """\
name: sample
description: a sample
targets: {group: west-branch-routers}
vars:
  kinds: [icmp]
  who: ops
batch_size: 10
concurrency: {per_site: 2}
waves: {canary: 1, percent: 50, max_failures: 1}
schedule: "*/5 * * * *"
steps:
  - id: reach
    probe: {kinds: "${kinds}"}
  - echo: {message: "hello ${who}"}
  - id: fix
    when: not reach.ok
    remediate: {action: ios.interface_enable, reason: "x on {device}", for_each: reach.links_down}
"""


def refused(text: str, **given: Any) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "p.yml", SCHEMAS, given or None)
    return caught.value


def test_a_good_playbook_is_read_with_its_settings() -> None:
    playbook = parse_playbook(GOOD, "p.yml", SCHEMAS)
    assert playbook.name == "sample" and playbook.targets == "group:west-branch-routers"
    assert [s.id for s in playbook.steps] == ["reach", "echo", "fix"]
    assert playbook.steps[0].params == {"kinds": ["icmp"]}
    assert playbook.steps[1].params == {"message": "hello ops"}
    assert [s.line for s in playbook.steps] == [12, 14, 15]
    when = playbook.steps[2].when
    assert when is not None and (when.step, when.field, when.negate) == ("reach", "ok", True)
    assert playbook.waves is not None and playbook.waves.percent == 50
    assert (playbook.batch_size, playbook.per_site, playbook.schedule) == (10, 2, "*/5 * * * *")


def test_given_vars_override_the_file() -> None:
    playbook = parse_playbook(GOOD, "p.yml", SCHEMAS, {"who": "noc"})
    assert playbook.steps[1].params == {"message": "hello noc"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_playbook_is_valid(name: str) -> None:
    playbook = load_playbook(playbooks_root() / name, SCHEMAS)
    assert playbook.steps and playbook.description


def test_a_yaml_error_names_the_line() -> None:
    error = refused("name: x\nsteps:\n  - probe: {kinds: [icmp\n")
    assert error.file == "p.yml" and error.line == 4
    assert str(error).startswith("p.yml:4: YAML error")


def test_an_unknown_step_type_names_line_and_field() -> None:
    error = refused("name: x\nsteps:\n  - probe: {}\n  - pign: {}\n")
    assert (error.line, error.field) == (4, "steps[1].pign")
    assert "unknown step type 'pign'" in str(error) and "probe" in str(error)


def test_a_bad_selector_names_the_targets_line() -> None:
    error = refused('name: x\ntargets: {selector: "role == "}\nsteps:\n  - probe: {}\n')
    assert (error.line, error.field) == (2, "targets.selector")
    assert "bad selector" in str(error)


def test_an_undefined_var_names_the_parameter() -> None:
    error = refused("name: x\nsteps:\n  - probe:\n      kinds: ['${nope}']\n")
    assert (error.line, error.field) == (4, "steps[0].probe.kinds[0]")
    assert "${nope} is not defined" in str(error)


def test_a_required_var_not_given_is_refused_until_given() -> None:
    text = "name: x\nvars: {site: null}\nsteps:\n  - echo: {message: 'at ${site}'}\n"
    error = refused(text)
    assert error.field == "steps[0].echo.message" and "--var site=VALUE" in str(error)
    assert parse_playbook(text, "p.yml", SCHEMAS, {"site": "b1"}).steps[0].params == {"message": "at b1"}


def test_a_var_not_declared_is_refused() -> None:
    assert "--var other is not declared" in str(refused(GOOD, other=1))


def test_bad_parameters_name_the_parameter() -> None:
    error = refused("name: x\nsteps:\n  - command:\n      commands: ['configure terminal']\n")
    assert (error.line, error.field) == (4, "steps[0].command.commands[0]")
    assert "does not match" in str(error)


def test_when_on_a_later_or_unknown_step_is_refused() -> None:
    error = refused(
        "name: x\nsteps:\n  - id: a\n    when: b.failed\n    probe: {}\n  - id: b\n    probe: {}\n"
    )
    assert (error.line, error.field) == (4, "steps[0].when")
    assert "does not come earlier" in str(error)
    assert (
        refused("name: x\nsteps:\n  - probe: {}\n  - when: probe\n    backup: {}\n").field == "steps[1].when"
    )


def test_schedule_fields_and_names() -> None:
    assert refused("name: x\nschedule: '* * *'\nsteps:\n  - probe: {}\n").line == 2
    assert refused("name: x\nstep:\n  - probe: {}\n").field == "step"
    assert refused("description: no name\nsteps:\n  - probe: {}\n").field == "name"
    assert refused("name: x\nsteps: []\n").field == "steps"
    duplicate = refused("name: x\nsteps:\n  - id: a\n    probe: {}\n  - id: a\n    backup: {}\n")
    assert duplicate.field == "steps[1].id"


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read the playbook"):
        load_playbook(tmp_path / "absent.yml", SCHEMAS)


def test_a_file_that_is_not_utf8_names_it(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PlaybookError, match="not UTF-8") as raised:
        load_playbook(path, SCHEMAS)
    assert "latin1.yml" in str(raised.value)
