"""The configuration change a plan would make, predicted with hier_config, as a unified diff.

Approvers read the exact commands; the diff shows what they add up to. Decisions:

- only actions that change configuration (``ActionSpec.changes_config``) get a diff; the commands
  of the others (``clear counters``, ``reload``) are not configuration lines;
- the text the commands apply to is the plan's pre-check output when it holds a section the
  commands enter (an interface's running config), else the device's latest backup (redacted, as
  stored), else there is no diff;
- plans list configuration-mode commands flat (``interface X``, ``shutdown``): a command whose
  first word opens sections in that text (``interface``) starts a section, and the commands after it
  belong to it until the next such command or ``exit``/``end``; indented commands are kept as they
  are. Each section is applied in order with hier_config's ``future``, so a bounce (``shutdown``
  then ``no shutdown``) predicts no net change;
- the platform's hier_config driver is the one its compliance rules name
  (``templates/<platform>/compliance.yaml``); without rules there is no diff.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hier_config import HConfig, Platform, get_hconfig
from hier_config.exceptions import DuplicateChildError

LEAVE_SECTION = frozenset({"exit", "end", "!"})


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """The predicted change: unified diff lines (empty: no net change) and what it is against."""

    lines: tuple[str, ...]
    basis: str

    @property
    def changes(self) -> bool:
        """True when the commands leave the configuration different."""
        return bool(self.lines)


def section_words(config: HConfig) -> frozenset[str]:
    """First words of the lines that hold children (``interface``, ``router``...).

    >>> sorted(section_words(get_hconfig(Platform.CISCO_IOS, "interface Gi1\\n shutdown\\nhostname a")))
    ['interface']
    """
    return frozenset(child.text.split()[0] for child in config.children if child.children)


def blocks(commands: Sequence[str], openers: frozenset[str]) -> list[str]:
    """The commands as configuration texts to apply one after the other (module docstring).

    >>> blocks(["interface Gi1", "shutdown", "interface Gi1", "no shutdown"], frozenset({"interface"}))
    ['interface Gi1\\n shutdown', 'interface Gi1\\n no shutdown']
    >>> blocks(["no ip http server", "hostname b"], frozenset({"interface"}))
    ['no ip http server\\nhostname b']
    """
    found: list[list[str]] = []
    current: list[str] = []
    inside = False
    for raw in commands:
        line = raw.rstrip()
        word = line.split()[0] if line.strip() else ""
        if not word or word in LEAVE_SECTION:
            inside = False
            continue
        if line[0].isspace():
            current.append(line)
        elif word in openers:
            if current:
                found.append(current)
            current, inside = [line], True
        elif inside:
            current.append(f" {line}")
        else:
            current.append(line)
    if current:
        found.append(current)
    return ["\n".join(block) for block in found]


def _opens(text: str, platform: Platform, commands: Sequence[str]) -> bool:
    config = get_hconfig(platform, text)
    heads = {line.strip() for line in commands if line.strip() and not line[0].isspace()}
    return any(child.text in heads and child.children for child in config.children)


def predict(
    platform: Platform,
    commands: Sequence[str],
    *,
    precheck: str | None,
    backup: Callable[[], tuple[str, str] | None],
) -> ConfigDiff | None:
    """The diff of ``commands`` against the pre-check, else against what ``backup()`` returns
    (text, what it is; called only then); None when there is nothing to compare against or
    hier_config cannot read the texts (a section twice in a text, say)."""
    try:
        use_precheck = bool(precheck) and _opens(str(precheck), platform, commands)
    except DuplicateChildError:
        use_precheck = False
    if use_precheck:
        before_text, basis = str(precheck), "the pre-check output"
    else:
        stored = backup()
        if stored is None:
            return None
        before_text, basis = stored
    try:
        before = get_hconfig(platform, before_text)
        after = before
        for block in blocks(commands, section_words(before)):
            after = after.future(get_hconfig(platform, block))
    except DuplicateChildError:
        return None
    old, new = list(before.dump_simple()), list(after.dump_simple())
    lines = tuple(difflib.unified_diff(old, new, fromfile="before", tofile="after", lineterm="", n=2))
    return ConfigDiff(lines=lines, basis=basis)
