"""The examples in the worker modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.worker.abandoned",
    "ward_core.worker.broker",
    "ward_core.worker.cycles",
    "ward_core.worker.job_dispatch",
    "ward_core.worker.job_runner",
    "ward_core.worker.lock",
    "ward_core.worker.messages",
    "ward_core.worker.metrics",
    "ward_core.worker.playbook_schedule",
    "ward_core.worker.registry",
    "ward_core.worker.retry",
    "ward_core.worker.stopping",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
