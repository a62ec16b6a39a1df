"""``/healthz`` (database, broker, workers) and ``/metrics`` (Prometheus): no token needed.

``/healthz`` answers 200 with ``status`` ``ok`` or ``degraded`` (the workers do not keep up with
their schedules, or none has run), and 503 with ``down`` when the database or the broker cannot be
reached: a load balancer should stop sending requests only then. It names no URL and no secret.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ward_core.api.state import ApiState, api_state
from ward_core.db.migrate import schema_status
from ward_core.db.types import utcnow
from ward_core.errors import StorageError
from ward_core.worker.broker import BrokerKind, broker_kind
from ward_core.worker.cycles import schedules
from ward_core.worker.messages import DEFAULT_SCHEDULE
from ward_core.worker.status import schedule_status

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S = 2.0
AMQP_PORT = 5672

HEALTH_EXAMPLE = {
    "status": "ok",
    "database": {"ok": True, "revision": "0007_api_tokens", "detail": None},
    "broker": {"ok": True, "kind": "redis", "detail": None},
    "workers": {
        "ok": True,
        "schedules": [{"schedule": "probes", "keeping_up": True, "lag_s": 0.4, "problems": []}],
    },
}


def _database(state: ApiState) -> dict[str, Any]:
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        status = schema_status(state.engine)
    except (SQLAlchemyError, StorageError) as exc:
        return {"ok": False, "revision": None, "detail": f"unreachable: {type(exc).__name__}"}
    detail = None if status.up_to_date else f"at revision {status.current}, ward needs {status.head}"
    return {"ok": status.up_to_date, "revision": status.current, "detail": detail}


def _broker(state: ApiState) -> dict[str, Any]:
    url = state.settings.broker_url
    kind = broker_kind(url)
    if kind is BrokerKind.IN_PROCESS or url is None:
        return {"ok": True, "kind": kind.value, "detail": "in-process queue"}
    try:
        if kind is BrokerKind.REDIS:
            client = redis.Redis.from_url(
                url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            parts = urlsplit(url)
            with socket.create_connection(
                (parts.hostname or "localhost", parts.port or AMQP_PORT), timeout=CHECK_TIMEOUT_S
            ):
                pass
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "kind": kind.value, "detail": f"unreachable: {type(exc).__name__}"}
    return {"ok": True, "kind": kind.value, "detail": None}


def _workers(state: ApiState) -> dict[str, Any]:
    now = utcnow()
    try:
        with state.sessions() as session:
            names = schedules(session) or [DEFAULT_SCHEDULE]
            found = [schedule_status(session, name, now) for name in names]
    except SQLAlchemyError as exc:
        return {"ok": False, "schedules": [], "detail": f"unreadable: {type(exc).__name__}"}
    return {
        "ok": all(s.keeping_up for s in found),
        "schedules": [
            {
                "schedule": s.schedule,
                "keeping_up": s.keeping_up,
                "lag_s": round(s.lag_s, 3),
                "problems": list(s.problems),
            }
            for s in found
        ],
    }


@router.get(
    "/healthz",
    summary="Health of the database, broker and workers",
    responses={
        200: {
            "description": "Serving (ok or degraded).",
            "content": {"application/json": {"example": HEALTH_EXAMPLE}},
        },
        503: {
            "description": "The database or the broker cannot be reached.",
            "content": {"application/json": {"example": {**HEALTH_EXAMPLE, "status": "down"}}},
        },
    },
)
def healthz(request: Request) -> JSONResponse:
    """Whether ward can serve: the database answers at the current schema, the broker answers,
    and the workers keep up with their schedules."""
    state = api_state(request)
    database = _database(state)
    broker = _broker(state)
    workers = _workers(state) if database["ok"] else {"ok": False, "schedules": []}
    down = not (database["ok"] and broker["ok"])
    status = "down" if down else ("ok" if workers["ok"] else "degraded")
    body = {"status": status, "database": database, "broker": broker, "workers": workers}
    return JSONResponse(body, status_code=503 if down else 200)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format.",
            "content": {
                "text/plain": {
                    "example": 'ward_api_request_duration_seconds_bucket{le="0.01",method="GET",'
                    'route="/api/v1/devices",status="200"} 42.0\n'
                }
            },
        }
    },
)
def metrics(request: Request) -> Response:
    """Request latency histograms by method, route template and status."""
    body, content_type = api_state(request).metrics.exposition()
    return Response(body, media_type=content_type)
