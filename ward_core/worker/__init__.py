"""Batched polling on Dramatiq: the scheduler sends one message per batch, workers run them.

::

    ward scheduler ──(one message per batch: cycle id, batch id, kinds, device names)──▶ broker
         │   records the cycle (runs, kind poll_cycle)                                  │
         │                                                                              ▼
         │                                                 ward worker processes ── probe_batch actor
         │                                                       run_probe_batch: samples + run + batch id,
         ▼                                                       one transaction, then the ack
    ward status / metrics ◀── cycles, probe_batches, run_results (database) + queue depth (broker)

- :mod:`.broker`: the one place a broker is made (Redis, RabbitMQ, or the in-process StubBroker);
- :mod:`.messages`: what a message carries; :mod:`.actors`: the thin actor and its retry policy
  (:mod:`.retry`); :mod:`.runner`: the probe service behind it; :mod:`.abandoned`: batches that
  failed for good are recorded so their cycle can end;
- :mod:`.scheduler`, :mod:`.cycles`, :mod:`.lock`: one cycle per interval per schedule, never two
  at once, skipped slots recorded;
- :mod:`.runtime`, :mod:`.process`: Dramatiq workers in ``ward worker`` processes or in-process;
- :mod:`.status`, :mod:`.metrics`, :mod:`.queues`: whether polling keeps up.

Guarantees: a batch is acknowledged only after its results are committed, so a worker dying
loses nothing (the broker hands the batch to another worker); the probe service commits a batch id
once, so a batch run twice is written once.
"""

from __future__ import annotations

from ward_core.worker.actors import WardActors, declare_actors
from ward_core.worker.broker import BrokerKind, BrokerOptions, configure_broker
from ward_core.worker.messages import BatchMessage
from ward_core.worker.scheduler import SchedulePlan, Scheduler, Tick, TickAction
from ward_core.worker.status import CycleView, ScheduleStatus, schedule_status

__all__ = [
    "BatchMessage",
    "BrokerKind",
    "BrokerOptions",
    "CycleView",
    "SchedulePlan",
    "ScheduleStatus",
    "Scheduler",
    "Tick",
    "TickAction",
    "WardActors",
    "configure_broker",
    "declare_actors",
    "schedule_status",
]
