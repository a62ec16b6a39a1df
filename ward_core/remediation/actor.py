"""The remediation actor: one message per request id, run by a worker behind the gate.

``remediation_execute(request_id)`` carries an id only; the worker reads everything else from the
database and decides there whether anything may run (:mod:`ward_core.remediation.execution`).

Policy, set explicitly:

- :data:`MAX_RETRIES` = 0: a failed execution is never run again by the queue; a person proposes
  again. Refusals, device failures and rollbacks are recorded and the message ends normally;
- ``time_limit`` = ``Settings.remediation_time_limit_s``; the step running when it expires fails
  and the rollback is attempted;
- ``throws``: ward errors end the message without a traceback (they are already audited);
- a site at its concurrency cap defers the message: it is sent again after :data:`DEFER_MS` (no
  step ran; the gate is checked again when it comes back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import dramatiq
from dramatiq import Actor, Broker
from dramatiq.middleware import CurrentMessage

from ward_core.errors import WardError
from ward_core.remediation.execution import DEFER_MS, ExecutionReport

log = logging.getLogger(__name__)

QUEUE = "ward.remediation"
"""The queue remediation messages travel on."""

ACTOR_NAME = "ward.remediation_execute"
MAX_RETRIES = 0
THROWS: tuple[type[Exception], ...] = (WardError,)

ExecutionHandler = Callable[[int, str | None], ExecutionReport]
"""Handles one message: the request id and the message id."""


class SendOnly(RuntimeError):
    """This process declared the actor to send messages, and was asked to run one."""


@dataclass(frozen=True, slots=True)
class RemediationActor:
    """The declared actor and how to send it a request."""

    actor: Actor[[int], None]

    def send(self, request_id: int, *, delay_ms: int | None = None) -> str:
        """Queue request ``request_id``; the message id."""
        message = self.actor.send_with_options(args=(request_id,), delay=delay_ms)
        return str(message.message_id)


def declare_remediation_actor(
    broker: Broker, handler: ExecutionHandler | None, *, time_limit_s: float
) -> RemediationActor:
    """Declare the actor on ``broker``; ``handler`` None declares it for sending only."""
    holder: list[RemediationActor] = []

    def remediation_execute(request_id: int) -> None:
        if handler is None:
            raise SendOnly(f"request {request_id}: this process only sends remediation messages")
        if isinstance(request_id, bool) or not isinstance(request_id, int):
            raise TypeError(f"a remediation message carries a request id, got {request_id!r:.100}")
        current = CurrentMessage.get_current_message()
        message_id = current.message_id if current is not None else None
        report = handler(request_id, message_id)
        log.info("remediation request %s: %s (%s)", request_id, report.status, report.reason)
        if report.status == "deferred":
            holder[0].send(request_id, delay_ms=DEFER_MS)

    declare = dramatiq.actor(
        actor_name=ACTOR_NAME,
        queue_name=QUEUE,
        broker=broker,
        max_retries=MAX_RETRIES,
        time_limit=int(time_limit_s * 1000),
        throws=THROWS,
    )
    declared = RemediationActor(declare(remediation_execute))
    holder.append(declared)
    return declared
