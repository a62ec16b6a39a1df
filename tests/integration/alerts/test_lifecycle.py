"""The alert lifecycle on PostgreSQL, with values written by run_probe_batch from a scripted probe:
hysteresis (clear condition, keep_firing_for), acks, silences, rule faults, incremental evaluation,
grouping per site, removed rules. Real-ICMP versions of the main behaviours are in test_lab_alerts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ward_core.alerts.acks import ack_alert, alert_history
from ward_core.db import session_scope
from ward_core.db.models import RuleFault
from ward_core.types import Metric

pytestmark = pytest.mark.postgres

KIND = "test.gauges"


def rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def loss(value: float) -> Metric:
    return Metric("ping.loss_pct", value)


def test_a_value_flapping_around_the_threshold_fires_once_with_a_clear_condition(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    probe = scripted
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(probe, "script", webhook=webhook)
    harness.load_rules(
        rules(
            tmp_path,
            """
rules:
  - name: lossy
    expr: last(ping.loss_pct) > 20 clear when last(ping.loss_pct) < 5
    notify: [webhook]
  - name: lossy-no-hysteresis
    expr: last(ping.loss_pct) > 20
    notify: [webhook]
""",
        )
    )
    for value in (25, 15, 25, 15, 25, 15, 25):
        probe.set("r1", loss(value))
        harness.poll(KIND, ["r1"])
    hysteresis = harness.alerts("lossy")
    assert [a.state for a in hysteresis] == ["firing"]
    plain = harness.alerts("lossy-no-hysteresis")
    assert [a.state for a in plain] == ["resolved", "resolved", "resolved", "firing"]
    probe.set("r1", loss(2))
    harness.poll(KIND, ["r1"])
    assert [a.state for a in harness.alerts("lossy")] == ["resolved"]
    assert webhook.wait_for(lambda alerts: sum(a["rule"] == "lossy" for a in alerts) == 2)
    lossy = [a["status"] for a in webhook.alerts() if a["rule"] == "lossy"]
    assert lossy == ["firing", "resolved"]


def test_keep_firing_for_holds_a_flapping_alert_then_resolves_after_the_hold(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100 keep_firing_for 2s\n")
    )
    for value in (100, 0, 100, 0, 100, 0):
        scripted.set("r1", loss(value))
        harness.poll(KIND, ["r1"])
    assert [a.state for a in harness.alerts("down")] == ["firing"]
    time.sleep(2.1)
    harness.poll(KIND, ["r1"])
    (alert,) = harness.alerts("down")
    assert alert.state == "resolved"
    assert alert.resolved_at is not None and alert.clear_since is not None
    assert (alert.resolved_at - alert.clear_since).total_seconds() >= 2.0


def test_for_means_the_condition_held_at_every_evaluation_for_that_long(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100 for 1s\n")
    )
    scripted.set("r1", loss(100))
    harness.poll(KIND, ["r1"])
    assert [a.state for a in harness.alerts("down")] == ["pending"]
    scripted.set("r1", loss(0))
    harness.poll(KIND, ["r1"])
    assert harness.alerts("down") == [], "a pending alert whose condition stopped is cancelled"
    scripted.set("r1", loss(100))
    harness.poll(KIND, ["r1"])
    started = harness.alerts("down")[0].started_at
    time.sleep(0.5)
    harness.poll(KIND, ["r1"])
    assert harness.alerts("down")[0].state == "pending"
    time.sleep(0.6)
    harness.poll(KIND, ["r1"])
    (alert,) = harness.alerts("down")
    assert alert.state == "firing"
    assert alert.fired_at is not None and (alert.fired_at - started).total_seconds() >= 1.0


def test_an_acked_alert_stays_acked_until_it_resolves_and_the_next_episode_is_not_acked(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(rules(tmp_path, "rules:\n  - name: lossy\n    expr: last(ping.loss_pct) > 20\n"))
    scripted.set("r1", loss(50))
    harness.poll(KIND, ["r1"])
    (alert,) = harness.alerts("lossy")
    with session_scope(engine) as session:
        ack_alert(session, alert.id, by="alice", comment="replacing the uplink")
    for value in (60, 70, 40):
        scripted.set("r1", loss(value))
        harness.poll(KIND, ["r1"])
        (still,) = harness.alerts("lossy")
        assert (still.state, still.acked_by, still.ack_comment) == ("firing", "alice", "replacing the uplink")
    scripted.set("r1", loss(0))
    harness.poll(KIND, ["r1"])
    scripted.set("r1", loss(50))
    harness.poll(KIND, ["r1"])
    first, second = harness.alerts("lossy")
    assert first.state == "resolved" and first.acked_by == "alice", "the ack stays in the history"
    assert second.state == "firing" and second.acked_at is None
    with session_scope(engine) as session:
        kinds = [e["event"] for e in alert_history(session, first.id)]
    assert kinds == ["firing", "acked", "resolved"]


def test_an_ack_with_an_end_expires_on_time_and_reminds(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script", webhook=webhook)
    harness.load_rules(rules(tmp_path, "rules:\n  - name: lossy\n    expr: last(ping.loss_pct) > 20\n"))
    scripted.set("r1", loss(50))
    harness.poll(KIND, ["r1"])
    (alert,) = harness.alerts("lossy")
    with session_scope(engine) as session:
        ack_alert(
            session, alert.id, by="bob", comment="looking", until=datetime.now(UTC) + timedelta(seconds=1)
        )
    harness.poll(KIND, ["r1"])
    assert harness.alerts("lossy")[0].acked_by == "bob"
    time.sleep(1.1)
    harness.poll(KIND, ["r1"])
    (expired,) = harness.alerts("lossy")
    assert expired.acked_at is None and expired.state == "firing"
    with session_scope(engine) as session:
        assert [e["event"] for e in alert_history(session, alert.id)] == ["firing", "acked", "ack_expired"]
    assert webhook.wait_for(lambda alerts: len(alerts) == 2), "fired, then reminded when the ack expired"


def test_a_silence_holds_notifications_tracks_state_and_releases_on_expiry(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from ward_core.alerts.silences import add_silence, parse_matcher

    add_devices(engine, {"r1": "site-a", "r2": "site-a"})
    harness = make_harness(scripted, "script", webhook=webhook)
    harness.load_rules(rules(tmp_path, "rules:\n  - name: lossy\n    expr: last(ping.loss_pct) > 20\n"))
    with session_scope(engine) as session:
        add_silence(
            session, [parse_matcher("device=r1")], duration=timedelta(seconds=1.5), created_by="carol"
        )
    scripted.set("r1", loss(50))
    scripted.set("r2", loss(50))
    harness.poll(KIND, ["r1", "r2"])
    assert webhook.wait_for(lambda alerts: len(alerts) == 1)
    time.sleep(0.3)
    assert [a["device"] for a in webhook.alerts()] == ["r2"], "r1's notice is held"
    (r1,) = harness.alerts("lossy", "r1")
    assert (r1.state, r1.notified) == ("firing", False), "state is tracked while silenced"
    harness.poll(KIND, ["r1", "r2"])
    time.sleep(0.3)
    assert len(webhook.alerts()) == 1, "still held while the silence lasts"
    time.sleep(1.3)
    harness.poll(KIND, ["r2"])
    assert webhook.wait_for(lambda alerts: [a["device"] for a in alerts] == ["r2", "r1"]), (
        "released on expiry"
    )
    with session_scope(engine) as session:
        assert [e["event"] for e in alert_history(session, r1.id)] == ["firing", "held", "released"]


def test_a_resolved_notice_goes_out_during_a_silence(
    engine: Engine,
    make_harness: Callable[..., Any],
    scripted: Any,
    add_devices: Any,
    webhook: Any,
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from ward_core.alerts.silences import add_silence, parse_matcher

    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script", webhook=webhook)
    harness.load_rules(rules(tmp_path, "rules:\n  - name: lossy\n    expr: last(ping.loss_pct) > 20\n"))
    scripted.set("r1", loss(50))
    harness.poll(KIND, ["r1"])
    assert webhook.wait_for(lambda alerts: len(alerts) == 1)
    with session_scope(engine) as session:
        add_silence(
            session, [parse_matcher("rule=~loss.*")], duration=timedelta(minutes=5), created_by="dave"
        )
    scripted.set("r1", loss(0))
    harness.poll(KIND, ["r1"])
    assert webhook.wait_for(lambda alerts: [a["status"] for a in alerts] == ["firing", "resolved"])


def test_a_rule_failing_for_one_device_is_marked_errored_and_others_go_on(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a", "r2": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(
            tmp_path,
            """
