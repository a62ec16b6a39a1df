"""``/api/v1/alerts/stream``: alert transitions pushed over a WebSocket, resumable by event id.

A WebSocket rather than Server-Sent Events: one protocol for browsers and programs, and the same
token checks as every endpoint (``Authorization: Bearer`` for programs, the page's ``ward_token``
cookie for browsers). The permission is ``alerts.view``.

The conversation, server to client, one JSON text message each:

- ``{"type": "gap", "after", "resume_from", "message"}`` first, only when events after the
  client's ``last_event_id`` may be missing (trimmed from the stream, or the stream was reset);
- ``{"type": "ready", "cursor": ID}``: the client is subscribed; every event after ``ID`` follows;
- ``{"type": "alert", "id", "event", "time", "alert": {...}}`` for each transition
  (:mod:`ward_core.api.live.events`), in id order, each exactly once per connection.

To resume, reconnect with ``?last_event_id=<the last id received>``: the events after it are sent
first, then live ones, without loss. Refusals close the socket after accepting it, so that a browser
can read why: close code 4400 (bad ``last_event_id``), 4401 (no or bad token), 4403 (no
``alerts.view``, or a cookie sent from another site's page), 4503 (no Redis configured), 1011 (Redis
failed; reconnect with the last id). Refusals of 4401/4403 are audited like any endpoint's.

An open socket is checked again every ``Settings.api_stream_recheck_s``: a token revoked or expired,
or a role removed, since the handshake closes it with 4401 or 4403 and the reason, audited the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ward_core.alerts.publish import redis_url_of
from ward_core.api.audit_trail import FORBIDDEN, record
from ward_core.api.auth import require
from ward_core.api.errors import ApiError
from ward_core.api.live.events import UNREADABLE, AlertEvent, BadStreamId, StreamId
from ward_core.api.live.hub import AlertHub, Gap
from ward_core.api.live.stream import StreamReader
from ward_core.api.state import api_state
from ward_core.permissions import ALERTS_VIEW

log = logging.getLogger(__name__)

PATH = "/api/v1/alerts/stream"
HUB_ATTRIBUTE = "ward_alert_hub"
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAVAILABLE = 4503
CLOSE_SERVER_ERROR = 1011
STOP_WAIT_S = 1.0
REASON_LIMIT = 120
"""Bytes of a close reason (the protocol allows 123)."""

_VIEW = require(ALERTS_VIEW)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    hub = getattr(app.state, HUB_ATTRIBUTE, None)
    if isinstance(hub, AlertHub):
        setattr(app.state, HUB_ATTRIBUTE, None)
        await hub.close()


router = APIRouter(lifespan=_lifespan)


def cross_site(websocket: WebSocket) -> bool:
    """True when a browser on another site's page opened this socket with the cookie.

    Browsers send the cookie with WebSocket handshakes whatever page opened them; the ``Origin``
    header tells the page's site. Programs that send ``Authorization`` are not concerned.
    """
    if "authorization" in websocket.headers:
        return False
    origin = websocket.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc.lower() != websocket.headers.get("host", "").lower()


def hub_of(websocket: WebSocket) -> AlertHub | None:
    """The app's hub, made at the first connection; None without a Redis URL."""
    app = websocket.app
    hub = getattr(app.state, HUB_ATTRIBUTE, None)
    if isinstance(hub, AlertHub):
        return hub
    url = redis_url_of(api_state(websocket).settings)
    if url is None:
        return None
    hub = AlertHub(StreamReader.from_url(url))
    setattr(app.state, HUB_ATTRIBUTE, hub)
    return hub


async def _refuse(websocket: WebSocket, code: int, status: int, message: str) -> None:
    await websocket.accept()
    await websocket.send_text(json.dumps({"type": "error", "status": status, "message": message}))
    await websocket.close(code=code, reason=message.encode()[:REASON_LIMIT].decode(errors="ignore"))


def _wire(item: AlertEvent | Gap | StreamId) -> dict[str, Any]:
    if isinstance(item, StreamId):
        return {"type": "ready", "cursor": str(item)}
    return item.message()


async def _send_events(websocket: WebSocket, hub: AlertHub, after: StreamId | None) -> None:
    async for item in hub.follow(after):
        if isinstance(item, AlertEvent) and item.event == UNREADABLE:
            log.warning("skipped: %s", item.alert.get("error"))
            continue
        await websocket.send_text(json.dumps(_wire(item), sort_keys=True))


async def _recheck(websocket: WebSocket, every_s: float) -> None:
    """Check the caller's token and permission again every ``every_s``; close when refused."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(_VIEW, websocket)
        except ApiError as exc:
            await _refuse_open(websocket, 4000 + exc.status_code, exc.status_code, str(exc.detail))
            return


async def _refuse_open(websocket: WebSocket, code: int, status: int, message: str) -> None:
    await websocket.send_text(json.dumps({"type": "error", "status": status, "message": message}))
    await websocket.close(code=code, reason=message.encode()[:REASON_LIMIT].decode(errors="ignore"))


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket(PATH, name="alert_stream")
async def alert_stream(websocket: WebSocket, last_event_id: str | None = None) -> None:
    """Alert transitions, live, resumable with ``last_event_id`` (see the module docstring)."""
    try:
        principal = await run_in_threadpool(_VIEW, websocket)
    except ApiError as exc:
        await _refuse(websocket, 4000 + exc.status_code, exc.status_code, str(exc.detail))
        return
    if cross_site(websocket):
        message = "the cookie was sent from another site's page"
        detail = {"reason": message, "origin": websocket.headers.get("origin", "")}
        state = api_state(websocket)
        await run_in_threadpool(
            record, state, websocket, actor=principal.user, kind=FORBIDDEN, outcome=403, detail=detail
        )
        await _refuse(websocket, 4403, 403, message)
        return
    try:
        after = StreamId.parse(last_event_id) if last_event_id is not None else None
    except BadStreamId as exc:
        await _refuse(websocket, CLOSE_BAD_REQUEST, 400, f"last_event_id: {exc}")
        return
    hub = hub_of(websocket)
    if hub is None:
        await _refuse(
            websocket, CLOSE_UNAVAILABLE, 503, "no live stream: set redis_url (or a redis:// broker_url)"
        )
        return
    await websocket.accept()
    sender = asyncio.create_task(_send_events(websocket, hub, after))
    watcher = asyncio.create_task(_until_closed(websocket))
    checker = asyncio.create_task(_recheck(websocket, api_state(websocket).settings.api_stream_recheck_s))
    done, pending = await asyncio.wait({sender, watcher, checker}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=STOP_WAIT_S)
    failure = sender.exception() if sender in done else None
    if failure is not None and not isinstance(failure, WebSocketDisconnect):
        log.warning("alert stream to %s failed: %s", websocket.client, failure)
        if websocket.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(
                    code=CLOSE_SERVER_ERROR, reason="the alert stream failed: reconnect with last_event_id"
                )
