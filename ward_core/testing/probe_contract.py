"""``ProbeContract``: the tests every probe plugin must pass, to inherit in your test module.

::

    class TestTcpConnect(ProbeContract):
        plugin = ward_reference.plugin
        kind = "reference.tcp_connect"

        @pytest.fixture
        def reachable_device(self, tcp_listener: TcpListener) -> DeviceTarget:
            return sample_device("up", port=tcp_listener.port)

        @pytest.fixture
        def unreachable_device(self, closed_tcp_port: int) -> DeviceTarget:
            return sample_device("down", port=closed_tcp_port)

The tests call the plugin's ``ward_probe_run`` directly, not through ward's failure policy, so a
plugin that raises instead of returning failed results does not pass.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest

from ward_core.plugin_manager import WardPlugins
from ward_core.testing.contract import FOREIGN_KIND
from ward_core.testing.plugins import isolated_plugins
from ward_core.types import DeviceTarget, ProbeBatchResult, ProbeOptions


class ProbeContract:
    """Base class of a probe plugin's contract tests (pytest collects the ``Test*`` subclass)."""

    plugin: ClassVar[object]
    """The plugin under test, as its entry point loads it."""
    kind: ClassVar[str]
    """The probe kind under test."""
    options: ClassVar[ProbeOptions] = ProbeOptions(timeout=1.0)
    """The options every batch runs with."""
    dead_batch_size: ClassVar[int] = 20
    """How many unreachable devices the concurrency test probes at once."""

    @pytest.fixture
    def reachable_device(self) -> DeviceTarget:
        """A device the probe can measure: override it."""
        pytest.fail(f"{type(self).__name__} must override the reachable_device fixture")

    @pytest.fixture
    def unreachable_device(self) -> DeviceTarget:
        """A device the probe cannot measure: override it."""
        pytest.fail(f"{type(self).__name__} must override the unreachable_device fixture")

    @pytest.fixture
    def contract_plugins(self) -> Iterator[WardPlugins]:
        """A manager holding the plugin alone, started."""
        with isolated_plugins(self.plugin) as plugins:
            yield plugins

    def run_batch(self, plugins: WardPlugins, devices: Sequence[DeviceTarget]) -> ProbeBatchResult:
        """Call the plugin's ``ward_probe_run`` directly and check the shape of what it returns."""
        returned = plugins.manager.hook.ward_probe_run(
            kind=self.kind, devices=tuple(devices), options=self.options
        )
        assert isinstance(returned, ProbeBatchResult), f"expected a ProbeBatchResult, got {returned!r}"
        assert returned.kind == self.kind
        names = [r.device for r in returned.results]
        assert sorted(names) == sorted(d.name for d in devices), "one result per device, no more, no less"
        for result in returned.results:
            assert result.kind == self.kind, f"{result.device}: result of kind {result.kind!r}"
        return returned

    def test_declares_its_kind(self, contract_plugins: WardPlugins) -> None:
        kinds = contract_plugins.probe_kinds()
        assert self.kind in kinds, f"{self.kind!r} not declared; declared: {sorted(kinds)}"
        declared = kinds[self.kind]
        assert declared.description
        assert declared.metrics and all(declared.metrics)

    def test_declines_other_kinds(
        self, contract_plugins: WardPlugins, reachable_device: DeviceTarget
    ) -> None:
        returned = contract_plugins.manager.hook.ward_probe_run(
            kind=FOREIGN_KIND, devices=(reachable_device,), options=self.options
        )
        assert returned is None

    def test_empty_batch(self, contract_plugins: WardPlugins) -> None:
        assert self.run_batch(contract_plugins, []).results == ()

    def test_reachable_device_is_measured(
        self, contract_plugins: WardPlugins, reachable_device: DeviceTarget
    ) -> None:
        (result,) = self.run_batch(contract_plugins, [reachable_device]).results
        assert result.ok, f"{result.device}: {result.exception}"
        assert result.exception is None
        assert result.metrics, "a successful result carries metrics"
        declared = set(contract_plugins.probe_kinds()[self.kind].metrics)
        for metric in result.metrics:
            assert metric.name in declared, f"metric {metric.name!r} is not declared by {self.kind!r}"
            assert math.isfinite(metric.value)

    def test_unreachable_device_is_a_failed_result(
        self, contract_plugins: WardPlugins, unreachable_device: DeviceTarget
    ) -> None:
        (result,) = self.run_batch(contract_plugins, [unreachable_device]).results
        assert result.failed
        assert result.exception, "a failed result says why"
        assert result.metrics == ()

    def test_one_dead_device_does_not_spoil_the_batch(
        self, contract_plugins: WardPlugins, reachable_device: DeviceTarget, unreachable_device: DeviceTarget
    ) -> None:
        second = dataclasses.replace(reachable_device, name=f"{reachable_device.name}-again")
        batch = self.run_batch(contract_plugins, [reachable_device, unreachable_device, second])
        by_device = batch.by_device()
        assert by_device[reachable_device.name].ok
        assert by_device[second.name].ok
        assert by_device[unreachable_device.name].failed

    def test_dead_devices_are_probed_concurrently(
        self, contract_plugins: WardPlugins, unreachable_device: DeviceTarget
    ) -> None:
        """A batch of dead devices costs about one device's worth of timeouts, not one per device."""
        dead = [dataclasses.replace(unreachable_device, name=f"dead{i}") for i in range(self.dead_batch_size)]
        per_device = self.options.timeout * (self.options.retries + 1) * max(1, self.options.count)
        started = time.monotonic()
        batch = self.run_batch(contract_plugins, dead)
        elapsed = time.monotonic() - started
        assert all(r.failed for r in batch.results)
        assert elapsed < 3 * per_device + 1.0, f"{len(dead)} dead devices took {elapsed:.1f} s"
