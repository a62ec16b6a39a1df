"""The approver page's pure parts: CSRF tokens, redirects, the predicted config diff, stream ids and
events; plus every doctest of the web and live modules."""

from __future__ import annotations

import doctest
import importlib
import json
from datetime import UTC, datetime

import pytest
from hier_config import Platform
from starlette.requests import Request

from ward_core.api.live.events import UNREADABLE, AlertEvent, BadStreamId, StreamId, alert_payload
from ward_core.api.web.config_diff import blocks, predict
from ward_core.api.web.requests_view import time_left
from ward_core.api.web.session import csrf_token, csrf_valid, safe_next, same_origin
from ward_core.types import Alert

MODULES = [
    "ward_core.api.live.events",
    "ward_core.api.web.config_diff",
    "ward_core.api.web.pages",
    "ward_core.api.web.requests_view",
    "ward_core.api.web.session",
]

T0 = datetime(2026, 1, 1, tzinfo=UTC)

PRECHECK = """Building configuration...

Current configuration : 120 bytes
!
interface GigabitEthernet1/0/28
 description uplink to hub-west-rtr1
 no switchport
end
"""
BOUNCE = [
    "interface GigabitEthernet1/0/28",
    "shutdown",
    "interface GigabitEthernet1/0/28",
    "no shutdown",
]
BACKUP = "hostname br001-sw2\nip http server\ninterface Gi1/0/1\n description users\n"


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/ui/login", "headers": raw})


def test_the_csrf_token_is_bound_to_the_session_token() -> None:
    token = csrf_token("ward_abc")
    assert len(token) == 64 and token != "ward_abc"
    assert csrf_valid("ward_abc", token)
    assert not csrf_valid("ward_abd", token)
    assert not csrf_valid("ward_abc", token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not csrf_valid(None, token) and not csrf_valid("ward_abc", None)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"host": "ward.example:8080"}, True),
        ({"host": "ward.example:8080", "origin": "https://ward.example:8080"}, True),
        ({"host": "ward.example:8080", "origin": "https://evil.example"}, False),
        ({"host": "ward.example:8080", "origin": "null"}, False),
        ({"host": "ward.example:8080", "referer": "https://ward.example:8080/ui/approvals"}, True),
        ({"host": "ward.example:8080", "referer": "https://evil.example/ui/approvals"}, False),
    ],
)
def test_posts_from_another_site_are_recognised(headers: dict[str, str], allowed: bool) -> None:
    assert same_origin(_request(headers)) is allowed


@pytest.mark.parametrize(
    ("value", "target"),
    [
        (None, "/ui/approvals"),
        ("/ui/status", "/ui/status"),
        ("/ui/approvals/7?done=x", "/ui/approvals/7?done=x"),
        ("/api/v1/devices", "/ui/approvals"),
        ("//evil.example/ui/x", "/ui/approvals"),
        ("/ui/..//evil.example", "/ui/approvals"),
        ("/ui/\\evil", "/ui/approvals"),
        ("https://evil.example/ui/", "/ui/approvals"),
    ],
)
def test_login_only_redirects_to_pages_of_the_app(value: str | None, target: str) -> None:
    assert safe_next(value) == target


def test_a_bounce_predicts_no_net_change_against_the_precheck() -> None:
    diff = predict(Platform.CISCO_IOS, BOUNCE, precheck=PRECHECK, backup=lambda: (BACKUP, "backup version 1"))
    assert diff is not None
    assert diff.basis == "the pre-check output" and not diff.changes


def test_a_shutdown_alone_shows_the_added_line_under_its_interface() -> None:
    diff = predict(Platform.CISCO_IOS, BOUNCE[:2], precheck=PRECHECK, backup=lambda: None)
    assert diff is not None and diff.changes
    assert "+  shutdown" in diff.lines
    assert " interface GigabitEthernet1/0/28" in diff.lines


def test_a_global_command_is_diffed_against_the_backup_when_the_precheck_is_not_configuration() -> None:
    diff = predict(
        Platform.CISCO_IOS,
        ["no ip http server"],
        precheck="running configuration = backup version 3 (sha256 ab12)",
        backup=lambda: (BACKUP, "backup version 3"),
    )
    assert diff is not None and diff.basis == "backup version 3"
    assert "-ip http server" in diff.lines
    assert not any(line.startswith("+") and not line.startswith("+++") for line in diff.lines)