rules:
  - name: ratio
    expr: last(ping.rtt_avg_ms) / last(ping.loss_pct) > 1
  - name: lossy
    expr: last(ping.loss_pct) > 20
""",
        )
    )
    scripted.set("r1", loss(0), Metric("ping.rtt_avg_ms", 5.0))
    scripted.set("r2", loss(50), Metric("ping.rtt_avg_ms", 500.0))
    harness.poll(KIND, ["r1", "r2"])
    assert sorted((a.rule, a.device) for a in harness.alerts()) == [("lossy", "r2"), ("ratio", "r2")]
    with session_scope(engine) as session:
        faults = [(f.rule, f.device, f.message) for f in session.scalars(select(RuleFault))]
    assert faults == [("ratio", "r1", "division by zero")]
    scripted.set("r1", loss(10), Metric("ping.rtt_avg_ms", 5.0))
    harness.poll(KIND, ["r1"])
    with session_scope(engine) as session:
        assert list(session.scalars(select(RuleFault))) == [], "a fault clears when the rule evaluates again"


def test_evaluation_is_incremental_and_nodata_fires_on_a_full_evaluation(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a", "r2": "site-b"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(
            tmp_path,
            """
rules:
  - name: silent
    expr: nodata(ping.loss_pct, 1s)
  - name: lossy
    expr: last(ping.loss_pct) > 20
