"""The life of a remediation request, as a state machine the services and the database share.

::

    propose ──▶ pending ──(approvals satisfy the policy)──▶ approved ──(worker claims it)──▶ running
                  │  ▲                                        │  │                           │
                  │  └──(re-plan at execution differs: the ───┘  │                           ├─▶ succeeded
                  │      new plan needs fresh approvals)         │                           └─▶ failed
                  ├──(any rejection)──────────▶ rejected ◀───────┤
                  └──(TTL passed)─────────────▶ expired  ◀───────┘

A policy needing no approval (non-destructive actions only) makes a request ``approved`` at once.
``running`` is entered once per request: by a conditional update (``... WHERE state = 'approved'
AND plan_hash = :approved``) in the same transaction as the insert of its only
``remediation_executions`` row (unique per request).
"""

from __future__ import annotations

from enum import StrEnum

from ward_core.errors import RemediationError


class RequestState(StrEnum):
    """``remediation_requests.state``."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PENDING: frozenset({RequestState.APPROVED, RequestState.REJECTED, RequestState.EXPIRED}),
    RequestState.APPROVED: frozenset(
        {RequestState.RUNNING, RequestState.PENDING, RequestState.REJECTED, RequestState.EXPIRED}
    ),
    RequestState.RUNNING: frozenset({RequestState.SUCCEEDED, RequestState.FAILED}),
    RequestState.REJECTED: frozenset(),
    RequestState.EXPIRED: frozenset(),
    RequestState.SUCCEEDED: frozenset(),
    RequestState.FAILED: frozenset(),
}

OPEN = frozenset({RequestState.PENDING, RequestState.APPROVED})
"""States in which a request can still be decided, expire, or run."""


def can_move(current: str, new: RequestState) -> bool:
    """Whether a request in ``current`` may move to ``new``.

    >>> can_move("pending", RequestState.APPROVED), can_move("rejected", RequestState.APPROVED)
    (True, False)
    """
    return new in TRANSITIONS.get(RequestState(current), frozenset())


def check_move(request_id: int, current: str, new: RequestState) -> None:
    """Raise :class:`RemediationError` unless ``current`` may move to ``new``."""
    if not can_move(current, new):
        raise RemediationError(f"cannot go from {current} to {new.value}", request=request_id)
