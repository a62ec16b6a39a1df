"""Notifications end to end on PostgreSQL: one message per site per evaluation through a real HTTP
receiver (signed, retried) and a real SMTP server, the outbox retrying a dead receiver, every
transition on Redis pub/sub, and downstream outages folded under their site's uplink."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from ward_notify.signing import verify

from ward_core.alerts.suppression import static_uplinks
from ward_core.db import session_scope
from ward_core.db.models import AlertNotification
from ward_core.types import Metric

pytestmark = pytest.mark.postgres

KIND = "test.gauges"
SECRET = b"test-secret"
DOWN_RULES = """
rules:
  - name: device-down
    expr: last(ping.loss_pct) == 100
    severity: critical
    message: "{{ device }} does not answer ping"
    device_down: true
"""


def rules(tmp_path: Path, text: str = DOWN_RULES) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def loss(value: float) -> Metric:
    return Metric("ping.loss_pct", value)


def test_one_signed_message_per_site_per_evaluation(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    smtp: Any,
    tmp_path: Path,
) -> None:
    devices = {f"a{i}": "site-a" for i in range(5)} | {"b0": "site-b"}
    add_devices(engine, devices)
    harness = make_harness(scripted, "script", webhook=webhook, smtp=smtp)
    harness.load_rules(rules(tmp_path))
    for name in devices:
        scripted.set(name, loss(100))
    harness.poll(KIND, list(devices))
    assert webhook.wait_for(lambda alerts: len(alerts) == 6)
    assert smtp.wait_for(lambda messages: len(messages) == 2)
    time.sleep(0.3)
    assert len(webhook.deliveries) == 2, "one POST per site, not one per device"
    by_site = {d.json["site"]: d for d in webhook.deliveries}
    assert sorted(a["device"] for a in by_site["site-a"].json["alerts"]) == [f"a{i}" for i in range(5)]
    assert by_site["site-a"].json["firing"] == 5
    for delivery in webhook.deliveries:
        assert verify(SECRET, delivery.body, delivery.headers)
        assert not verify(b"wrong", delivery.body, delivery.headers)
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert subjects == ["[ward] site site-a: 5 firing", "[ward] site site-b: 1 firing"]
    body = next(m for m in smtp.messages if "site-b" in str(m["Subject"])).get_payload()
    assert "device-down on b0: b0 does not answer ping" in str(body)


def test_the_webhook_retries_with_backoff_and_the_outbox_retries_a_dead_receiver(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script", webhook=webhook)
    harness.load_rules(rules(tmp_path))
    webhook.fail_next = 2
    scripted.set("r1", loss(100))
    harness.poll(KIND, ["r1"])
    assert webhook.wait_for(lambda alerts: len(alerts) == 1), "third attempt of the same delivery"
    assert webhook.refused == 2
    webhook.fail_next = 3
    scripted.set("r1", loss(0))
    harness.poll(KIND, ["r1"])
    time.sleep(0.5)
    assert len(webhook.alerts()) == 1, "all three attempts failed"
    with session_scope(engine) as session:
        row = session.scalars(select(AlertNotification).where(AlertNotification.status == "pending")).one()
        assert row.attempts == 1 and "HTTP 503" in (row.last_error or "")
    assert webhook.wait_for(
        lambda alerts: [a["status"] for a in alerts] == ["firing", "resolved"], timeout=15
    )


def test_every_transition_is_published_on_redis(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    redis_url: str,
    tmp_path: Path,
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script", redis_url=redis_url)
    harness.load_rules(
        rules(tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100 for 0.3s\n")
    )
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe("ward:alerts")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    scripted.set("r1", loss(100))
    harness.poll(KIND, ["r1"])
    time.sleep(0.35)
    harness.poll(KIND, ["r1"])
    scripted.set("r1", loss(0))
    harness.poll(KIND, ["r1"])
    events = []
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message and message["type"] == "message":
            events.append(json.loads(message["data"]))
    pubsub.close()
    client.close()
    assert [e["event"] for e in events] == ["pending", "firing", "resolved"]
    assert {e["alert"]["device"] for e in events} == {"r1"}
    assert events[-1]["alert"]["state"] == "resolved"


def test_downstream_outages_are_folded_under_the_site_uplink(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    add_devices(engine, {"rtr": "branch", "sw1": "branch", "sw2": "branch", "sw3": "branch"})
    harness = make_harness(scripted, "script", webhook=webhook)
    harness.service().uplinks = static_uplinks({"branch": "rtr"})
    harness.load_rules(rules(tmp_path))
    for name in ("rtr", "sw1", "sw2"):
        scripted.set(name, loss(100))
    scripted.set("sw3", loss(0))
    harness.poll(KIND, ["rtr", "sw1", "sw2", "sw3"])
    assert webhook.wait_for(lambda alerts: len(alerts) == 3)
    time.sleep(0.2)
    (notice,) = [d.json for d in webhook.deliveries]
    assert {a["device"]: a["symptom_of"] for a in notice["alerts"]} == {
        "rtr": None,
        "sw1": "rtr",
        "sw2": "rtr",
    }
    assert {a.device: a.symptom_of for a in harness.alerts()} == {"rtr": None, "sw1": "rtr", "sw2": "rtr"}
    scripted.set("rtr", loss(0))
    harness.poll(KIND, ["rtr", "sw1", "sw2", "sw3"])
    assert webhook.wait_for(lambda alerts: len(alerts) == 6)
    last = webhook.deliveries[-1].json["alerts"]
    assert {(a["device"], a["status"], a["symptom_of"]) for a in last} == {
        ("rtr", "resolved", None),
        ("sw1", "firing", None),
        ("sw2", "firing", None),
    }, "the uplink is back: the switches still down page on their own"
