"""Every actor ward declares, and the queues they travel on.

- ``ward.probes``: ``ward.probe_batch``, one probe batch of a poll cycle;
- ``ward.backups``: ``ward.backup_batch``, one batch of ``ward configs backup``;
- ``ward.discovery``: ``ward.discovery_batch``, one batch of ``ward topology discover``;
- ``ward.playbooks``: ``ward.playbook_run``, one queued playbook run (``ward run``, schedules);
- ``ward.remediation``: ``ward.remediation_execute``, one approved request, behind the gate.

A process that only sends work (the CLI, the scheduler on a real broker) declares them all with
:func:`declare_senders`; a worker process declares them with their handlers
(:func:`ward_core.worker.runtime.start_worker`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dramatiq import Broker

from ward_core.config import Settings
from ward_core.errors import ConfigError
from ward_core.remediation.actor import QUEUE as REMEDIATION_QUEUE
from ward_core.remediation.actor import RemediationActor, declare_remediation_actor
from ward_core.worker.actors import WardActors, declare_actors
from ward_core.worker.jobs import BACKUP_QUEUE, DISCOVERY_QUEUE, JobActors, declare_job_actors
from ward_core.worker.messages import QUEUE as PROBE_QUEUE
from ward_core.worker.playbook_actor import PLAYBOOK_QUEUE, PlaybookActor, declare_playbook_actor

JOB_QUEUES: tuple[str, ...] = (REMEDIATION_QUEUE, PLAYBOOK_QUEUE, BACKUP_QUEUE, DISCOVERY_QUEUE)
"""Queues of long or rare work, run by a worker's job threads."""
ALL_QUEUES: tuple[str, ...] = (PROBE_QUEUE, *JOB_QUEUES)


@dataclass(frozen=True, slots=True)
class AllActors:
    """Ward's actors declared on one broker."""

    broker: Broker
    probes: WardActors
    jobs: JobActors
    playbooks: PlaybookActor
    remediation: RemediationActor


def declare_senders(broker: Broker, settings: Settings) -> AllActors:
    """Every actor declared for sending only."""
    return AllActors(
        broker=broker,
        probes=declare_actors(broker, None),
        jobs=declare_job_actors(broker, None),
        playbooks=declare_playbook_actor(broker, None),
        remediation=declare_remediation_actor(broker, None, time_limit_s=settings.remediation_time_limit_s),
    )


def check_queues(names: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The queues a worker is asked to consume (all of them when none is named); ConfigError
    naming an unknown one.

    >>> check_queues(["ward.remediation"])
    ('ward.remediation',)
    >>> check_queues(None) == ALL_QUEUES
    True
    """
    if not names:
        return ALL_QUEUES
    unknown = [n for n in names if n not in ALL_QUEUES]
    if unknown:
        raise ConfigError(f"unknown queue {unknown[0]!r} (queues: {', '.join(ALL_QUEUES)})")
    return tuple(dict.fromkeys(names))
