"""The examples in the backup modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.backup.text",
    "ward_core.backup.failures",
    "ward_core.backup.features",
    "ward_core.backup.git_export",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
