"""The playbook actor: ``playbook_run(run_id)``, one message per queued playbook run.

The message carries the run id only; the worker reads the playbook (its text as it was checked),
the variables and the devices from the run record and runs it with the same runner as
``ward run`` in-process (:func:`~ward_core.playbooks.queued.execute_queued`).

Policy, set explicitly:

- retries: transient infrastructure errors *before* the run is claimed (nothing has run yet) are
  retried up to :data:`MAX_RETRIES` times; once claimed, whatever happens is recorded on the run
  and the message ends, since steps may already have changed devices;
- time limit: the run's own ``timeout_s``, sent with each message (``time_limit``), by default
  :data:`~ward_core.playbooks.queued.DEFAULT_TIMEOUT_S`; the run is then closed failed;
- age limit: the same ``timeout_s`` (``max_age``): a run no worker started in time is dropped, and
  the run record cancelled (:class:`~ward_core.worker.abandoned.AbandonedBatches`);
- a message delivered again (a worker died after claiming) finds the run claimed and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import dramatiq
from dramatiq import Actor, Broker

from ward_core.playbooks.queued import DEFAULT_TIMEOUT_S, QueuedOutcome
from ward_core.worker.actors import MAX_BACKOFF_MS, MIN_BACKOFF_MS, NOT_RETRIED, SendOnly
from ward_core.worker.retry import RetryPolicy

log = logging.getLogger(__name__)

PLAYBOOK_QUEUE = "ward.playbooks"
PLAYBOOK_RUN_ACTOR = "ward.playbook_run"
MAX_RETRIES = 4

PlaybookHandler = Callable[[int], QueuedOutcome]
"""Claims and runs one queued run; raises only before the claim."""


@dataclass(frozen=True, slots=True)
class PlaybookActor:
    """The declared actor and how to send it a run."""

    actor: Actor[[int], None]

    def send(self, run_id: int, *, timeout_s: float) -> str:
        """Queue run ``run_id``, to be started and finished within ``timeout_s``; the message id."""
        limit_ms = max(1, int(timeout_s * 1000))
        message = self.actor.send_with_options(args=(run_id,), max_age=limit_ms, time_limit=limit_ms)
        return str(message.message_id)


def declare_playbook_actor(broker: Broker, handler: PlaybookHandler | None) -> PlaybookActor:
    """Declare the actor on ``broker``; ``handler`` None declares it for sending only."""

    def playbook_run(run_id: int) -> None:
        if handler is None:
            raise SendOnly(f"playbook run {run_id}: this process only sends playbook runs")
        if isinstance(run_id, bool) or not isinstance(run_id, int):
            raise TypeError(f"a playbook message carries a run id, got {run_id!r:.100}")
        outcome = handler(run_id)
        log.info("playbook run %s: %s %s", run_id, outcome.status, outcome.detail)

    declare = dramatiq.actor(
        actor_name=PLAYBOOK_RUN_ACTOR,
        queue_name=PLAYBOOK_QUEUE,
        broker=broker,
        max_retries=MAX_RETRIES,
        min_backoff=MIN_BACKOFF_MS,
        max_backoff=MAX_BACKOFF_MS,
        retry_when=RetryPolicy(MAX_RETRIES),
        time_limit=int(DEFAULT_TIMEOUT_S * 1000),
        throws=(*NOT_RETRIED, TypeError),
    )
    return PlaybookActor(declare(playbook_run))
