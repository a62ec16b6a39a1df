"""The examples in the topology modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.topology.names",
    "ward_core.topology.model",
    "ward_core.topology.overrides",
    "ward_core.topology.ports",
    "ward_core.topology.records",
    "ward_core.topology.dot",
    "ward_core.topology.service",
    "ward_lldp.decode",
    "ward_lldp.tables",
    "ward_lldp.cdp_tables",
    "ward_lldp.oids",
    "ward_ios_neighbours.parse",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
