"""``/api/v1/alerts/stream`` against a real ``ward api``: alerts fired through the poll path arrive
over the WebSocket, and a client that reconnects with its last id gets exactly what it missed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ward_core.api.live.events import StreamId

from .conftest import AlertFirer, Web  # type: ignore[import-not-found]

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

PATH = "/api/v1/alerts/stream"


@contextmanager
def stream(
    web: Web, token: str | None, last: str | None = None, headers: dict[str, str] | None = None
) -> Iterator[ClientConnection]:
    url = web.base.replace("http://", "ws://") + PATH + (f"?last_event_id={last}" if last is not None else "")
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    with connect(url, additional_headers=sent, open_timeout=10) as conn:
        yield conn


def receive(conn: ClientConnection, timeout: float = 15) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(conn.recv(timeout=timeout))
    return message


def closing(conn: ClientConnection) -> tuple[dict[str, Any], int, str]:
    """The error message a refused connection gets, and its close code and reason."""
    message = receive(conn)
    with pytest.raises(ConnectionClosed) as closed:
        conn.recv(timeout=10)
    assert closed.value.rcvd is not None
    return message, closed.value.rcvd.code, closed.value.rcvd.reason


def test_an_alert_arrives_and_a_reconnect_with_the_last_id_gets_exactly_what_was_missed(
    web: Web, firer: AlertFirer
) -> None:
    token = web.tokens["carol"]
    try:
        with stream(web, token) as conn:
            assert receive(conn)["type"] == "ready"
            firer.fire("br001-sw3")
            first = receive(conn)
        assert first["type"] == "alert" and first["event"] == "fired", first
        assert first["alert"]["rule"] == "web-errors" and first["alert"]["device"] == "br001-sw3"
        assert first["alert"]["severity"] == "critical" and first["alert"]["site"] == "branch-001"

        firer.fire("br001-sw4")
        firer.fire("hub-west-rtr1")

        with stream(web, token, last=first["id"]) as conn:
            assert receive(conn) == {"type": "ready", "cursor": first["id"]}
            missed = [receive(conn), receive(conn)]
            with pytest.raises(TimeoutError):
                conn.recv(timeout=1.5)
        assert [(m["event"], m["alert"]["device"]) for m in missed] == [
            ("fired", "br001-sw4"),
            ("fired", "hub-west-rtr1"),
        ]
        ids = [StreamId.parse(m["id"]) for m in (first, *missed)]
        assert ids == sorted(set(ids))

        with stream(web, token, last=missed[1]["id"]) as conn:
            assert receive(conn)["type"] == "ready"
            firer.resolve("br001-sw4")
            resolved = receive(conn)
        assert resolved["event"] == "resolved" and resolved["alert"]["device"] == "br001-sw4"
        assert resolved["alert"]["resolved_at"] is not None
    finally:
        for device in ("br001-sw3", "br001-sw4", "hub-west-rtr1"):
            firer.resolve(device)


def test_an_id_beyond_the_stream_is_announced_as_a_gap_and_followed_from_the_tail(web: Web) -> None:
    with stream(web, web.tokens["carol"], last="99999999999999-0") as conn:
        gap = receive(conn)
        ready = receive(conn)
    assert gap["type"] == "gap" and "stream was reset" in gap["message"]
    assert ready == {"type": "ready", "cursor": gap["resume_from"]}


@pytest.mark.parametrize(
    ("token_of", "last", "headers", "code", "words"),
    [
        (None, None, {}, 4401, "no token"),
        ("bogus", None, {}, 4401, "not authenticated"),
        ("vera-devices", None, {}, 4403, "lacks the permission alerts.view"),
        ("carol", "yesterday", {}, 4400, "last_event_id: 'yesterday' is not a stream event id"),
    ],
)
def test_refusals_close_with_a_code_and_the_reason(
    web: Web, token_of: str | None, last: str | None, headers: dict[str, str], code: int, words: str
) -> None:
    token = None if token_of is None else web.tokens.get(token_of, "ward_bogus")
    with stream(web, token, last=last, headers=headers) as conn:
        message, closed_code, reason = closing(conn)
    assert message["type"] == "error" and words in message["message"]
    assert closed_code == code and words[:40] in reason


def test_the_cookie_is_refused_when_another_site_opened_the_socket(web: Web) -> None:
    cookie = {"Cookie": f"ward_token={web.tokens['carol']}"}
    before = len(web.audit(kind="api.forbidden"))
    with stream(web, None, headers={**cookie, "Origin": "https://evil.example"}) as conn:
        message, code, _ = closing(conn)
    assert code == 4403 and "another site" in message["message"]
    forbidden = web.audit(kind="api.forbidden")
    assert len(forbidden) == before + 1 and forbidden[-1].actor == "carol"
    assert json.loads(forbidden[-1].payload)["origin"] == "https://evil.example"
    with stream(web, None, headers={**cookie, "Origin": web.base}) as conn:
        assert receive(conn)["type"] == "ready"


def test_refused_connections_are_audited(web: Web) -> None:
    before = len(web.audit(kind="api.unauthorized"))
    with stream(web, None) as conn:
        closing(conn)
    records = web.audit(kind="api.unauthorized")
    assert len(records) == before + 1
    assert json.loads(records[-1].payload)["route"] == f"WEBSOCKET {PATH}"


def test_an_open_stream_closes_once_its_token_is_revoked(web: Web) -> None:
    made = web.ward(None, "tokens", "create", "--user", "carol", "--expires", "1h", "--json")
    assert made.code == 0, made.err
    issued = made.json()
    with stream(web, str(issued["token"])) as conn:
        assert receive(conn)["type"] == "ready"
        revoked = web.ward(None, "tokens", "revoke", str(issued["id"]))
        assert revoked.code == 0, revoked.err
        message, code, reason = closing(conn)
    assert message["type"] == "error" and code == 4401, (message, code, reason)
