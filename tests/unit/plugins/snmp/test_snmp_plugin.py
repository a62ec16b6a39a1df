"""The plugin as ward sees it: the contract checker, the declared kinds, the doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import ward_snmp
import ward_snmp.plugin

from ward_core.testing import check_plugin_contract, isolated_plugins
from ward_core.types import UPTIME_METRIC, ProbeOptions


def test_the_plugin_passes_the_contract_checker() -> None:
    check_plugin_contract(ward_snmp.plugin, name="snmp")


def test_kinds_and_counters() -> None:
    with isolated_plugins(ward_snmp.plugin, name="snmp") as plugins:
        kinds = plugins.probe_kinds()
    assert {"snmp.system", "snmp.interfaces", "snmp.resources"} <= set(kinds)
    interfaces = kinds["snmp.interfaces"]
    assert {(c.metric, c.rate_metric, c.factor) for c in interfaces.counters} == {
        ("if.in_octets", "if.in_bps", 8.0),
        ("if.out_octets", "if.out_bps", 8.0),
        ("if.in_errors", "if.in_errors_per_s", 1.0),
        ("if.out_errors", "if.out_errors_per_s", 1.0),
        ("if.in_discards", "if.in_discards_per_s", 1.0),
        ("if.out_discards", "if.out_discards_per_s", 1.0),
    }
    assert {c.metric for c in interfaces.counters} <= set(interfaces.metrics)
    assert UPTIME_METRIC in interfaces.metrics and UPTIME_METRIC in kinds["snmp.system"].metrics


def test_other_kinds_are_declined_and_an_empty_batch_is_empty() -> None:
    assert ward_snmp.plugin.ward_probe_run(kind="icmp", devices=(), options=ProbeOptions()) is None
    batch = ward_snmp.plugin.ward_probe_run(kind="snmp.system", devices=(), options=ProbeOptions())
    assert batch is not None and batch.results == ()


MODULES = sorted(m.name for m in pkgutil.iter_modules(ward_snmp.__path__, "ward_snmp."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
