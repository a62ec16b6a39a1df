"""The examples in the inventory modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.db.session",
    "ward_core.inventory.addresses",
    "ward_core.inventory.credentials",
    "ward_core.inventory.csv_source",
    "ward_core.inventory.filters",
    "ward_core.inventory.fingerprint",
    "ward_core.inventory.platforms",
    "ward_core.inventory.schema",
    "ward_core.inventory.types",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
