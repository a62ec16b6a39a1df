"""Recording probe batches that will never be committed, so their cycle can end without waiting.

A batch message fails for good when its error is not retried, its retries are exhausted, or it
outlived its cycle's deadline (Dramatiq's age limit). :class:`AbandonedBatches`, a middleware of
worker processes, then writes a ``runs`` row of kind ``probe`` named after the batch id, with
status ``failed`` and one failed ``run_results`` row per device and kind giving the reason.

A probe run named after a batch id that ``probe_batches`` does not hold can only be such a
record, since the probe service writes its run and claims the batch id in one transaction.
Recording is best effort: when the database is what failed, the cycle ends at its deadline instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy
from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from ward_core.db.models import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.probes.service import RUN_KIND
from ward_core.worker.messages import PROBE_BATCH_ACTOR

log = logging.getLogger(__name__)

EXPIRED = "expired: not run before its poll cycle's deadline"


def record_abandoned(
    engine: Engine,
    *,
    cycle_id: str,
    batch_id: str,
    kinds: Sequence[str],
    device_names: Sequence[str],
    reason: str,
) -> int:
    """Write the failed run of an abandoned batch and its per-device results; the run id."""
    now = utcnow()
    with session_scope(engine) as session:
        run = Run(
            kind=RUN_KIND,
            name=batch_id,
            status=RunStatus.FAILED.value,
            started_at=now,
            finished_at=now,
            params={
                "batch_id": batch_id,
                "cycle_id": cycle_id,
                "kinds": list(kinds),
                "devices": list(device_names),
                "abandoned": True,
            },
            summary={"error": reason, "devices": len(device_names)},
        )
        session.add(run)
        session.flush()
        rows: list[dict[str, Any]] = [
            {
                "run_id": run.id,
                "device": device,
                "task": kind,
                "status": ResultStatus.FAILED.value,
                "changed": False,
                "result": None,
                "error": f"batch abandoned: {reason}",
                "started_at": now,
                "finished_at": now,
            }
            for kind in kinds
            for device in device_names
        ]
        if rows:
            session.execute(insert(RunResult), rows)
        return run.id


def failure_reason(exception: BaseException) -> str:
    """What a failed batch's devices are told.

    >>> failure_reason(ConnectionRefusedError("database down"))
    'ConnectionRefusedError: database down'
    """
    return f"{type(exception).__name__}: {exception}"


class AbandonedBatches(Middleware):
    """Records every probe batch message that failed for good (see the module docstring).

    Add it *before* :class:`~dramatiq.middleware.Retries`, so that its ``after_*`` hooks (called in
    reverse order) run once Retries has decided whether the message failed.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _record(self, message: MessageProxy, reason: str) -> None:
        if message.actor_name != PROBE_BATCH_ACTOR or not message.failed:
            return
        try:
            cycle_id, batch_id, kinds, device_names = message.args
        except ValueError:
            log.error("message %s has unexpected arguments; not recorded", message.message_id)
            return
        try:
            record_abandoned(
                self._engine,
                cycle_id=cycle_id,
                batch_id=batch_id,
                kinds=kinds,
                device_names=device_names,
                reason=reason,
            )
        except SQLAlchemyError as exc:
            log.error("batch %s abandoned (%s) and could not be recorded: %s", batch_id, reason, exc)
            return
        log.warning("batch %s abandoned: %s", batch_id, reason)

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None:
            self._record(message, failure_reason(exception))

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._record(message, EXPIRED)
