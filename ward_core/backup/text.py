"""Pure functions on configuration text: redaction, noise removal, digests and diffs.

Everything here works on whole texts and has no side effect, so the examples are the tests.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ward_core.backup.rules import PlatformRules, RedactRule


def redact(rules: Iterable[RedactRule], text: str) -> str:
    """``text`` with what every named group of every rule matched replaced by the rule's placeholder.

    >>> rule = RedactRule("community", re.compile(r"^snmp-server community (?P<value>\\S+)", re.M), "<x>")
    >>> print(redact([rule], "snmp-server community s3cret RO\\nhostname sw1"))
    snmp-server community <x> RO
    hostname sw1
    """
    for rule in rules:
        text = rule.pattern.sub(_replacer(rule.placeholder), text)
    return text


def _replacer(placeholder: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return _replace_groups(match, placeholder)

    return replace


def _replace_groups(match: re.Match[str], placeholder: str) -> str:
    """The matched text with each participating named group replaced by ``placeholder``."""
    start = match.start()
    spans = sorted(match.span(name) for name in match.re.groupindex if match.span(name) != (-1, -1))
    pieces: list[str] = []
    cursor = start
    for begin, end in spans:
        if begin < cursor:
            continue
        pieces += [match.string[cursor:begin], placeholder]
        cursor = end
    pieces.append(match.string[cursor : match.end()])
    return "".join(pieces)


def drop_noise(patterns: Sequence[re.Pattern[str]], text: str) -> str:
    """``text`` without the lines that match one of ``patterns``, trailing blanks stripped, leading
    and trailing empty lines removed, and one final newline.

    >>> noise = [re.compile(r"^ntp clock-period \\d+")]
    >>> print(drop_noise(noise, "\\n\\nntp clock-period 17\\nend  \\n\\n"), end="")
    end
    """
    kept = [line.rstrip() for line in text.splitlines() if not any(p.match(line) for p in patterns)]
    body = "\n".join(kept).strip("\n")
    return body + "\n" if body else ""


@dataclass(frozen=True, slots=True)
class ChangeMark:
    """Who changed the configuration, and when, as the device itself says."""

    by: str | None
    at: str | None


def change_mark(rules: PlatformRules, text: str) -> ChangeMark:
    """What the ``changed_by`` rule finds in ``text`` (read before noise removal drops it).

    >>> from pathlib import Path
    >>> rules = PlatformRules(platform="p", source=Path("x"), commands=("show run",),
    ...     changed_by=re.compile(r"^! Last change at (?P<at>.+?) by (?P<by>\\S+)$", re.M))
    >>> change_mark(rules, "!\\n! Last change at 10:00:01 UTC by alice\\nhostname r1")
    ChangeMark(by='alice', at='10:00:01 UTC')
    """
    if rules.changed_by is None:
        return ChangeMark(None, None)
    found = rules.changed_by.search(text)
    if found is None:
        return ChangeMark(None, None)
    groups = found.groupdict()
    return ChangeMark(groups.get("by"), groups.get("at"))


def rejection(patterns: Sequence[re.Pattern[str]], output: str, head: int = 5) -> str | None:
    """The line of a command's ``output`` saying the device refused it, or None.

    Only the first ``head`` lines are read: devices print the refusal first, and a stored banner
    quoting an error message must not fail the backup.

    >>> rejection([re.compile(r"^% Invalid input")], "       ^\\n% Invalid input detected at '^' marker.\\n")
    "% Invalid input detected at '^' marker."
    >>> rejection([re.compile(r"^% Invalid input")], "hostname r1\\n") is None
    True
    """
    for line in output.splitlines()[:head]:
        if any(p.search(line) for p in patterns):
            return line.strip()
    return None


def digest(text: str) -> str:
    """The SHA-256 of ``text``'s UTF-8 bytes, in hex: the address of a stored configuration.

    >>> digest("hostname r1\\n")[:16]
    '7e139a0aa1a336cc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> str:
    """A unified diff between two configuration texts (empty when they are equal).

    >>> print(unified_diff("a\\nb\\n", "a\\nc\\n", old_label="v1", new_label="v2"), end="")
    --- v1
    +++ v2
    @@ -1,2 +1,2 @@
     a
    -b
    +c
    """
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
        n=context,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_counts(diff: str) -> tuple[int, int]:
    """Lines added and removed by a unified ``diff``.

    >>> diff_counts("--- a\\n+++ b\\n@@ -1 +1,2 @@\\n-x\\n+y\\n+z\\n")
    (2, 1)
    """
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The lines a unified ``diff`` adds and removes, without their ``+``/``-`` marks.

    >>> changed_lines("--- a\\n+++ b\\n@@ -1 +1 @@\\n- description old\\n+ description new\\n")
    ([' description new'], [' description old'])
    """
    added: list[str] = []
    removed: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("-"):
            removed.append(line[1:])
    return added, removed
