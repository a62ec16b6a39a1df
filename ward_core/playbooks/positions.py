"""YAML read with the line of every field, so that a refusal can name file, line and field.

>>> doc = load_with_lines("name: x\\nsteps:\\n  - probe: {kinds: [icmp]}\\n", "p.yml")
>>> doc.value["steps"][0]["probe"]["kinds"]
['icmp']
>>> doc.lines["steps[0].probe"], doc.lines["name"]
(3, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ward_core.errors import PlaybookError


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML document's value, and the 1-based line of each field path (``steps[2].when``)."""

    value: Any
    lines: dict[str, int] = field(default_factory=dict)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _walk(node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            child = _join(path, key)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def load_with_lines(text: str, source: str) -> Located:
    """Parse ``text`` (one YAML document); PlaybookError naming ``source`` and the line on a YAML error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PlaybookError(f"YAML error: {exc.problem or exc}", file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise PlaybookError(f"YAML error: {exc}", file=source) from None
    if node is None:
        return Located(None, {})
    lines: dict[str, int] = {}
    value = _walk(node, "", lines)
    return Located(value, lines)
