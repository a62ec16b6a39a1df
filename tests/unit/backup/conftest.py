"""Running configurations of simulated lab devices, rendered as the lab's SSH CLI prints them, on a
clock the test moves by hand."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from ward_core.config import Settings
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.running_config import TACACS_KEY, render_running_config
from ward_core.lab.model import LabNetwork
from ward_core.lab.topology import build_network
from ward_core.plugin_manager import WardPlugins

CREDENTIALS = LabCredentials()
_HASHED = re.compile(r"(?:secret \d|key 7|community) (\S+)")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """The lab network's clock."""
    return FakeClock()


@pytest.fixture
def network(clock: FakeClock) -> LabNetwork:
    """A small lab network (hubs, branch routers and switches)."""
    return build_network(8, 2, seed=13, clock=clock)


@pytest.fixture
def running_config(network: LabNetwork) -> Callable[[str], str]:
    """``show running-config`` of one device of ``network``, exactly as the lab prints it."""

    def show(name: str) -> str:
        return render_running_config(network, network.device(name), CREDENTIALS)

    return show


def secrets_in(raw: str) -> set[str]:
    """The lab's secret values and every hashed or encrypted form in ``raw``."""
    plain = {
        CREDENTIALS.password,
        CREDENTIALS.enable_secret,
        CREDENTIALS.community,
        CREDENTIALS.v3_auth_password,
        CREDENTIALS.v3_priv_password,
        TACACS_KEY,
    }
    return plain | set(_HASHED.findall(raw))


@pytest.fixture
def lab_secrets() -> Callable[[str], set[str]]:
    """``lab_secrets(raw)``: the lab's secrets, plain and hashed as ``raw`` shows them."""
    return secrets_in


def backup_plugins(*, reference: bool) -> WardPlugins:
    """A started plugin manager holding the backup-rules plugin (and the reference plugin)."""
    import ward_backup_rules.plugin
    import ward_reference.plugin

    plugins = WardPlugins(Settings())
    plugins.register(ward_backup_rules.plugin, name="backup-rules")
    if reference:
        plugins.register(ward_reference.plugin, name="reference")
    plugins.start()
    return plugins


@pytest.fixture(params=[True, False], ids=["with-reference", "backup-rules-alone"])
def plugins(request: pytest.FixtureRequest) -> Iterator[WardPlugins]:
    """The backup-rules plugin, with and without the reference plugin's generic redaction after it."""
    loaded = backup_plugins(reference=request.param)
    try:
        yield loaded
    finally:
        loaded.close()
