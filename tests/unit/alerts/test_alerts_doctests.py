"""The examples in the alerting modules' docstrings are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ward_core.alerts.columns",
    "ward_core.alerts.compiler",
    "ward_core.alerts.durations",
    "ward_core.alerts.event_metrics",
    "ward_core.alerts.grammar",
    "ward_core.alerts.lifecycle",
    "ward_core.alerts.nodes",
    "ward_core.alerts.notices",
    "ward_core.alerts.outbox",
    "ward_core.alerts.positions",
    "ward_core.alerts.publish",
    "ward_core.alerts.remediate",
    "ward_core.alerts.rulefile",
    "ward_core.alerts.silences",
    "ward_core.alerts.suppression",
    "ward_core.alerts.vocabulary",
    "ward_notify.signing",
    "ward_notify.text",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
