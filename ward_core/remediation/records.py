"""Audit kinds and small writers shared by the remediation services.

Every state change of a request is written with :func:`move` so that the change and its audit
record are one transaction; refusals are recorded with :func:`refusal` before the error is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ward_core.audit.log import append
from ward_core.db.models import RemediationRequest
from ward_core.remediation.states import RequestState, check_move

PROPOSED = "request.proposed"
PROPOSAL_REFUSED = "request.refused"
STATE_CHANGED = "request.state"
DECIDED = "decision.recorded"
DECISION_REFUSED = "decision.refused"
EXECUTION_REFUSED = "execution.refused"
EXECUTION_DEFERRED = "execution.deferred"
EXECUTION_ABORTED = "execution.aborted"
REPLANNED = "execution.replanned"
EXECUTION_STARTED = "execution.started"
STEP = "execution.step"
EXECUTION_FINISHED = "execution.finished"
EXECUTION_LATE = "execution.late"
"""A worker finished a request that had already been reaped as lost (:mod:`.reaper`)."""
CAUSE_CLEARED = "request.cause_cleared"
"""The alert an approved or running request answers resolved; the request stands (:mod:`.instances`)."""


def move(
    session: Session,
    request: RemediationRequest,
    new: RequestState,
    *,
    actor: str,
    now: datetime,
    reason: str,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Move ``request`` to ``new`` (checked against the state machine) and record it."""
    check_move(request.id, request.state, new)
    previous = request.state
    request.state = new.value
    request.state_changed_at = now
    append(
        session,
        actor=actor,
        kind=STATE_CHANGED,
        request_id=request.id,
        now=now,
        payload={"from": previous, "to": new.value, "reason": reason, **(extra or {})},
    )
