"""The ``live`` plugin keeps ward's plugin contract, and does nothing without a Redis URL."""

from __future__ import annotations

import ward_live.plugin

from ward_core.config import Settings
from ward_core.testing import check_plugin_contract, isolated_plugins, sample_alert


def test_the_live_plugin_keeps_the_contract() -> None:
    check_plugin_contract(ward_live.plugin, name="live")


def test_without_a_redis_url_nothing_is_opened() -> None:
    with isolated_plugins(ward_live.plugin, name="live", settings=Settings(blocked_plugins=[])) as plugins:
        assert plugins.alert_fired(sample_alert()) == ()
        assert ward_live.plugin.STATE.url is None and ward_live.plugin.STATE.writer() is None
