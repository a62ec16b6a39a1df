"""Label sets as canonical text, so that one series has one spelling in an index or a primary key.

``labels_key`` writes the labels sorted by name, the way :attr:`ward_core.types.Metric.key` and
Prometheus write them, with ``\\`` and ``"`` escaped so that any value round-trips through
:func:`parse_labels_key`. A metric without labels has the empty key ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from ward_core.types import COUNTER_BITS_LABEL

_SPECIAL = frozenset('\\"\n')


def _escape(value: str) -> str:
    if _SPECIAL.isdisjoint(value):
        return value
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels_key(labels: Mapping[str, str]) -> str:
    """The canonical text of ``labels``.

    >>> labels_key({"ifname": "Gi0/1", "counter_bits": "64"})
    'counter_bits="64",ifname="Gi0/1"'
    >>> labels_key({})
    ''
    >>> labels_key({"descr": 'uplink "A"'})
    'descr="uplink \\\\"A\\\\""'
    """
    if not labels:
        return ""
    return _key_of(tuple(labels.items()))


@lru_cache(maxsize=1 << 16)
def _key_of(items: tuple[tuple[str, str], ...]) -> str:
    """The key of one label set; a fleet repeats the same few thousand sets (``ifname="Gi0/1"``)
    on every device and every poll, so this is mostly a cache hit."""
    return ",".join(f'{name}="{_escape(str(value))}"' for name, value in sorted(items))


def parse_labels_key(key: str) -> dict[str, str]:
    """The labels a :func:`labels_key` text stands for.

    >>> parse_labels_key('counter_bits="64",ifname="Gi0/1"')
    {'counter_bits': '64', 'ifname': 'Gi0/1'}
    >>> parse_labels_key(labels_key({"a": 'x,"y"=\\\\z'})) == {"a": 'x,"y"=\\\\z'}
    True
    >>> parse_labels_key("")
    {}
    >>> parse_labels_key('ifname=Gi0/1')
    Traceback (most recent call last):
    ...
    ValueError: labels key 'ifname=Gi0/1': expected '"' at position 7
    """
    labels: dict[str, str] = {}
    position = 0
    while position < len(key):
        equals = key.find("=", position)
        if equals < 0:
            raise ValueError(f"labels key {key!r}: expected '=' after position {position}")
        name = key[position:equals]
        position = equals + 1
        if position >= len(key) or key[position] != '"':
            raise ValueError(f"labels key {key!r}: expected '\"' at position {position}")
        position += 1
        value: list[str] = []
        while True:
            if position >= len(key):
                raise ValueError(f"labels key {key!r}: unterminated value of {name!r}")
            char = key[position]
            if char == "\\" and position + 1 < len(key):
                escaped = key[position + 1]
                value.append("\n" if escaped == "n" else escaped)
                position += 2
            elif char == '"':
                position += 1
                break
            else:
                value.append(char)
                position += 1
        labels[name] = "".join(value)
        if position < len(key):
            if key[position] != ",":
                raise ValueError(f"labels key {key!r}: expected ',' at position {position}")
            position += 1
    return labels


def without_counter_bits(labels: Mapping[str, str]) -> dict[str, str]:
    """``labels`` minus :data:`~ward_core.types.COUNTER_BITS_LABEL`: the labels of a derived rate.

    >>> without_counter_bits({"ifname": "Gi0/1", "counter_bits": "32"})
    {'ifname': 'Gi0/1'}
    """
    return {name: value for name, value in labels.items() if name != COUNTER_BITS_LABEL}
