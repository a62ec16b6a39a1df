"""The examples in the probes modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["ward_core.probes.labels", "ward_core.probes.rates", "ward_core.probes.selection"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