def test_a_new_section_is_added_with_its_children() -> None:
    diff = predict(
        Platform.CISCO_IOS,
        ["interface Loopback9", "ip address 10.9.9.9 255.255.255.255", "exit", "no ip http server"],
        precheck=None,
        backup=lambda: (BACKUP, "backup version 3"),
    )
    assert diff is not None
    assert "+interface Loopback9" in diff.lines
    assert "+  ip address 10.9.9.9 255.255.255.255" in diff.lines
    assert "-ip http server" in diff.lines


def test_without_anything_to_compare_there_is_no_prediction() -> None:
    assert predict(Platform.CISCO_IOS, ["no ip http server"], precheck=None, backup=lambda: None) is None


def test_blocks_keep_indented_commands_and_leave_sections_on_exit() -> None:
    assert blocks(
        ["router ospf 1", " network 10.0.0.0 0.255.255.255 area 0", "end", "hostname x"], frozenset()
    ) == ["router ospf 1\n network 10.0.0.0 0.255.255.255 area 0\nhostname x"]


def test_stream_ids_order_like_redis_and_reject_anything_else() -> None:
    ids = [StreamId.parse(t) for t in ("1700000000000-10", "1700000000000-2", "999-0", "1700000000001-0")]
    assert [str(i) for i in sorted(ids)] == [
        "999-0",
        "1700000000000-2",
        "1700000000000-10",
        "1700000000001-0",
    ]
    assert StreamId.parse(b"5-1") == StreamId(5, 1)
    for bad in ("", "5", "5-", "-1", "a-b", "1-2-3", "5-1 ", "$", f"{1 << 64}-0"):
        with pytest.raises(BadStreamId):
            StreamId.parse(bad)


def test_an_alert_event_survives_the_stream_entry_round_trip() -> None:
    alert = Alert(
        rule="if-down",
        device="br001-sw1",
        severity="critical",
        summary="Gi1/0/28 down",
        started_at=T0,
        value=0.0,
        labels={"ifname": "Gi1/0/28"},
        site="br001",
    )
    event = AlertEvent(event="fired", time=T0, alert=alert_payload(alert))
    fields = event.fields()
    assert list(fields) == ["event"]
    back = AlertEvent.from_entry(b"1767225600000-3", {b"event": fields["event"].encode()})
    assert back.id == StreamId(1767225600000, 3)
    message = back.message()
    assert message["type"] == "alert" and message["id"] == "1767225600000-3" and message["event"] == "fired"
    assert message["alert"]["fingerprint"] == 'if-down/br001-sw1/ifname="Gi1/0/28"'
    assert message["alert"]["resolved_at"] is None and message["alert"]["site"] == "br001"
    assert json.loads(json.dumps(message)) == message


def test_time_left_reads_like_a_countdown() -> None:
    assert time_left(-5) == "expired"
    assert time_left(61) == "1 min 1 s"
    assert time_left(7200) == "2 h 0 min"


@pytest.mark.parametrize(
    "fields",
    [{}, {b"event": b"not json"}, {b"event": b'{"event": "fired"}'}, {"event": '{"event": 1, "time": 5}'}],
)
def test_an_unreadable_entry_is_marked_so_readers_move_past_it(fields: dict[object, object]) -> None:
    event = AlertEvent.from_entry("7-1", fields)
    assert event.id == StreamId(7, 1) and event.event == UNREADABLE
    assert "stream entry 7-1 is not an alert event" in event.alert["error"]


def test_the_backup_is_read_only_when_the_precheck_does_not_hold_the_section() -> None:
    calls: list[int] = []

    def backup() -> tuple[str, str]:
        calls.append(1)
        return BACKUP, "backup version 1"

    predict(Platform.CISCO_IOS, BOUNCE, precheck=PRECHECK, backup=backup)
    assert calls == []
    predict(Platform.CISCO_IOS, ["no ip http server"], precheck=PRECHECK, backup=backup)
    assert calls == [1]


def test_a_text_hier_config_cannot_read_gives_no_prediction() -> None:
    twice = "interface Gi1\n shutdown\ninterface Gi1\n no shutdown\n"
    assert (
        predict(Platform.CISCO_IOS, ["no ip http server"], precheck=None, backup=lambda: (twice, "x")) is None
    )
