"""What plugin authors reuse to test their plugins: fakes, samples, fixtures and contract tests.

- :func:`check_plugin_contract` exercises every hook a plugin implements and lists violations;
- :class:`ProbeContract` is a test class to inherit for each probe kind;
- :func:`isolated_plugins` gives a manager holding only the plugin under test;
- :class:`TcpListener` / :func:`closed_tcp_port` are real loopback endpoints, up and down;
- :class:`ScriptedSession` plays a device for remediation steps;
- ``sample_*`` build devices and event payloads.

Fixtures live in :mod:`ward_core.testing.pytest_plugin` (loaded automatically once ward is installed).
This package needs pytest; ward itself never imports it.
"""

from __future__ import annotations

from ward_core.testing.contract import check_plugin_contract
from ward_core.testing.network import TcpListener, closed_tcp_port
from ward_core.testing.plugins import isolated_plugins
from ward_core.testing.probe_contract import ProbeContract
from ward_core.testing.samples import (
    sample_alert,
    sample_approval,
    sample_config_change,
    sample_device,
    sample_events,
    sample_run,
    sample_topology_change,
)
from ward_core.testing.sessions import ScriptedSession

__all__ = [
    "ProbeContract",
    "ScriptedSession",
    "TcpListener",
    "check_plugin_contract",
    "closed_tcp_port",
    "isolated_plugins",
    "sample_alert",
    "sample_approval",
    "sample_config_change",
    "sample_device",
    "sample_events",
    "sample_run",
    "sample_topology_change",
]
