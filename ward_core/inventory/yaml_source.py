"""Reading YAML inventory files, keeping the line of every key and list item.

The loader builds ordinary dicts and lists that also remember where each key or item was written,
so that validation errors found much later can still name the line. Keys repeated within one
mapping are errors, not silently overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml

from ward_core.errors import InventoryError
from ward_core.inventory.raw import SECTIONS, Path, RawInventory, RawRecord

if yaml.__with_libyaml__:
    from yaml import CSafeLoader as _BaseLoader
else:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int
    lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int
    lines: list[int]


class _LineLoader(_BaseLoader):
    duplicates: list[tuple[int, Any, int]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in data.lines:
            loader.duplicates.append((line, key, data.lines[key]))
        data[key] = loader.construct_object(value_node, deep=False)
        data.lines[key] = line


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.lines = []
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=False))
        data.lines.append(item.start_mark.line + 1)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _locator(record: LineDict) -> Callable[[Path], tuple[str, str]]:
    def locate(path: Path) -> tuple[str, str]:
        node: Any = record
        line = record.line
        for part in path:
            in_mapping = isinstance(node, LineDict) and part in node.lines
            in_list = isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_mapping or in_list):
                if isinstance(node, LineDict):
                    line = node.line  # a missing key: point at the mapping that lacks it
                break
            line, node = node.lines[part], node[part]
        return f"line {line}", ".".join(str(p) for p in path)

    return locate


def load_yaml(text: str, source: str) -> tuple[Any, list[InventoryError]]:
    """Parse ``text``; syntax errors and repeated keys come back as errors naming the line."""
    loader = _LineLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "cannot parse"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        return None, [
            InventoryError(f"YAML syntax error: {problem}{column}", source=source, location=location)
        ]
    except yaml.YAMLError as exc:
        return None, [InventoryError(f"YAML syntax error: {exc}", source=source)]
    finally:
        loader.dispose()
    errors = [
        InventoryError(
            f"key {key!r} repeated (first at line {first})", source=source, location=f"line {line}"
        )
        for line, key, first in loader.duplicates
    ]
    return data, errors


def read_yaml_inventory(text: str, source: str) -> RawInventory:
    """Split a YAML inventory into raw records of each section."""
    data, errors = load_yaml(text, source)
    raw = RawInventory(source=source, errors=errors)
    if data is None:
        return raw
    if not isinstance(data, LineDict):
        raw.errors.append(
            InventoryError(
                f"an inventory is a mapping with the sections {', '.join(SECTIONS)}",
                source=source,
                location=f"line {getattr(data, 'line', 1)}",
            )
        )
        return raw
    for section, items in data.items():
        line = data.lines[section]
        if section not in SECTIONS:
            raw.errors.append(
                InventoryError(
                    f"unknown section (known: {', '.join(SECTIONS)})",
                    source=source,
                    location=f"line {line}",
                    field=str(section),
                )
            )
            continue
        if items is None:
            continue
        if not isinstance(items, LineList):
            raw.errors.append(
                InventoryError(
                    "a section is a list of entries", source=source, location=f"line {line}", field=section
                )
            )
            continue
        for item, item_line in zip(items, items.lines, strict=True):
            if not isinstance(item, LineDict):
                raw.errors.append(
                    InventoryError(
                        "each entry is a mapping of fields",
                        source=source,
                        location=f"line {item_line}",
                        field=section,
                    )
                )
                continue
            raw.records.append(RawRecord(section, dict(item), f"line {item.line}", _locator(item)))
    return raw
