"""The embedded default (SQLite) runs the same alerting path: rules, windows, lifecycle, outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ward_notify.plugin
from sqlalchemy import Engine

import ward_core.alerts.plugin
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import run_probe_batch
from ward_core.types import Metric

KIND = "test.gauges"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    url = f"sqlite:///{tmp_path / 'ward.db'}"
    engine = get_engine(url)
    upgrade(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()


def test_alerts_on_sqlite(
    sqlite_engine: tuple[Engine, str], scripted: Any, add_devices: Any, webhook: Any, tmp_path: Path
) -> None:
    engine, url = sqlite_engine
    add_devices(engine, {"r1": "site-a", "r2": "site-a"})
    notify = tmp_path / "notify.yml"
    notify.write_text(f"webhook: {{url: '{webhook.url}', attempts: 1}}\n", encoding="utf-8")
    plugins = WardPlugins(Settings(database_url=url, notify_file=notify, blocked_plugins=[]))
    plugins.register(scripted, name="script")
    plugins.register(ward_core.alerts.plugin, name="alerts")
    plugins.register(ward_notify.plugin, name="notify")
    plugins.start()
    try:
        rules = tmp_path / "rules.yml"
        rules.write_text(
            "rules:\n  - name: lossy\n    expr: avg(ping.loss_pct, 1m) > 20 and last(ping.loss_pct) > 0\n",
            encoding="utf-8",
        )
        with session_scope(engine) as session:
            store_rules(session, read_rule_files([rules], Checks(vocabulary=vocabulary_of(plugins))))
        for value in (10.0, 50.0):
            scripted.set("r1", Metric("ping.loss_pct", value))
            scripted.set("r2", Metric("ping.loss_pct", 0.0))
            run_probe_batch(engine=engine, plugins=plugins, kinds=[KIND], device_names=["r1", "r2"])
            time.sleep(0.02)
        assert webhook.wait_for(
            lambda alerts: [(a["device"], a["status"]) for a in alerts] == [("r1", "firing")]
        )
        assert webhook.alerts()[0]["value"] == pytest.approx(30.0), "avg of 10 and 50"
    finally:
        plugins.close()
