"""Recording messages that failed for good, so that whoever waits for them can end without waiting.

A message fails for good when its error is not retried, its retries are exhausted, or it outlived
its deadline (Dramatiq's age limit). :class:`AbandonedBatches`, a middleware of worker processes,
then records it, by actor:

- a probe batch: a ``runs`` row of kind ``probe`` named after the batch id, with status ``failed``
  and one failed ``run_results`` row per device and kind giving the reason. A probe run named
  after a batch id that ``probe_batches`` does not hold can only be such a record, since the probe
  service writes its run and claims the batch id in one transaction;
- a backup or discovery batch: a failed run of the service's kind carrying the batch id and an
  outcome that fails every device with the reason
  (:func:`~ward_core.worker.job_records.record_abandoned_batch`);
- a playbook run: the run record, if nobody claimed it, is cancelled with the reason
  (a claimed run records its own end).

Recording is best effort: when the database is what failed, the poll cycle or job ends at its
deadline instead, and a queued playbook run is cancelled by whoever follows it.
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
from ward_core.playbooks.queued import cancel_pending
from ward_core.probes.service import RUN_KIND
from ward_core.worker.job_records import record_abandoned_batch
from ward_core.worker.jobs import BACKUP_BATCH_ACTOR, DISCOVERY_BATCH_ACTOR, JobKind
from ward_core.worker.messages import PROBE_BATCH_ACTOR
from ward_core.worker.playbook_actor import PLAYBOOK_RUN_ACTOR

log = logging.getLogger(__name__)

EXPIRED = "expired: not run before its deadline"


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
    """Records every message of ward's that failed for good (see the module docstring).

    Add it *before* :class:`~dramatiq.middleware.Retries`, so that its ``after_*`` hooks (called in
    reverse order) run once Retries has decided whether the message failed.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _probe_batch(self, args: tuple[Any, ...], reason: str) -> str:
        cycle_id, batch_id, kinds, device_names = args
        record_abandoned(
            self._engine,
            cycle_id=cycle_id,
            batch_id=batch_id,
            kinds=kinds,
            device_names=device_names,
            reason=reason,
        )
        return f"batch {batch_id}"

    def _job_batch(self, kind: JobKind, args: tuple[Any, ...], reason: str) -> str:
        job_id, batch_id, device_names, options = args
        record_abandoned_batch(
            self._engine,
            kind=kind,
            job_id=job_id,
            batch_id=batch_id,
            device_names=device_names,
            options=options if isinstance(options, dict) else {},
            reason=reason,
        )
        return f"{kind.value} batch {batch_id}"

    def _playbook_run(self, args: tuple[Any, ...], reason: str) -> str:
        (run_id,) = args
        with session_scope(self._engine) as session:
            cancel_pending(session, int(run_id), f"not run: {reason}", utcnow())
        return f"playbook run {run_id}"

    def _record(self, message: MessageProxy, reason: str) -> None:
        if not message.failed:
            return
        args = tuple(message.args)
        try:
            if message.actor_name == PROBE_BATCH_ACTOR:
                what = self._probe_batch(args, reason)
            elif message.actor_name == BACKUP_BATCH_ACTOR:
                what = self._job_batch(JobKind.BACKUP, args, reason)
            elif message.actor_name == DISCOVERY_BATCH_ACTOR:
                what = self._job_batch(JobKind.DISCOVERY, args, reason)
            elif message.actor_name == PLAYBOOK_RUN_ACTOR:
                what = self._playbook_run(args, reason)
            else:
                return
        except (ValueError, TypeError):
            log.error("message %s has unexpected arguments; not recorded", message.message_id)
            return
        except SQLAlchemyError as exc:
            log.error(
                "message %s abandoned (%s) and could not be recorded: %s", message.message_id, reason, exc
            )
            return
        log.warning("%s abandoned: %s", what, reason)

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
        what = "poll cycle's" if message.actor_name == PROBE_BATCH_ACTOR else "job's"
        self._record(message, EXPIRED.replace("its deadline", f"its {what} deadline"))
