"""The ``live`` plugin on real Redis: fired and resolved alerts become stream entries; a Redis that
does not answer is logged and never fails the evaluation that announced the alert."""

from __future__ import annotations

import logging

import pytest
import redis
import ward_live.plugin

from ward_core.api.live.events import STREAM_KEY, AlertEvent
from ward_core.config import Settings
from ward_core.testing import isolated_plugins, sample_alert


def test_fired_and_resolved_alerts_are_appended_to_the_stream(redis_db_url: str) -> None:
    client = redis.Redis.from_url(redis_db_url)
    try:
        before = client.xlen(STREAM_KEY)
        settings = Settings(redis_url=redis_db_url, blocked_plugins=[])
        with isolated_plugins(ward_live.plugin, name="live", settings=settings) as plugins:
            assert plugins.alert_fired(sample_alert()) == ()
            assert plugins.alert_resolved(sample_alert(resolved=True)) == ()
        rows = client.xrange(STREAM_KEY, count=before + 2)[before:]
    finally:
        client.close()
    events = [AlertEvent.from_entry(entry_id, fields) for entry_id, fields in rows]
    assert [(e.event, e.alert["fingerprint"]) for e in events] == [
        ("fired", 'rtt-high/sw1/probe="icmp"'),
        ("resolved", 'rtt-high/sw1/probe="icmp"'),
    ]
    assert events[0].alert["resolved_at"] is None and events[1].alert["resolved_at"] is not None
    assert ward_live.plugin.STATE.url is None and ward_live.plugin.STATE.writer() is None


def test_a_redis_that_does_not_answer_is_logged_not_raised(
    closed_tcp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_tcp_port}/0"
    settings = Settings(redis_url=url, blocked_plugins=[])
    with (
        caplog.at_level(logging.WARNING),
        isolated_plugins(ward_live.plugin, name="live", settings=settings) as plugins,
    ):
        assert plugins.alert_fired(sample_alert()) == ()
    warnings = [r.getMessage() for r in caplog.records if r.name == "ward_live.plugin"]
    assert len(warnings) == 1
    assert "redis://:***@127.0.0.1" in warnings[0] and "fired of rtt-high/sw1" in warnings[0]
    assert "s3cret" not in warnings[0]
