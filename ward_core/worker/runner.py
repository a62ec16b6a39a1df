"""What a worker process does with a probe batch message: the probe service, nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from ward_core.plugin_manager import WardPlugins
from ward_core.probes.outcome import BatchOutcome
from ward_core.probes.service import run_probe_batch
from ward_core.types import ProbeOptions
from ward_core.worker.messages import BatchMessage


class BatchRunner:
    """The :data:`~ward_core.worker.actors.BatchHandler` of worker processes.

    Devices named in a message but gone from the inventory fail "not in the inventory" (they were
    removed after the batch was queued); everything else is
    :func:`~ward_core.probes.service.run_probe_batch`'s contract, idempotent per batch id.
    """

    def __init__(
        self, engine: Engine, plugins: WardPlugins, options: Mapping[str, ProbeOptions] | None = None
    ) -> None:
        self._engine = engine
        self._plugins = plugins
        self._options = options

    def __call__(self, message: BatchMessage) -> BatchOutcome:
        return run_probe_batch(
            engine=self._engine,
            plugins=self._plugins,
            kinds=message.kinds,
            device_names=message.device_names,
            options=self._options,
            batch_id=message.batch_id,
            unknown_devices="fail",
        )
