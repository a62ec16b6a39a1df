"""The examples in the playbook modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.playbooks.model",
    "ward_core.playbooks.positions",
    "ward_core.playbooks.loader",
    "ward_core.playbooks.plan",
    "ward_core.playbooks.schedule",
    "ward_core.playbooks.steps.base",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
