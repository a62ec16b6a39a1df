"""Ward's work on Dramatiq: probe batches, backup and discovery batches, playbook runs and
remediation requests, run by ``ward worker`` processes (or in-process without a broker).

::

    ward scheduler ──(one message per probe batch; one per due playbook schedule)──▶ broker
    ward configs backup / ward topology discover ──(one message per batch)──────────▶ broker
    ward run PLAYBOOK ──(one message per run)──────────────────────────────────────▶ broker
    ward remediation propose/approve ──(one message per approved request)─────────▶ broker
         │ each records what it sent (runs)                                           │
         │ and follows it in the database                                             ▼
         │                                    ward worker processes: probe threads ── ward.probes
         │                                    job threads ── ward.backups, ward.discovery,
         ▼                                                   ward.playbooks, ward.remediation
    ward status / metrics / ward runs ◀── run records (database) + queue depth (broker)

- :mod:`.broker`: the one place a broker is set (Redis, RabbitMQ, or the in-process StubBroker);
- :mod:`.registry`: every actor and queue; :mod:`.runtime`, :mod:`.process`: Dramatiq workers in
  ``ward worker`` processes or in-process, one thread pool for probe batches and one for the rest;
- probe batches: :mod:`.messages`, :mod:`.actors` (the thin actor and its retry policy,
  :mod:`.retry`), :mod:`.runner` (the probe service behind it);
- backup and discovery batches: :mod:`.jobs` (actors), :mod:`.job_runner` (the services behind
  them), :mod:`.job_dispatch` / :mod:`.job_records` / :mod:`.job_merge` (sending a job, following
  its batches in the database, one summary out of them);
- playbook runs: :mod:`.playbook_actor`, run by :mod:`ward_core.playbooks.queued`;
  :mod:`.playbook_schedule`: cron schedules of playbooks;
- :mod:`.abandoned`: messages that failed for good are recorded so that whoever waits can end;
- :mod:`.scheduler`, :mod:`.cycles`, :mod:`.lock`, :mod:`.loop`: one poll cycle per interval per
  schedule, never two at once, skipped slots recorded; the scheduler's loop;
- :mod:`.status`, :mod:`.metrics`, :mod:`.queues`: whether polling keeps up.

Guarantees: a message is acknowledged only after its work is committed, so a worker dying loses
nothing (the broker hands the message to another worker); the probe service commits a batch id
once, a backup or discovery batch already recorded is not run again, and a playbook run is claimed
by one worker only and never run twice.
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
