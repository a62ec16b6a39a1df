"""One open request per instance, and what happens to it when its cause goes away.

An *instance* is the thing a request answers, as a text key the proposer stores in the request's
evidence (``evidence["instance"]``); for alert rules it is the alert's fingerprint
(``rule/device/labels``), so an alert that fires again, or a firing announced twice, finds the
request it already caused. A request is *open* while it is pending, approved or running.

:func:`open_request` also counts an open request that would make the very same change (same
device, action and parameters) whoever proposed it: a playbook's bounce of an interface and an
alert's bounce of the same interface are one fix, not two requests for approvers to sort out.

:func:`supersede` is called when the cause is gone (the alert resolved). Decision:

- **pending** requests of the instance are moved to ``expired``, with a reason starting with
  ``superseded:``: nobody should approve a fix for a problem that is no longer there (the state
  machine has no separate "superseded" state; ``expired`` already means "can no longer be
  approved or run", and the reason and the audit record say why);
- **approved** and **running** requests are left as they are, with an audit record saying their
  cause cleared: people signed off on that exact plan, a running change must not be cut short,
  and the worker re-plans against the device right before executing, so a device whose state
  changed gives a different plan hash and goes back to ``pending`` for fresh approvals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ward_core.audit.log import append, lock_audit
from ward_core.db.models import RemediationRequest
from ward_core.db.session import session_scope
from ward_core.errors import RequestRefused
from ward_core.remediation.records import CAUSE_CLEARED, move
from ward_core.remediation.states import RequestState

INSTANCE_KEY = "instance"
"""Where a request's instance key is kept in its evidence."""

OPEN_STATES = (RequestState.PENDING.value, RequestState.APPROVED.value, RequestState.RUNNING.value)
"""A request in one of these states still answers its instance."""


class AlreadyOpen(RequestRefused):
    """An open request already answers what is being proposed: nothing new is stored.

    Not audited as a refusal: nobody's request was turned down, the existing one stands.
    """


def instance_of(request: RemediationRequest) -> str | None:
    """The instance key stored in ``request``'s evidence, if any."""
    value = (request.evidence or {}).get(INSTANCE_KEY)
    return value if isinstance(value, str) else None


def open_request(
    session: Session, *, device: str, instance: str, action: str, params: Mapping[str, Any]
) -> RemediationRequest | None:
    """The oldest open request on ``device`` that answers ``instance`` or makes the same change."""
    rows = session.scalars(
        select(RemediationRequest)
        .where(RemediationRequest.device == device, RemediationRequest.state.in_(OPEN_STATES))
        .order_by(RemediationRequest.id)
    )
    for row in rows:
        if instance_of(row) == instance or (row.action == action and row.params == dict(params)):
            return row
    return None


def refuse_if_open(
    session: Session, *, device: str, instance: str, action: str, params: Mapping[str, Any]
) -> None:
    """Raise :class:`AlreadyOpen` naming the open request :func:`open_request` finds."""
    row = open_request(session, device=device, instance=instance, action=action, params=params)
    if row is None:
        return
    why = "answers the same alert" if instance_of(row) == instance else "makes the same change"
    raise AlreadyOpen(
        f"{row.action} on {row.device} is already {row.state} and {why} ({instance}): "
        "no second request is proposed",
        request=row.id,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Superseded:
    """What :func:`supersede` did: pending requests expired, open ones left standing."""

    expired: tuple[int, ...] = ()
    kept: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"expired": list(self.expired), "kept": list(self.kept)}


def supersede(
    engine: Engine, *, device: str, instance: str, reason: str, actor: str, now: datetime
) -> Superseded:
    """The cause ``instance`` is gone (module docstring): expire its pending requests, note the rest.

    One transaction under the audit lock, every change audited; requests of other instances are
    not touched.
    """
    expired: list[int] = []
    kept: list[int] = []
    with session_scope(engine) as db:
        ids = db.scalars(
            select(RemediationRequest.id).where(
                RemediationRequest.device == device, RemediationRequest.state.in_(OPEN_STATES)
            )
        ).all()
        if not ids:
            return Superseded()
        lock_audit(db)
        locked = db.scalars(
            select(RemediationRequest)
            .where(RemediationRequest.id.in_(ids), RemediationRequest.state.in_(OPEN_STATES))
            .order_by(RemediationRequest.id)
            .with_for_update()
        ).all()
        for request in locked:
            if instance_of(request) != instance:
                continue
            if request.state == RequestState.PENDING.value:
                move(
                    db,
                    request,
                    RequestState.EXPIRED,
                    actor=actor,
                    now=now,
                    reason=f"superseded: {reason}; a fix for a problem that is gone is not approved",
                    extra={"superseded": True, INSTANCE_KEY: instance},
                )
                expired.append(request.id)
            else:
                append(
                    db,
                    actor=actor,
                    kind=CAUSE_CLEARED,
                    request_id=request.id,
                    now=now,
                    payload={
                        INSTANCE_KEY: instance,
                        "state": request.state,
                        "reason": reason,
                        "kept": "people approved this exact plan; the worker re-plans against the "
                        "device before executing and a changed device needs fresh approvals",
                    },
                )
                kept.append(request.id)
    return Superseded(expired=tuple(expired), kept=tuple(kept))