""",
        )
    )
    scripted.set("r1", loss(50))
    scripted.set("r2", loss(50))
    harness.poll(KIND, ["r1"])
    assert [(a.rule, a.device) for a in harness.alerts()] == [("lossy", "r1")], "only the batch's devices"
    harness.poll(KIND, ["r2"])
    time.sleep(1.1)
    harness.poll(KIND, ["r1"])
    assert not harness.alerts("silent"), "r2's nodata waits for a full evaluation"
    report = harness.service().evaluate()
    assert report.devices == 2
    assert [(a.rule, a.device, a.state) for a in harness.alerts("silent")] == [("silent", "r2", "firing")]


def test_by_splits_a_rule_into_one_alert_per_label_value(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"sw1": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(
            tmp_path,
            'rules:\n  - name: if-down\n    expr: last(if.oper_up{ifname=~"Gi.*"}) == 0 by (ifname)\n'
            '    message: "{{ labels.ifname }} down on {{ device }}"\n',
        )
    )
    scripted.set(
        "sw1",
        Metric("if.oper_up", 0.0, {"ifname": "Gi0/1"}),
        Metric("if.oper_up", 1.0, {"ifname": "Gi0/2"}),
        Metric("if.oper_up", 0.0, {"ifname": "Gi0/3"}),
        Metric("if.oper_up", 0.0, {"ifname": "Lo0"}),
    )
    harness.poll(KIND, ["sw1"])
    alerts = harness.alerts("if-down")
    assert sorted((a.labels["ifname"], a.summary) for a in alerts) == [
        ("Gi0/1", "Gi0/1 down on sw1"),
        ("Gi0/3", "Gi0/3 down on sw1"),
    ]


def test_removing_a_rule_resolves_its_alerts(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script")
    harness.load_rules(
        rules(
            tmp_path,
            "rules:\n  - name: a\n    expr: last(ping.loss_pct) > 20\n"
            "  - name: b\n    expr: last(ping.loss_pct) > 30\n",
        )
    )
    scripted.set("r1", loss(50))
    harness.poll(KIND, ["r1"])
    harness.load_rules(rules(tmp_path, "rules:\n  - name: a\n    expr: last(ping.loss_pct) > 20\n"))
    harness.poll(KIND, ["r1"])
    assert [(a.rule, a.state) for a in harness.alerts()] == [("a", "firing"), ("b", "resolved")]


def test_window_functions_rate_and_plugin_functions(
    engine: Engine, make_harness: Callable[..., Any], scripted: Any, add_devices: Any, tmp_path: Path
) -> None:
    import ward_reference.alerts

    add_devices(engine, {"r1": "site-a"})
    harness = make_harness(scripted, "script", extra=[(ward_reference.alerts, "reference-alerts")])
    harness.load_rules(
        rules(
            tmp_path,
            """
rules:
  - name: jitter
    expr: spread(ping.rtt_avg_ms[1m]) > 20
  - name: climbing
    expr: rate(ping.rtt_avg_ms, 1m) > 0 and count(ping.rtt_avg_ms, 1m) >= 3 and avg(ping.rtt_avg_ms, 1m) > 10
""",
        )
    )
    for rtt in (5.0, 15.0, 40.0):
        scripted.set("r1", Metric("ping.rtt_avg_ms", rtt))
        harness.poll(KIND, ["r1"])
        time.sleep(0.05)
    assert sorted(a.rule for a in harness.alerts() if a.state == "firing") == ["climbing", "jitter"]
    (jitter,) = harness.alerts("jitter")
    assert jitter.value == pytest.approx(35.0)
