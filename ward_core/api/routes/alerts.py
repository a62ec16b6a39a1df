"""Alerts and silences: ``ward alerts list|show|ack|unack`` and ``ward silences add|list|expire``.

Acknowledgements and their withdrawal are published on Redis (``ward:alerts``) exactly as the CLI
publishes them, so live views see them. The acting user is the token's owner.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field

from ward_core.alerts.acks import ack_alert, alert_history, unack_alert
from ward_core.alerts.durations import parse_duration
from ward_core.alerts.notices import row_to_dict
from ward_core.alerts.publish import publisher_for
from ward_core.alerts.queries import STATES, list_alerts
from ward_core.alerts.silences import add_silence, expire_silence, list_silences, parse_matcher, silence_dict
from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer, page, page_example
from ward_core.api.routes.common import PREFIX, Body, Db, Limit, Offset, conflict, not_found, ok
from ward_core.api.state import api_state
from ward_core.config import Settings
from ward_core.db.models import AlertRow
from ward_core.errors import ConfigError
from ward_core.permissions import ALERTS_ACK, ALERTS_VIEW

router = APIRouter(prefix=PREFIX, tags=["alerts"])
CanView = Annotated[Principal, Depends(require(ALERTS_VIEW))]
CanAck = Annotated[Principal, Depends(require(ALERTS_ACK))]
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The alert id.", examples=[42])]
SilenceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The silence id.", examples=[3])]

MAX_DURATION = timedelta(days=366)

ALERT_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "rule": "device-down",
    "device": "br001-rtr1",
    "site": "br001",
    "labels": {},
    "state": "firing",
    "severity": "critical",
    "summary": "br001-rtr1 does not answer ping",
    "value": 100.0,
    "started_at": "2026-12-01T08:30:00+00:00",
    "fired_at": "2026-12-01T08:31:00+00:00",
    "resolved_at": None,
    "evaluated_at": "2026-12-01T08:35:00+00:00",
    "notified": True,
    "symptom_of": None,
    "acked": False,
    "acked_at": None,
    "acked_by": None,
    "ack_comment": None,
    "ack_until": None,
}
SILENCE_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "matchers": ["site=br001"],
    "starts_at": "2026-12-01T08:30:00+00:00",
    "ends_at": "2026-12-01T10:30:00+00:00",
    "expired_at": None,
    "created_by": "alice",
    "comment": "planned power work",
    "state": "active",
}


class AckBody(Body):
    """An acknowledgement."""

    comment: str = Field(min_length=1, max_length=2000, description="What is being done about it.")
    until: str | None = Field(
        default=None,
        max_length=64,
        description="A duration (2h), an ISO 8601 time, or 'resolved' (the default).",
    )

    model_config = Body.model_config | {
        "json_schema_extra": {"examples": [{"comment": "replacing the uplink optic", "until": "2h"}]}
    }


class SilenceBody(Body):
    """A silence: matchers and how long."""

    matchers: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=50, description="name=value, name!=value, name=~regex or name!~regex."
    )
    duration: str = Field(min_length=1, max_length=32, description="How long: 30m, 2h, 1d.")
    comment: str = Field(default="", max_length=2000, description="Why.")

    model_config = Body.model_config | {
        "json_schema_extra": {
            "examples": [{"matchers": ["site=br001"], "duration": "2h", "comment": "planned power work"}]
        }
    }


def _duration(text: str, field: str) -> timedelta:
    try:
        seconds = parse_duration(text)
        duration = timedelta(seconds=seconds)
    except (ValueError, OverflowError) as exc:
        raise ApiError(422, f"body.{field}: {exc}") from None
    if duration > MAX_DURATION:
        raise ApiError(422, f"body.{field}: {text!r} is longer than {MAX_DURATION.days} days")
    return duration


def _until(text: str | None) -> datetime | None:
    if text is None or text == "resolved":
        return None
    now = datetime.now(UTC)
    try:
        parse_duration(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ApiError(
                422, f"body.until: {text!r}: write a duration (2h), an ISO 8601 time, or 'resolved'"
            ) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        moment = now + _duration(text, "until")
    if moment <= now:
        raise ApiError(422, f"body.until: {moment.isoformat()} is not in the future")
    return moment


def _service_refusal(exc: ConfigError) -> ApiError:
    message = str(exc)
    return ApiError(404 if message.startswith("no ") else 409, message)


def _publish(settings: Settings, event: dict[str, Any]) -> None:
    publisher = publisher_for(settings)
    if publisher is not None:
        publisher.publish([event])
        publisher.close()


@router.get(
    "/alerts",
    summary="List alerts",
    responses=ok(page_example(ALERT_EXAMPLE), "A page of alerts, newest first.", etag=True),
)
def list_alerts_endpoint(
    request: Request,
    principal: CanView,
    session: Db,
    state: Annotated[
        Literal["active", "pending", "firing", "resolved", "all"],
        Query(description="active (pending and firing), pending, firing, resolved or all."),
    ] = "active",
    rule: Annotated[str | None, Query(max_length=255, description="Only this rule.")] = None,
    device: Annotated[str | None, Query(max_length=255, description="Only this device.")] = None,
    site: Annotated[str | None, Query(max_length=255, description="Only this site.")] = None,
    acked: Annotated[bool | None, Query(description="Only acked (true) or unacked (false) alerts.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Alerts as ``ward alerts list --json`` shows them, newest first."""
    wanted = {"active": ("pending", "firing"), "all": STATES}.get(state, (state,))
    rows = list_alerts(session, states=wanted, rule=rule, device=device, site=site, acked=acked)
    items = [row_to_dict(r) for r in rows[offset : offset + limit]]
    return json_answer(request, Encoded.of(page(request, items, total=len(rows), limit=limit, offset=offset)))


@router.get(
    "/alerts/{alert_id}",
    summary="Show one alert with its history",
    responses={
        **ok({**ALERT_EXAMPLE, "history": [{"time": "2026-12-01T08:30:00+00:00", "event": "pending"}]}),
        **not_found("alert"),
    },
)
def show_alert(alert_id: AlertId, principal: CanView, session: Db) -> dict[str, Any]:
    """One alert and every event of its life (pending, firing, acked, resolved...)."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise ApiError(404, f"no alert with id {alert_id}")
    return {**row_to_dict(row), "history": alert_history(session, alert_id)}


@router.post(
    "/alerts/{alert_id}/ack",
    summary="Acknowledge an alert",
    responses={
        **ok({**ALERT_EXAMPLE, "acked": True, "acked_by": "alice"}, "The acknowledged alert."),
        **not_found("alert"),
        **conflict("alert 42 (device-down on br001-rtr1) is resolved: nothing to acknowledge"),
    },
)
def ack(request: Request, alert_id: AlertId, body: AckBody, principal: CanAck) -> dict[str, Any]:
    """Acknowledge an active alert until it resolves or until a time; published to live views."""
    until = _until(body.until)
    state = api_state(request)
    try:
        with state.sessions() as session, session.begin():
            event = ack_alert(session, alert_id, by=principal.user, comment=body.comment, until=until)
    except ConfigError as exc:
        raise _service_refusal(exc) from None
    _publish(state.settings, event)
    alert: dict[str, Any] = event["alert"]
    return alert


@router.post(
    "/alerts/{alert_id}/unack",
    summary="Withdraw an acknowledgement",
    responses={
        **ok(ALERT_EXAMPLE, "The alert, no longer acknowledged."),
        **not_found("alert"),
        **conflict("alert 42 (device-down on br001-rtr1) is not acknowledged"),
    },
)
def unack(request: Request, alert_id: AlertId, principal: CanAck) -> dict[str, Any]:
    """Withdraw an acknowledgement; published to live views."""
    state = api_state(request)
    try:
        with state.sessions() as session, session.begin():
            event = unack_alert(session, alert_id, by=principal.user)
    except ConfigError as exc:
        raise _service_refusal(exc) from None
    _publish(state.settings, event)
    alert: dict[str, Any] = event["alert"]
    return alert


@router.get(
    "/silences",
    summary="List silences",
    responses=ok(page_example(SILENCE_EXAMPLE), "A page of silences, newest first.", etag=True),
)
def list_silences_endpoint(
    request: Request,
    principal: CanView,
    session: Db,
    include_ended: Annotated[bool, Query(description="Include silences that ended.")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Silences in force or to come (all with ``include_ended``), newest first."""
    rows = list_silences(session, include_ended=include_ended)
    items = [silence_dict(s) for s in rows[offset : offset + limit]]
    return json_answer(request, Encoded.of(page(request, items, total=len(rows), limit=limit, offset=offset)))


@router.post(
    "/silences",
    summary="Add a silence",
    status_code=201,
    responses={
        201: {"description": "The silence.", "content": {"application/json": {"example": SILENCE_EXAMPLE}}}
    },
)
def add_silence_endpoint(request: Request, body: SilenceBody, principal: CanAck) -> dict[str, Any]:
    """Hold the notifications of matching alerts for a while (their state is still tracked)."""
    duration = _duration(body.duration, "duration")
    matchers = []
    for index, text in enumerate(body.matchers):
        try:
            matchers.append(parse_matcher(text))
        except ConfigError as exc:
            raise ApiError(422, f"body.matchers[{index}]: {exc}") from None
    with api_state(request).sessions() as session, session.begin():
        silence = add_silence(
            session, matchers, duration=duration, created_by=principal.user, comment=body.comment
        )
        return silence_dict(silence)


@router.post(
    "/silences/{silence_id}/expire",
    summary="End a silence now",
    responses={
        **ok({**SILENCE_EXAMPLE, "state": "ended"}, "The ended silence."),
        **not_found("silence"),
        **conflict("silence 3 already ended at 2026-12-01T10:30:00+00:00"),
    },
)
def expire_silence_endpoint(request: Request, silence_id: SilenceId, principal: CanAck) -> dict[str, Any]:
    """End a silence now; held notifications go out at the next evaluation."""
    state = api_state(request)
    try:
        with state.sessions() as session, session.begin():
            return silence_dict(expire_silence(session, silence_id))
    except ConfigError as exc:
        raise _service_refusal(exc) from None
